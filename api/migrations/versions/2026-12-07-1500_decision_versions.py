"""decision versions: later triage decisions kept beside the first

Revision ID: c4e9a1f7d305
Revises: 4b7e2d9c1a58
Create Date: 2026-12-07 15:00:00+00:00

A returned case re-triaged by a team lead with a changed input keeps its new decision here, versioned, beside
the referral's first decision (which is never overwritten): the input and the decision sealed, the routing
fields in clear, who decided, when and why (api/intake/retriage.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'c4e9a1f7d305'
down_revision: str | None = '4b7e2d9c1a58'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('decision_version',
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Uuid(), nullable=False),
    sa.Column('decided_by', sa.Uuid(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('changed', sa.JSON(), nullable=False),
    sa.Column('triage_input_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('decision_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('rules_version', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('queue', sa.String(length=32), nullable=True),
    sa.Column('secondary_queue', sa.String(length=32), nullable=True),
    sa.Column('tier', sa.String(length=16), nullable=True),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['principal.id'], name=op.f('fk_decision_version_decided_by_principal')),
    sa.ForeignKeyConstraint(['entry_id'], ['queue_entry.id'], name=op.f('fk_decision_version_entry_id_queue_entry')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_decision_version_referral_id_referral')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_version')),
    sa.UniqueConstraint('referral_id', 'version', name=op.f('uq_decision_version_referral_id'))
    )
    with op.batch_alter_table('decision_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_version_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_decision_version_referral_id'), ['referral_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('decision_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_version_referral_id'))
        batch_op.drop_index(batch_op.f('ix_decision_version_entry_id'))

    op.drop_table('decision_version')
