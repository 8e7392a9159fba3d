"""browser sessions in the database; who acknowledged an alert

`web_session`: the console's and the agency form's signed-in sessions (api/web/sessions.py), found by a
hash of the session id, so several api processes share them and a restart signs nobody out.
`alert.cleared_by`: the person (principal) who acknowledged an alert; `cleared_at` is when.

Revision ID: 4b7e2d9c1a58
Revises: 6b2d9f4e1a73
Create Date: 2026-12-07 14:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '4b7e2d9c1a58'
down_revision: str | None = '6b2d9f4e1a73'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('web_session',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('surface', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('idle_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_web_session'))
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_session_idle_until'), ['idle_until'], unique=False)
        batch_op.create_index('ix_web_session_surface_subject', ['surface', 'subject_id'], unique=False)

    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cleared_by', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_alert_cleared_by_principal'), 'principal', ['cleared_by'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_alert_cleared_by_principal'), type_='foreignkey')
        batch_op.drop_column('cleared_by')

    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index('ix_web_session_surface_subject')
        batch_op.drop_index(batch_op.f('ix_web_session_idle_until'))
        batch_op.drop_index(batch_op.f('ix_web_session_expires_at'))

    op.drop_table('web_session')
