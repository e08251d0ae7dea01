"""report media

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 12:04:36.272564
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('reportmedia',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('media_id')
    )
    with op.batch_alter_table('reportmedia', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reportmedia_report_id'), ['report_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('reportmedia', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reportmedia_report_id'))

    op.drop_table('reportmedia')
