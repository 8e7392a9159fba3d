"""referral: seal the triage input, the decision and the crime reference; per-case keys for receipts

Revision ID: 7c2f4e9a1b30
Revises: 5e8b3c1d7a26
Create Date: 2026-12-07 01:00:00+00:00

The data is sealed here, in the migration (not later by `keys rotate`): no plain copy of special-category
data survives the upgrade. It needs the api's keys (ENCRYPTION_KEYS, BLIND_INDEX_KEY, from the same
settings the api reads) only when the database already holds referrals; an empty database migrates
without them. For every existing referral:

- `triage_input` and `decision` (plain JSON) are sealed whole into `triage_input_sealed` and
  `decision_sealed`; the decision's `secondary_queue` and `flags` are copied to clear columns;
- `external_ref` (the police crime reference) is sealed into `external_ref_sealed` and found by its blind
  index `external_ref_index` (trimmed, upper case), unique as `external_ref` was;
- a per-case key is made (`case_key`), and the consent receipt's referrer, sealed by the vault until now,
  is re-sealed with it, so disposal can erase it by destroying the key. Receipts are append-only: the
  trigger refusing UPDATE on `consent_receipt` is lifted for that one statement per row, inside this
  migration's transaction, and put back before it commits.

Then the plain columns are dropped. The downgrade reverses all of it (and needs the keys too).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '7c2f4e9a1b30'
down_revision: str | None = '5e8b3c1d7a26'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500

referral = sa.table(
    'referral',
    sa.column('id', sa.Uuid()),
    sa.column('consent_receipt_id', sa.Uuid()),
    sa.column('triage_input', sa.JSON()),
    sa.column('decision', sa.JSON()),
    sa.column('external_ref', sa.String()),
    sa.column('triage_input_sealed', sa.LargeBinary()),
    sa.column('decision_sealed', sa.LargeBinary()),
    sa.column('external_ref_index', sa.String()),
    sa.column('external_ref_sealed', sa.LargeBinary()),
    sa.column('secondary_queue', sa.String()),
    sa.column('flags', sa.JSON()),
)
receipt = sa.table(
    'consent_receipt',
    sa.column('id', sa.Uuid()),
    sa.column('referrer_sealed', sa.LargeBinary()),
)
case_key = sa.table(
    'case_key',
    sa.column('referral_id', sa.Uuid()),
    sa.column('consent_receipt_id', sa.Uuid()),
    sa.column('wrapped', sa.LargeBinary()),
    sa.column('created_at', sa.DateTime(timezone=True)),
)


def _vault() -> Any:
    from api.config import get_settings
    from api.kit.crypto import Vault

    settings = get_settings()
    return Vault(settings.encryption_key_ring(), settings.blind_index_key.get_secret_value().encode())


def _aad(referral_id: uuid.UUID, what: str) -> bytes:
    return f"referral:{referral_id}:{what}".encode()


def _referrer_aad(referral_id: uuid.UUID) -> bytes:
    return f"consent:{referral_id}:referrer".encode()


def _case_key_aad(referral_id: uuid.UUID) -> bytes:
    return f"case_key:{referral_id}".encode()


def _seal_json(cipher: Any, value: Any, aad: bytes) -> bytes:
    sealed: bytes = cipher.seal(json.dumps(value, ensure_ascii=False, sort_keys=True).encode(), aad)
    return sealed


def _receipt_updates(allowed: bool) -> None:
    """Lift (allowed) or restore the append-only refusal of UPDATE on consent_receipt (DELETE stays refused)."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"ALTER TABLE consent_receipt {'DISABLE' if allowed else 'ENABLE'} TRIGGER consent_receipt_append_only")
        return
    if allowed:
        op.execute("DROP TRIGGER IF EXISTS consent_receipt_no_update")
    else:
        op.execute(
            "CREATE TRIGGER consent_receipt_no_update BEFORE UPDATE ON consent_receipt "
            "BEGIN SELECT RAISE(ABORT, 'consent_receipt is append-only'); END"
        )


def _rows(bind: sa.Connection, *columns: Any) -> list[Any]:
    return list(bind.execute(sa.select(*columns).order_by(referral.c.id)).all())


