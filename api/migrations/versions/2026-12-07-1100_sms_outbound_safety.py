"""sms: the outbox's safety mark, never held back by the per-number send limit (issue 15)

Revision ID: 6b2d9f4e1a73
Revises: 8a3c5e7f9b21
Create Date: 2026-12-07 11:00:00+00:00

`sms_outbound.safety`: the reply to a text that matched a danger phrase (the 999 advice) or to STOP/START.
RATE_LIMIT_SMS_OUTBOUND puts off a number's other SMS when it is reached (`reason` 'rate_limited' on a
pending row); a safety SMS is sent at once, past them. Existing rows are not safety SMS.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '6b2d9f4e1a73'
down_revision: str | None = '8a3c5e7f9b21'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sms_outbound', schema=None) as batch_op:
        batch_op.add_column(sa.Column('safety', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('sms_outbound', schema=None) as batch_op:
        batch_op.drop_column('safety')
