"""inbox indexes: the staff inbox's first page stays fast on a million reports (bench/inbox.py)

- report (created_at, id): the inbox with no filter (or "open", language, channel, category...) walks
  reports newest first and stops after a page; id breaks ties for keyset pages.
- report (ward_id, created_at, id): one ward's reports in the same order, without sorting a twentieth of
  the table.
- report (language, created_at, id): a language's reports in order, and the filter form's list of
  languages found with one probe per language (storage/inbox._languages_in_reports).
- reportagency (agency_id, responded_at, shared_at): an agency's unanswered reports by when their clock
  started: the overdue filter and the header's overdue count are one index range.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 10:00:00
"""
from typing import Sequence, Union

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
    with op.batch_alter_table('reportagency', schema=None) as batch_op:
        batch_op.create_index('ix_reportagency_clock', ['agency_id', 'responded_at', 'shared_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reportagency', schema=None) as batch_op:
        batch_op.drop_index('ix_reportagency_clock')
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_language_created')
        batch_op.drop_index('ix_report_ward_created')
        batch_op.drop_index('ix_report_created_id')
