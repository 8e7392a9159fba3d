"""sms: dead letters, the bot-turn marker and the outbox's unsure-send marker (issue 15)

Revision ID: 5d1f0c7a9e21
Revises: 3f8a1c6d2b47
Create Date: 2026-12-07 03:00:00+00:00

`sms_inbound.last_error` / `dead_at`: a message whose turn failed on every attempt is kept as a dead letter
an admin can list and retry. `sms_inbound.bot_asked_at`: set before the text goes to Rasa, so a replay after
a crash asks Rasa's tracker first. `sms_outbound.unsure_since`: set while Twilio may hold the SMS, so the
next attempt reconciles with Twilio's message list instead of sending it again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '5d1f0c7a9e21'
down_revision: str | None = '3f8a1c6d2b47'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sms_inbound', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_error', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('dead_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('bot_asked_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('sms_outbound', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unsure_since', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sms_outbound', schema=None) as batch_op:
        batch_op.drop_column('unsure_since')
    with op.batch_alter_table('sms_inbound', schema=None) as batch_op:
        batch_op.drop_column('bot_asked_at')
        batch_op.drop_column('dead_at')
        batch_op.drop_column('last_error')
