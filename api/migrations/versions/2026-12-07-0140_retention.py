"""retention: each referral's class and clock, legal hold, closure; transcripts purged; anonymous counters

Existing referrals get the class their state gives (signposting, withdrawn, not taken up) and their clock
starts at receipt (withdrawal for withdrawn ones); disposal reclassifies taken-up cases on its first run.

Revision ID: 7c41d2e9a053
Revises: 5e8b3c1d7a26
Create Date: 2026-12-07 01:40:49.867245+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '7c41d2e9a053'
down_revision: str | None = '7c2f4e9a1b30'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('stats_count',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('queue', sa.String(length=32), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('age_band', sa.String(length=16), nullable=False),
    sa.Column('hate_strand', sa.String(length=120), nullable=False),
    sa.Column('area', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'event', 'source', 'channel', 'language', 'queue', 'tier', 'priority', 'outcome', 'age_band', 'hate_strand', 'area', name=op.f('pk_stats_count'))
    )
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transcript_purged_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_class', sa.String(length=32), server_default='not_taken_up', nullable=False))
        batch_op.add_column(sa.Column('retention_from', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('legal_hold_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('legal_hold_reason', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_referral_retention_class'), ['retention_class'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_retention_from'), ['retention_from'], unique=False)
        batch_op.create_index('ix_referral_conversation_id', ['conversation_id'], unique=False)

    op.execute("UPDATE referral SET retention_from = received_at")
    op.execute(
        "UPDATE referral SET retention_class = 'signposting' "
        "WHERE outcome <> 'referred' OR queue IS NULL OR queue = 'signpost_other'"
    )
    op.execute("UPDATE referral SET retention_class = 'withdrawn', retention_from = withdrawn_at "
               "WHERE withdrawn_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_conversation_id')
        batch_op.drop_index(batch_op.f('ix_referral_retention_from'))
        batch_op.drop_index(batch_op.f('ix_referral_retention_class'))
        batch_op.drop_column('legal_hold_reason')
        batch_op.drop_column('legal_hold_at')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('retention_from')
        batch_op.drop_column('retention_class')

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_column('transcript_purged_at')

    op.drop_table('stats_count')
