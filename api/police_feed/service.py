"""Importing the police daily feed: each good row becomes a referral under `lawful_basis` `police_referral`.

Each good row is stored in its own transaction, by the same `intake.service.store` that stores the bot's
and agencies' referrals (so sealing, the blind index, triage and queueing are the same code). Why one
transaction per row rather than one for the file:

- a row refused by the database (a crime reference imported a moment ago by a concurrent import) costs only
  that row, and is reported as a duplicate;
- an interrupted import keeps the rows already done, and re-running the file is safe because a crime
  reference is never imported twice (checked in the row's transaction, and backed by the unique
  `referral.external_ref_index`: the crime reference is sealed, and found by its blind index, trimmed and
  upper-cased);
- on SQLite every transaction holds the single write lock, so short per-row transactions let the bot and
  agencies keep creating referrals while a large file is imported.

So this service commits (row by row), unlike the others, which only flush; it must start with no
transaction open on the session.

The receipt of a police referral records the lawful basis honestly: kind `grant` (the record that lets us
hold the case), `lawful_basis` `police_referral`, no consent purposes and no wording (nothing was shown to
the person), `given_by` `police`, channel `police_feed`, language `und` (not known), given at the date the
referral was received. Consent is sought at first contact (triage flags `consent_to_seek`). The officer and
station are details of the referral, sealed with its answers, not a referrer on the receipt.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.audit import service as audit
from api.auth import Caller
from api.consent.models import ConsentReceipt
from api.intake import service as intake
from api.kit.crypto import Vault
from api.kit.time import as_utc
from api.police_feed.csv_format import Feed, FeedRow
from api.police_feed.schemas import ImportedRow, ImportSummary, RowError
from api.referral import service as referral_service
from api.triage import evaluate

logger = logging.getLogger("api.police_feed")

SOURCE = "police_feed"
GIVEN_BY = "police"
UNKNOWN_LANGUAGE = "und"  # ISO 639-2 "undetermined": the feed does not say which language the person uses
REFERRAL_LANGUAGE = "en"  # the language the referral arrived in; the person confirms theirs at first contact


def _receipt(row: FeedRow) -> ConsentReceipt:
    return ConsentReceipt(
        kind="grant",
        lawful_basis="police_referral",
        purposes=[],
        wording_versions=[],
        language=UNKNOWN_LANGUAGE,
        channel=SOURCE,
        given_by=GIVEN_BY,
        given_at=as_utc(row.triage_input.received_at),
        conversation_id=None,
    )


async def _store_row(
    session: AsyncSession, vault: Vault, row: FeedRow, importer: Caller, created_by: uuid.UUID | None
) -> str | None:
    """The row's own transaction: None when its crime reference is already imported, else the reference."""
    async with session.begin():
        if await referral_service.external_ref_exists(session, vault, row.crime_reference):
            return None
        referral = await intake.store(
            session,
            vault,
            source=SOURCE,
            created_by=created_by,
            conversation_id=None,
            language=REFERRAL_LANGUAGE,
            receipt=_receipt(row),
            referrer=None,
            person=row.person,
            answers={**row.answers, "crime_reference": row.crime_reference},
            triage_input=row.triage_input,
            decision=evaluate(row.triage_input),
            external_ref=row.crime_reference,
        )
        await audit.record(session, importer, "referral.import", referral.id, SOURCE)
        return referral.reference


async def import_feed(
    session: AsyncSession, vault: Vault, feed: Feed, importer: Caller, created_by: uuid.UUID | None
) -> ImportSummary:
    """Store every good row of a parsed feed, one transaction each; report per row. See the module doc."""
    if session.in_transaction():
        raise RuntimeError("import_feed commits row by row: start it with no transaction open")
    imported: list[ImportedRow] = []
    duplicates: list[int] = []
    seen: set[str] = set()
    for row in feed.rows:
        normalised = referral_service.normalised_external_ref(row.crime_reference)
        if normalised in seen:
            duplicates.append(row.row)
            continue
        seen.add(normalised)
        try:
            reference = await _store_row(session, vault, row, importer, created_by)
        except IntegrityError:
            # A concurrent import stored the same crime reference between our check and our insert.
            async with session.begin():
                if not await referral_service.external_ref_exists(session, vault, row.crime_reference):
                    raise
            reference = None
        if reference is None:
            duplicates.append(row.row)
        else:
            imported.append(ImportedRow(row=row.row, reference=reference))
    summary = ImportSummary(
        rows=feed.data_rows,
        imported=len(imported),
        duplicates=len(duplicates),
        errors=feed.rejected_rows,
        imported_rows=imported,
        duplicate_rows=duplicates,
        row_errors=[RowError(row=p.row, column=p.column, problem=p.problem) for p in feed.problems],
    )
    logger.info(
        "police feed imported",
        extra={
            "rows": summary.rows,
            "imported": summary.imported,
            "duplicates": summary.duplicates,
            "rejected": summary.errors,
        },
    )
    return summary
