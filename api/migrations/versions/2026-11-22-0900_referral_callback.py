"""referral: the call-back window the person chose in the chat

Revision ID: 5e8b3c1d7a26
Revises: bd43926f2b93
Create Date: 2026-11-22 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '5e8b3c1d7a26'
down_revision: str | None = 'bd43926f2b93'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('callback_from', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('callback_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_column('callback_until')
        batch_op.drop_column('callback_from')
