"""public snapshots: the public figures of each page, counted by the worker every half minute and
served while at most 60 seconds old (storage/public_snapshots.py), so no visitor waits for the
aggregate and several web processes share one count

- publicsnapshot: one row per page (ward slug, "" for the borough) and number of months, with the moment
  it was counted and the figures as JSON.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-21 10:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = '0015'
down_revision: Union[str, None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('publicsnapshot',
    sa.Column('ward_slug', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('months', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('computed_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('ward_slug', 'months')
    )


def downgrade() -> None:
    op.drop_table('publicsnapshot')
