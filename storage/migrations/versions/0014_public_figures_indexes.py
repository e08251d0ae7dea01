"""public figures indexes: the borough's public page reads a year of reports and their sharings from
indexes alone (bench/public.py)

- report (created_at, category, status, ward_id, time_of_day, woman_or_girl, spam_at, duplicate_of_id)
  for counted reports only (partial: not spam, not merged): storage/public_figures.py's one GROUP BY over
  the period's reports (counts by month, category and status; the unsafe-place rows by ward, time of day
  and woman or girl) is a range of it. spam_at and duplicate_of_id are listed although the WHERE fixes
  them, because SQLite counts an index as covering only when it holds every column the query names. Its
  WHERE is spelled per backend exactly as public_figures writes the conditions (SQLite: coalesce, which
  keeps it off ix_report_duplicate_of_id), or the database would not see that it applies.
- reportagency (shared_at, agency_id, report_id, response_working_days, close_working_days): the period's
  sharings with their clocks (agency times and the first-response and close targets) are one range of
  it, each joined to its report by primary key, instead of a walk of every report.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-20 10:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_public', ['created_at', 'category', 'status', 'ward_id', 'time_of_day',
                                                   'woman_or_girl', 'spam_at', 'duplicate_of_id'], unique=False,
                              sqlite_where=sa.text("spam_at IS NULL AND coalesce(duplicate_of_id, 0) = 0"),
                              postgresql_where=sa.text("spam_at IS NULL AND duplicate_of_id IS NULL"))
    with op.batch_alter_table('reportagency', schema=None) as batch_op:
        batch_op.create_index('ix_reportagency_shared', ['shared_at', 'agency_id', 'report_id',
                                                         'response_working_days', 'close_working_days'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reportagency', schema=None) as batch_op:
        batch_op.drop_index('ix_reportagency_shared')
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_public')
