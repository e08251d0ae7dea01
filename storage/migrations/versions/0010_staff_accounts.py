"""staff accounts: StaffUser (roles, agency, lockout counters) and AuditEntry (who did what, no personal data)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 19:02:47.776263
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('staffuser',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('first_failed_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('locked_until', storage.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('last_login_at', storage.types.UTCDateTime(), nullable=True),
    sa.CheckConstraint("role = 'admin' OR agency_id IS NOT NULL", name='ck_staffuser_agency_unless_admin'),
    sa.CheckConstraint("role IN ('admin', 'officer', 'organiser', 'viewer')", name='ck_staffuser_role'),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name='fk_staffuser_agency_id_agency'),
    sa.PrimaryKeyConstraint('id', name='pk_staffuser'),
    sa.UniqueConstraint('email', name='uq_staffuser_email')
    )
    with op.batch_alter_table('staffuser', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staffuser_agency_id'), ['agency_id'], unique=False)

    op.create_table('auditentry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staffuser.id'], name='fk_auditentry_staff_user_id_staffuser'),
    sa.PrimaryKeyConstraint('id', name='pk_auditentry')
    )
    with op.batch_alter_table('auditentry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditentry_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_auditentry_report_id'), ['report_id'], unique=False)
        batch_op.create_index('ix_auditentry_staff_at', ['staff_user_id', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('auditentry', schema=None) as batch_op:
        batch_op.drop_index('ix_auditentry_staff_at')
        batch_op.drop_index(batch_op.f('ix_auditentry_report_id'))
        batch_op.drop_index(batch_op.f('ix_auditentry_at'))

    op.drop_table('auditentry')
    with op.batch_alter_table('staffuser', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staffuser_agency_id'))

    op.drop_table('staffuser')
