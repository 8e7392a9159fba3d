"""conversation: how its language was set, and whether the language menu is open

Revision ID: 7c1e5a2f9d40
Revises: 3a6dc9f97bee
Create Date: 2026-11-21 22:15:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '7c1e5a2f9d40'
down_revision: str | None = '3a6dc9f97bee'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language_source', sa.String(length=8), server_default='default', nullable=False))
        batch_op.add_column(sa.Column('language_menu_open', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_column('language_menu_open')
        batch_op.drop_column('language_source')
