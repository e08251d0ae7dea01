"""events in full: community spaces, event kinds and languages, offers, the waiting list, reminders,
feedback and "have your say" agenda items

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:10:35.981911
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('space',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('ward_id', sa.Integer(), nullable=True),
    sa.Column('cost', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('booking', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('opening_hours', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('step_free', sa.Boolean(), nullable=False),
    sa.Column('hearing_loop', sa.Boolean(), nullable=False),
    sa.Column('accessible_toilet', sa.Boolean(), nullable=False),
    sa.Column('childcare_room', sa.Boolean(), nullable=False),
    sa.Column('kitchen', sa.Boolean(), nullable=False),
    sa.Column('prayer_space', sa.Boolean(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ward_id'], ['ward.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('space', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_space_ward_id'), ['ward_id'], unique=False)

    op.create_table('agendaitem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('ward_id', sa.Integer(), nullable=True),
    sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('translation', sa.Text(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ward_id'], ['ward.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('agendaitem', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agendaitem_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agendaitem_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agendaitem_ward_id'), ['ward_id'], unique=False)

    op.create_table('eventfeedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_on', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('eventfeedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eventfeedback_event_id'), ['event_id'], unique=False)

    op.create_table('reminderrun',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('offset_minutes', sa.Integer(), nullable=False),
    sa.Column('starts_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('queued', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('ran_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'offset_minutes', 'starts_at')
    )
    with op.batch_alter_table('reminderrun', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminderrun_event_id'), ['event_id'], unique=False)

    op.create_table('agendabacking',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['agendaitem.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', 'contact_id')
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        # Events made before kinds existed were forums; the server default fills them, then stays harmless.
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), server_default='community_forum', nullable=False))
        batch_op.add_column(sa.Column('titles', sa.JSON(), server_default='{}', nullable=False))
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('descriptions', sa.JSON(), server_default='{}', nullable=False))
        batch_op.add_column(sa.Column('machine_translated', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('space_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ends_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('offers', sa.JSON(), server_default='{}', nullable=False))
        batch_op.add_column(sa.Column('decision_makers', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('moved_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('rsvp_summary', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_event_space_id'), ['space_id'], unique=False)
        batch_op.create_foreign_key('fk_event_space_id', 'space', ['space_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('expires_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outboxmessage_event_id'), ['event_id'], unique=False)
        batch_op.create_foreign_key('fk_outboxmessage_event_id', 'event', ['event_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('created_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('confirmed_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('waiting_since', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('feedback_asked_at', storage.types.UTCDateTime(), nullable=True))
    # Earlier answers were yes or no, with a place for every yes (there was no waiting list).
    op.execute("UPDATE rsvp SET status = CASE WHEN attending THEN 'attending' ELSE 'declined' END, "
               "created_at = updated_at, confirmed_at = CASE WHEN attending THEN updated_at END")
    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False)
        batch_op.alter_column('created_at', existing_type=storage.types.UTCDateTime(), nullable=False)
        batch_op.create_index('ix_rsvp_event_status', ['event_id', 'status'], unique=False)
        batch_op.drop_column('attending')



def downgrade() -> None:
    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attending', sa.BOOLEAN(), nullable=True))
    op.execute("UPDATE rsvp SET attending = (status <> 'declined')")
    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.alter_column('attending', existing_type=sa.BOOLEAN(), nullable=False)
        batch_op.drop_index('ix_rsvp_event_status')
        batch_op.drop_column('feedback_asked_at')
        batch_op.drop_column('waiting_since')
        batch_op.drop_column('confirmed_at')
        batch_op.drop_column('created_at')
        batch_op.drop_column('status')

    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.drop_constraint('fk_outboxmessage_event_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outboxmessage_event_id'))
        batch_op.drop_column('expires_at')
        batch_op.drop_column('event_id')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint('fk_event_space_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_event_space_id'))
        batch_op.drop_column('updated_at')
        batch_op.drop_column('rsvp_summary')
        batch_op.drop_column('moved_at')
        batch_op.drop_column('decision_makers')
        batch_op.drop_column('offers')
        batch_op.drop_column('ends_at')
        batch_op.drop_column('space_id')
        batch_op.drop_column('machine_translated')
        batch_op.drop_column('descriptions')
        batch_op.drop_column('description')
        batch_op.drop_column('titles')
        batch_op.drop_column('kind')

    op.drop_table('agendabacking')
    with op.batch_alter_table('reminderrun', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminderrun_event_id'))

    op.drop_table('reminderrun')
    with op.batch_alter_table('eventfeedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eventfeedback_event_id'))

    op.drop_table('eventfeedback')
    with op.batch_alter_table('agendaitem', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agendaitem_ward_id'))
        batch_op.drop_index(batch_op.f('ix_agendaitem_event_id'))
        batch_op.drop_index(batch_op.f('ix_agendaitem_contact_id'))

    op.drop_table('agendaitem')
    with op.batch_alter_table('space', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_space_ward_id'))

    op.drop_table('space')
