"""`python -m api rights find|export|rectify|erase`: the data-protection officer's requests from a shell,
the same service as `/v1/rights/*`. The audit trail names the actor as the data-protection operator.

Exit 0 done; 1 nothing held, or erasure refused (the reason on stderr); 2 a request that cannot be one.
Output is JSON on stdout (for `export --document`, the readable document)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Caller
from api.config import Settings, get_settings
from api.db import create_engine, create_sessionmaker
from api.errors import AppError
from api.i18n import Translator
from api.kit.crypto import Vault
from api.principal.models import PrincipalKind
from api.retention import disposal
from api.rights import document, service
from api.rights.schemas import ErasureRequest, ExportRequest, RectifiableField, Rectification, Subject

# Shell access to the server, acting in the data-protection role.
DATA_PROTECTION_OPERATOR = Caller(uuid.UUID(int=3), PrincipalKind.data_protection, "data-protection command")

T = TypeVar("T")
BOOLEAN_WORDS = {"yes": True, "true": True, "no": False, "false": False}


def add_parser(sub: Any) -> None:
    rights = sub.add_parser("rights", help="subject rights (data protection)").add_subparsers(
        dest="action", required=True
    )
    for name, help_text in (("find", "what is held about a person"), ("export", "a subject access export")):
        command = rights.add_parser(name, help=help_text)
        who = command.add_mutually_exclusive_group(required=True)
        who.add_argument("--phone")
        who.add_argument("--email")
        who.add_argument("--reference")
        who.add_argument("--crime-reference")
        if name == "export":
            command.add_argument("--language", help="the document's language (default: the person's)")
            command.add_argument("--document", action="store_true", help="print only the readable document")
    rectify = rights.add_parser("rectify", help="correct one contact detail of a case")
    rectify.add_argument("--reference", required=True)
    rectify.add_argument("--field", required=True, choices=[f.value for f in RectifiableField])
    value = rectify.add_mutually_exclusive_group(required=True)
    value.add_argument("--value")
    value.add_argument("--clear", action="store_true", help="remove the field")
    erase = rights.add_parser("erase", help="erase a case at the person's request")
    erase.add_argument("--reference", required=True)


async def _in_transaction(settings: Settings, work: Callable[[AsyncSession, Vault], Awaitable[T]]) -> T:
    vault = Vault(settings.encryption_key_ring(), settings.blind_index_key.get_secret_value().encode())
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await work(session, vault)
    finally:
        await engine.dispose()


def _subject(args: argparse.Namespace) -> dict[str, Any]:
    return {
        k: v
        for k, v in (
            ("phone", args.phone),
            ("email", args.email),
            ("reference", args.reference),
            ("crime_reference", args.crime_reference),
        )
        if v is not None
    }


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    caller = DATA_PROTECTION_OPERATOR
    try:
        if args.action == "find":
            subject = Subject.model_validate(_subject(args))
            counts = asyncio.run(
                _in_transaction(settings, lambda s, v: service.find(s, v, settings, caller, subject))
            )
            print(counts.model_dump_json(indent=2))
            return 0
        if args.action == "export":
            request = ExportRequest.model_validate({**_subject(args), "language": args.language})
            held, data = asyncio.run(
                _in_transaction(settings, lambda s, v: service.export(s, v, settings, caller, request))
            )
            translator = Translator(settings.locales_dir, settings.default_locale)
            language = translator.supported(
                request.language or (held.referrals[-1].language if held.referrals else None)
            )
            text = document.render(translator, data, language)
            if args.document:
                print(text, end="")
            else:
                print(
                    json.dumps(
                        {"language": language, "data": data, "document": text}, ensure_ascii=False, indent=2
                    )
                )
            return 0
        if args.action == "rectify":
            raw: str | bool | None = None if args.clear else args.value
            if args.field in ("sms_safe", "voicemail_safe") and isinstance(raw, str):
                raw = BOOLEAN_WORDS.get(raw.lower(), raw)
            body = Rectification.model_validate(
                {"reference": args.reference, "field": args.field, "value": raw}
            )
            asyncio.run(_in_transaction(settings, lambda s, v: service.rectify(s, v, settings, caller, body)))
            print(json.dumps({"reference": body.reference, "field": str(body.field)}))
            return 0
        erasure = ErasureRequest.model_validate({"reference": args.reference})
        outcome = asyncio.run(
            _in_transaction(settings, lambda s, v: service.erase(s, settings, caller, erasure.reference))
        )
        if outcome.refused is not None:
            print(f"rights erase: refused: {outcome.refused}", file=sys.stderr)
            return 1
        asyncio.run(disposal.truncate_logs(settings))
        print(json.dumps({"reference": outcome.reference, "removed": outcome.removed}))
        return 0
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "request" for e in exc.errors())
        print(f"rights {args.action}: not a valid request ({fields})", file=sys.stderr)
        return 2
    except AppError as exc:
        print(f"rights {args.action}: {exc.error}", file=sys.stderr)
        return 2 if exc.status_code == 422 else 1
