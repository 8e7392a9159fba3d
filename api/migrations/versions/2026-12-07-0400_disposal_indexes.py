"""indexes that disposal and erasure need: the foreign keys to queue_entry, and SMS rows by conversation

Revision ID: 8a3c5e7f9b21
Revises: 5d1e8b3a9c27
Create Date: 2026-12-07 04:00:00+00:00

Deleting a queue entry makes the database check every foreign key that points at it; without an index on
`queue_entry.transferred_from` and `case_activity.entry_id`, SQLite scans the whole table once per deleted
row, so disposal slowed down as the tables grew (load/bench_retention.py). Disposal also deletes SMS rows by
conversation.
"""

from collections.abc import Sequence

from alembic import op


revision: str = '8a3c5e7f9b21'
down_revision: str | None = '5d1e8b3a9c27'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ('queue_entry', 'transferred_from'),
    ('case_activity', 'entry_id'),
    ('sms_inbound', 'conversation_id'),
    ('sms_outbound', 'conversation_id'),
)


def upgrade() -> None:
    for table, column in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)


def downgrade() -> None:
    for table, column in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))