def _seal_existing() -> None:
    from api.kit.models import utcnow

    bind = op.get_bind()
    rows = _rows(
        bind, referral.c.id, referral.c.consent_receipt_id, referral.c.triage_input, referral.c.decision,
        referral.c.external_ref,
    )
    if not rows:
        return
    vault = _vault()
    cipher = vault.cipher
    receipts_touched = False
    for row in rows:
        decision = row.decision if isinstance(row.decision, dict) else json.loads(row.decision or '{}')
        triage_input = row.triage_input if isinstance(row.triage_input, dict) else json.loads(row.triage_input or '{}')
        values: dict[str, Any] = {
            'triage_input_sealed': _seal_json(cipher, triage_input, _aad(row.id, 'triage_input')),
            'decision_sealed': _seal_json(cipher, decision, _aad(row.id, 'decision')),
            'secondary_queue': decision.get('secondary_queue'),
            'flags': list(decision.get('flags') or []),
        }
        if row.external_ref is not None:
            values['external_ref_index'] = vault.index.of('crime_reference', row.external_ref.strip().upper())
            values['external_ref_sealed'] = cipher.seal(row.external_ref.encode(), _aad(row.id, 'external_ref'))
        bind.execute(sa.update(referral).where(referral.c.id == row.id).values(values))

        key = os.urandom(32)
        bind.execute(
            sa.insert(case_key).values(
                referral_id=row.id,
                consent_receipt_id=row.consent_receipt_id,
                wrapped=cipher.seal(key, _case_key_aad(row.id)),
                created_at=utcnow(),
            )
        )
        referrer = bind.scalar(sa.select(receipt.c.referrer_sealed).where(receipt.c.id == row.consent_receipt_id))
        if referrer is None:
            continue
        from api.kit.crypto import FieldCipher

        if not receipts_touched:
            _receipt_updates(allowed=True)
            receipts_touched = True
        plain = cipher.open(referrer, _referrer_aad(row.id))
        bind.execute(
            sa.update(receipt)
            .where(receipt.c.id == row.consent_receipt_id)
            .values(referrer_sealed=FieldCipher([key]).seal(plain, _referrer_aad(row.id)))
        )
    if receipts_touched:
        _receipt_updates(allowed=False)


def upgrade() -> None:
    op.create_table('case_key',
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('consent_receipt_id', sa.Uuid(), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('referral_id', name=op.f('pk_case_key'))
    )
    with op.batch_alter_table('case_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_key_consent_receipt_id'), ['consent_receipt_id'], unique=False)

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('triage_input_sealed', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('decision_sealed', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('external_ref_index', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('external_ref_sealed', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('secondary_queue', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('flags', sa.JSON(), nullable=True))

    _seal_existing()

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.alter_column('triage_input_sealed', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column('decision_sealed', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column('flags', existing_type=sa.JSON(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_referral_external_ref_index'), ['external_ref_index'])
        batch_op.drop_constraint(batch_op.f('uq_referral_external_ref'), type_='unique')
        batch_op.drop_column('external_ref')
        batch_op.drop_column('decision')
        batch_op.drop_column('triage_input')


def _open_existing() -> None:
    bind = op.get_bind()
    rows = _rows(
        bind, referral.c.id, referral.c.consent_receipt_id, referral.c.triage_input_sealed,
        referral.c.decision_sealed, referral.c.external_ref_sealed,
    )
    if not rows:
        return
    from api.kit.crypto import FieldCipher

    cipher = _vault().cipher
    receipts_touched = False
    for row in rows:
        values: dict[str, Any] = {
            'triage_input': json.loads(cipher.open(row.triage_input_sealed, _aad(row.id, 'triage_input'))),
            'decision': json.loads(cipher.open(row.decision_sealed, _aad(row.id, 'decision'))),
            'external_ref': (
                cipher.open(row.external_ref_sealed, _aad(row.id, 'external_ref')).decode()
                if row.external_ref_sealed is not None
                else None
            ),
        }
        bind.execute(sa.update(referral).where(referral.c.id == row.id).values(values))
        wrapped = bind.scalar(sa.select(case_key.c.wrapped).where(case_key.c.referral_id == row.id))
        referrer = bind.scalar(sa.select(receipt.c.referrer_sealed).where(receipt.c.id == row.consent_receipt_id))
        if wrapped is None or referrer is None:
            continue  # destroyed (erased): nothing to give back
        if not receipts_touched:
            _receipt_updates(allowed=True)
            receipts_touched = True
        key = cipher.open(wrapped, _case_key_aad(row.id))
        plain = FieldCipher([key]).open(referrer, _referrer_aad(row.id))
        bind.execute(
            sa.update(receipt)
            .where(receipt.c.id == row.consent_receipt_id)
            .values(referrer_sealed=cipher.seal(plain, _referrer_aad(row.id)))
        )
    if receipts_touched:
        _receipt_updates(allowed=False)


def downgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('triage_input', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('decision', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('external_ref', sa.VARCHAR(length=64), nullable=True))

    _open_existing()

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.alter_column('triage_input', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('decision', existing_type=sa.JSON(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_referral_external_ref'), ['external_ref'])
        batch_op.drop_constraint(batch_op.f('uq_referral_external_ref_index'), type_='unique')
        batch_op.drop_column('flags')
        batch_op.drop_column('secondary_queue')
        batch_op.drop_column('external_ref_sealed')
        batch_op.drop_column('external_ref_index')
        batch_op.drop_column('decision_sealed')
        batch_op.drop_column('triage_input_sealed')

    with op.batch_alter_table('case_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_key_consent_receipt_id'))

    op.drop_table('case_key')
