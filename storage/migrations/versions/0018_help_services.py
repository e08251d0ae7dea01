"""help services: the "get help" directory staff keep current (recs 3, 5-7)

- helpservice: a service residents can turn to (families, young people, money, housing, mental health, drugs
  and alcohol, victims of crime, getting online), with what it offers in English and in other languages
  staff entered, its phone, website, address, ward (none: borough-wide), hours, cost, the languages spoken
  there and the day staff last confirmed it (checked_on).

Revision ID: 0018
Revises: 0017
Create Date: 2027-01-10 10:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = '0018'
down_revision: Union[str, None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('helpservice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('offer', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('offers', sa.JSON(), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('website', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('ward_id', sa.Integer(), nullable=True),
    sa.Column('opening_hours', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('cost', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('checked_on', sa.Date(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ward_id'], ['ward.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('helpservice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_helpservice_ward_id'), ['ward_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('helpservice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_helpservice_ward_id'))
    op.drop_table('helpservice')
