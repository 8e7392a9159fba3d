"""phone_check: one-time codes that confirm a person's number from the chat (hash, expiry, attempts)

Revision ID: 4c7e2a9d1f63
Revises: c4e9a1f7d305
Create Date: 2026-12-07 16:00:00+00:00

The contact details' provenance is kept inside the sealed `person` of each referral, so it needs no column;
referrals stored before it read as unverified, by their source (api/intake/contact_checks.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '4c7e2a9d1f63'
down_revision: str | None = 'c4e9a1f7d305'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('phone_check',
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('outbound_id', sa.Uuid(), nullable=True),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_phone_check_referral_id_referral')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_check'))
    )
    with op.batch_alter_table('phone_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phone_check_referral_id'), ['referral_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('phone_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phone_check_referral_id'))
    op.drop_table('phone_check')
