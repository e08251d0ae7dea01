"""inbox indexes: the staff inbox's first page stays fast on a million reports (bench/inbox.py)

- report (created_at, id): the inbox with no filter (or "open", language, channel, category...) walks
  reports newest first and stops after a page; id breaks ties for keyset pages.
- report (ward_id, created_at, id): one ward's reports in the same order, without sorting a twentieth of
  the table.
- report (language, created_at, id): a language's reports in order, and the filter form's list of
  languages found with one probe per language (storage/inbox._languages_in_reports).
- report (created_at, id, status, duplicate_of_id) for open, unmerged reports only (partial): the default
  inbox ("open") walks it newest first, and the header's open count reads it alone (a tenth of the table)
  with one probe of the agency's sharing per report. Its WHERE is spelled per backend exactly as
  storage/inbox.py writes the conditions, or the database would not see that it applies.
- reportagency (agency_id, responded_at, shared_at, report_id): an agency's unanswered reports by when
  their clock started: the overdue filter (most overdue first, keyset on shared_at, report_id) and the
  header's overdue count are one index range.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 10:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_created_id', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_report_ward_created', ['ward_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_report_language_created', ['language', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_report_open', ['created_at', 'id', 'status', 'duplicate_of_id'], unique=False,
                              sqlite_where=sa.text("status != 'closed' AND coalesce(duplicate_of_id, 0) = 0"),
                              postgresql_where=sa.text("status <> 'closed' AND duplicate_of_id IS NULL"))
    with op.batch_alter_table('reportagency', schema=None) as batch_op:
        batch_op.create_index('ix_reportagency_clock', ['agency_id', 'responded_at', 'shared_at', 'report_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reportagency', schema=None) as batch_op:
        batch_op.drop_index('ix_reportagency_clock')
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_open')
        batch_op.drop_index('ix_report_language_created')
        batch_op.drop_index('ix_report_ward_created')
        batch_op.drop_index('ix_report_created_id')
