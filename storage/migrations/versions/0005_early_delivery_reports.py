"""early delivery reports

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 12:50:11.529122
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('earlydeliveryreport',
    sa.Column('provider_message_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('effect', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('received_at', storage.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('provider_message_id')
    )


def downgrade() -> None:
    op.drop_table('earlydeliveryreport')
