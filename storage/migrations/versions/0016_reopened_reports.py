"""reopened reports: a report a resident reopened ("was this sorted?" answered no) stays flagged in the staff
inbox until an officer picks it up

- report.reopened_at: when the resident's "no" reopened it (storage/sorted_checks.py); cleared when staff of
  any agency change its status or reply to the resident (storage/report_actions.py). Filled here for reports
  reopened before this revision: those whose latest "reopen" update came after their latest status change,
  reply, referral or merge, with that reopening's time. Updates are compared by id, not time: a resident's
  answer is kept to the hour and never before the report's latest update, so a reopening and the closing
  it answers can carry the same time, while ids follow the order they were written in.
- report (created_at, id, status, duplicate_of_id, reopened_at) for reopened reports only (partial): the
  inbox's "Reopened by the resident" filter walks it newest first and the header's count reads it alone.
  reopened_at is listed although the WHERE fixes it, because SQLite counts an index as covering only when
  it holds every column the query names.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-21 10:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import storage.types


revision: str = '0016'
down_revision: Union[str, None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The staff actions that pick a report up (each changes its status or answers the resident). Plain notes
# and shares are not among them: neither tells the resident anything.
_PICKED_UP = "('status', 'reply', 'referral', 'merge')"


def upgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reopened_at', storage.types.UTCDateTime(), nullable=True))
    op.execute(sa.text(f"""
        UPDATE report SET reopened_at = (
            SELECT reopening.created_at FROM reportupdate AS reopening
            WHERE reopening.report_id = report.id AND reopening.action = 'reopen'
            ORDER BY reopening.id DESC LIMIT 1)
        WHERE (SELECT max(reopening.id) FROM reportupdate AS reopening
               WHERE reopening.report_id = report.id AND reopening.action = 'reopen')
              > coalesce((SELECT max(staff.id) FROM reportupdate AS staff
                          WHERE staff.report_id = report.id AND staff.action IN {_PICKED_UP}), 0)
    """))
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_reopened', ['created_at', 'id', 'status', 'duplicate_of_id', 'reopened_at'],
                              unique=False, sqlite_where=sa.text("reopened_at IS NOT NULL"),
                              postgresql_where=sa.text("reopened_at IS NOT NULL"))


def downgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_reopened')
        batch_op.drop_column('reopened_at')
