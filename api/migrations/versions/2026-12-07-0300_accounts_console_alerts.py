"""accounts, the console's case activity and transfers, alerts (issue 17)

People sign in as themselves (`account`, each owning a principal row); notes, contact attempts and first
contact (`case_activity`, free text sealed); `queue_entry.first_contact_at` (deadline met or not) and
`transferred_from` (the entry a transfer came from); `alert` raised by the worker; `team_address`, where a
queue's alerts are e-mailed.

Revision ID: 3f8a1c6d2b47
Revises: 7c2e9a4b1f03
Create Date: 2026-12-07 04:36:27.082476+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '3f8a1c6d2b47'
down_revision: str | None = '7c2e9a4b1f03'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
    op.create_table('team_address',
    sa.Column('queue', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.PrimaryKeyConstraint('queue', name=op.f('pk_team_address'))
    )
    op.create_table('account',
    sa.Column('principal_id', sa.Uuid(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('totp_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('totp_last_step', sa.Integer(), nullable=True),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_sign_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['principal_id'], ['principal.id'], name=op.f('fk_account_principal_id_principal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
    sa.UniqueConstraint('principal_id', name=op.f('uq_account_principal_id')),
    sa.UniqueConstraint('username', name=op.f('uq_account_username'))
    )
    op.create_table('alert',
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('entry_id', sa.Uuid(), nullable=False),
    sa.Column('queue', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['queue_entry.id'], name=op.f('fk_alert_entry_id_queue_entry')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_alert_referral_id_referral')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert')),
    sa.UniqueConstraint('entry_id', 'kind', name='uq_alert_entry_kind')
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_queue'), ['queue'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_referral_id'), ['referral_id'], unique=False)

    op.create_table('case_activity',
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('entry_id', sa.Uuid(), nullable=False),
    sa.Column('author_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('identity_checked', sa.Boolean(), nullable=True),
    sa.Column('consent_given', sa.Boolean(), nullable=True),
    sa.Column('text_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['principal.id'], name=op.f('fk_case_activity_author_id_principal')),
    sa.ForeignKeyConstraint(['entry_id'], ['queue_entry.id'], name=op.f('fk_case_activity_entry_id_queue_entry')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_case_activity_referral_id_referral')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_activity'))
    )
    with op.batch_alter_table('case_activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_activity_referral_id'), ['referral_id'], unique=False)

    with op.batch_alter_table('queue_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_contact_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('transferred_from', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_queue_entry_transferred_from_queue_entry'), 'queue_entry', ['transferred_from'], ['id'])

    


def downgrade() -> None:
    
    with op.batch_alter_table('queue_entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_queue_entry_transferred_from_queue_entry'), type_='foreignkey')
        batch_op.drop_column('transferred_from')
        batch_op.drop_column('first_contact_at')

    with op.batch_alter_table('case_activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_activity_referral_id'))

    op.drop_table('case_activity')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_referral_id'))
        batch_op.drop_index(batch_op.f('ix_alert_queue'))

    op.drop_table('alert')
    op.drop_table('account')
    op.drop_table('team_address')
    
