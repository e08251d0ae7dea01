"""agenda approval: other residents see a "have your say" item only once an organiser approved it,
in the organiser's wording when given; an organiser may hide one

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 18:46:06.178507
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import storage.types


revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('agendaitem', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('shown_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('hidden_at', storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('agendaitem', schema=None) as batch_op:
        batch_op.drop_column('hidden_at')
        batch_op.drop_column('shown_text')
        batch_op.drop_column('approved_at')
