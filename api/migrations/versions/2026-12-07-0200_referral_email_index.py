"""referral: the e-mail blind index, so a subject access request by e-mail finds the case

Revision ID: 7c2e9a4b1f03
Revises: 7c2f4e9a1b30
Create Date: 2026-12-07 02:00:00+00:00

Referrals stored before this revision have no e-mail index (there is no production data yet); every
referral stored from now on carries it, and rectification keeps it current.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '7c2e9a4b1f03'
down_revision: str | None = '7c41d2e9a053'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_index', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_referral_email_index'), ['email_index'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_email_index'))
        batch_op.drop_column('email_index')
