"""Builders for the rights tests: people with their own canary strings, made through the API (and the SMS
tables as the SMS layer fills them), and a data-protection officer's token. Synthetic data only."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.kit.crypto import Vault
from api.referral.models import Referral
from api.sms.identity import contact_aad, conversation_id_for, inbound_aad, phone_index_for
from api.sms.models import InboundStatus, SmsContact, SmsInbound
from tests.builders import bearer, create_principal, create_referral, referral_payload


@dataclass
class Person:
    """One synthetic person: their phone, e-mail, the references of their cases, and the canaries (strings
    only they ever said) that must show in their export and nowhere else."""

    tag: str
    phone: str
    email: str
    references: list[str] = field(default_factory=list)
    conversations: list[str] = field(default_factory=list)

    @property
    def canaries(self) -> list[str]:
        return [
            f"{self.tag}-name",
            f"{self.tag}-web-story",
            f"{self.tag}-sms-story",
            f"{self.tag}-sms-body",
            f"{self.tag}-typed-in-chat",
            f"{self.tag}-typed-by-text",
        ]


async def dpo_headers(app: FastAPI) -> dict[str, str]:
    return bearer(await create_principal(app, "data_protection", "Synthetic data-protection officer"))


async def make_person(
    app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str], tag: str, phone: str, **triage: Any
) -> Person:
    """A web chat referral (phone, e-mail, name) and an SMS referral from the same number, with the SMS
    contact row and one inbound text still holding its body."""
    person = Person(tag, phone, f"{tag.lower()}@example.org")
    vault: Vault = app.state.vault
    web = referral_payload(
        person={"phone": phone, "email": person.email.upper(), "name": f"{tag}-name", "sms_safe": True},
        answers={"incident_description": f"Synthetic: {tag}-web-story", "hate_strand": "race"},
        language="pl",
    )
    web["triage"].update(triage)
    sms_conversation = conversation_id_for(vault, phone)
    sms = referral_payload(
        source="sms",
        conversation_id=sms_conversation,
        person={"phone": phone, "sms_safe": True},
        answers={"incident_description": f"Synthetic: {tag}-sms-story"},
    )
    for payload in (web, sms):
        created = await create_referral(client, bot_headers, payload)
        person.references.append(created["reference"])
        person.conversations.append(payload["conversation_id"])
    e164 = "+44" + phone.replace(" ", "")[1:]
    async with app.state.sessionmaker() as session, session.begin():
        session.add(
            SmsContact(
                conversation_id=sms_conversation,
                phone_index=phone_index_for(vault, e164),
                phone_sealed=vault.cipher.seal(e164.encode(), contact_aad(sms_conversation).encode()),
            )
        )
        sid = "SM" + tag.encode().hex().ljust(32, "0")[:32]
        session.add(
            SmsInbound(
                message_sid=sid,
                conversation_id=sms_conversation,
                sender_number="+447700900000",
                body_sealed=vault.cipher.seal(
                    f"Synthetic {tag}-sms-body".encode(), inbound_aad(sid).encode()
                ),
                status=InboundStatus.received,
            )
        )
    tracker_events(
        Path(app.state.settings.rasa_tracker_db),
        {
            person.conversations[0]: f"Synthetic {tag}-typed-in-chat",
            sms_conversation: f"Synthetic {tag}-typed-by-text",
        },
    )
    return person


def tracker_events(path: Path, said: dict[str, str]) -> None:
    """Rasa's tracker store as Rasa 3.6's SQLTrackerStore lays it out: per conversation, what the person
    typed and a bot reply (and an event that is neither, which is not a message)."""
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
            "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)"
        )
        for sender, text in said.items():
            for kind, data in (
                ("user", {"text": text}),
                ("slot", {"name": "language", "value": "en"}),
                ("bot", {"text": "Synthetic bot reply"}),
            ):
                db.execute(
                    "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, 1.0, ?)",
                    (sender, kind, json.dumps(data)),
                )


async def referral_row(app: FastAPI, reference: str) -> Referral | None:
    async with app.state.sessionmaker() as session:
        return await session.scalar(select(Referral).where(Referral.reference == reference))


async def audit_events(app: FastAPI) -> list[AuditEvent]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
