"""identical reports: a copy of a report received shortly before is merged into it, so a flood of copies
(or one resident pressing send on two channels) counts once in the figures and the inboxes

- report.content_fingerprint: a keyed hash (HMAC under a key derived from SECRET_KEY) of the report's
  category, ward, place, words, privacy and agencies, normalised (storage/identical_reports.py). Left NULL
  for the reports already here: the key is configuration, not something a migration may read, and the
  comparison only ever looks back IDENTICAL_REPORT_HOURS (48 by default), so two days after this revision
  no report it would have compared against lacks one.
- report (content_fingerprint, created_at) for fingerprinted reports only (partial): the look-up of an
  identical report within the window reads it alone.

Revision ID: 0017
Revises: 0016
Create Date: 2027-01-04 10:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0017'
down_revision: Union[str, None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_index('ix_report_content_fingerprint', ['content_fingerprint', 'created_at'], unique=False,
                              sqlite_where=sa.text("content_fingerprint IS NOT NULL"),
                              postgresql_where=sa.text("content_fingerprint IS NOT NULL"))


def downgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_content_fingerprint')
        batch_op.drop_column('content_fingerprint')
