"""principal: an expiry, and whether an agency may refer without consent (set by an admin)

Revision ID: 5d1e8b3a9c27
Revises: 5d1f0c7a9e21
Create Date: 2026-12-07 03:00:00+00:00

Existing principals get no expiry and may not refer without consent: an admin grants it per agency with
`python -m api principal update ID --may-refer-without-consent yes`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '5d1e8b3a9c27'
down_revision: str | None = '5d1f0c7a9e21'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('principal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column('may_refer_without_consent', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('principal', schema=None) as batch_op:
        batch_op.drop_column('may_refer_without_consent')
        batch_op.drop_column('expires_at')
