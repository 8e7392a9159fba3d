"""Alerts: the worker raises them (emergency, safeguarding, call-back window, deadline), the console shows
them, and the e-mail to the team address reaches a real SMTP server (aiosmtpd, started here) with the
case reference and a link only: a canary scan of every message finds none of the person's data."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session
from fastapi import FastAPI
from sqlalchemy import select

from api.alerts import service as alerts
from api.alerts.models import Alert, AlertKind
from api.alerts.settings import AlertSettings
from api.kit.models import utcnow
from api.queue.models import QueueEntry
from api.referral.models import Referral
from api.worker.__main__ import mail_alerts, run_once
from tests.api.console.conftest import make_account, sign_in
from tests.builders import create_referral, referral_payload

CANARY_NAME = "Canaryname Zqxwv"
CANARY_PHONE = "07700 900987"
CANARY_WORDS = "Synthetic canary: zqxwv-incident-words"
CANARY_TIMES = "Synthetic canary: zqxwv-safe-times"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, bytes]] = []

    async def handle_DATA(self, _server: object, _session: Session, envelope: Envelope) -> str:
        self.messages.append((envelope, bytes(envelope.content or b"")))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def emergency(**person: object) -> dict[str, object]:
    return referral_payload(
        person={
            "name": CANARY_NAME,
            "phone": CANARY_PHONE,
            "sms_safe": False,
            "safe_times": CANARY_TIMES,
            **person,
        },
        answers={"incident_description": CANARY_WORDS, "hate_strand": "race"},
        triage={
            "incident_type": "hate",
            "hate_strands": ["race"],
            "consent": "given",
            "immediate_danger": "yes",
        },
    )


async def set_address(app: FastAPI, queue: str, email: str) -> None:
    from api.triage.schemas import Queue

    async with app.state.sessionmaker() as session, session.begin():
        await alerts.set_team_address(session, Queue(queue), email)


async def raised(app: FastAPI) -> list[Alert]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(Alert)))


class TestRaising:
    async def test_emergency_is_raised_once(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        await create_referral(client, bot_headers, emergency())
        await create_referral(client, bot_headers)  # a normal case: no alert yet (deadline days away)
        await run_once(app.state.sessionmaker, AlertSettings(_env_file=None))
        await run_once(app.state.sessionmaker, AlertSettings(_env_file=None))
        kinds = sorted(str(a.kind) for a in await raised(app))
        assert kinds.count("emergency") == 1

    async def test_deadline_about_to_be_missed(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        created = await create_referral(client, bot_headers)
        async with app.state.sessionmaker() as session, session.begin():
            entry = await session.scalar(
                select(QueueEntry).join(Referral).where(Referral.reference == created["reference"])
            )
            assert entry is not None
            entry.deadline = utcnow() + timedelta(minutes=30)
        await run_once(app.state.sessionmaker, AlertSettings(_env_file=None, alert_deadline_lead_minutes=60))
        assert [a.kind for a in await raised(app)] == [AlertKind.deadline]

    async def test_callback_window_about_to_start(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        created = await create_referral(client, bot_headers)
        async with app.state.sessionmaker() as session, session.begin():
            referral = await session.scalar(
                select(Referral).where(Referral.reference == created["reference"])
            )
            assert referral is not None
            referral.callback_from = utcnow() + timedelta(minutes=10)
            referral.callback_until = utcnow() + timedelta(minutes=70)
        await run_once(app.state.sessionmaker, AlertSettings(_env_file=None, alert_callback_lead_minutes=15))
        assert [a.kind for a in await raised(app)] == [AlertKind.callback_window]

    async def test_child_safeguarding(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        payload = referral_payload(
            triage={
                "incident_type": "hate",
                "hate_strands": ["race"],
                "consent": "given",
                "child_safeguarding_concern": True,
                "age_years": 12,
            }
        )
        await create_referral(client, bot_headers, payload)
        await run_once(app.state.sessionmaker, AlertSettings(_env_file=None))
        assert AlertKind.safeguarding in {a.kind for a in await raised(app)}


class TestShownAndSent:
    async def test_the_console_shows_it_and_the_team_gets_an_email_without_personal_data(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        bot_headers: dict[str, str],
        smtp: tuple[Inbox, int],
    ) -> None:
        inbox, port = smtp
        created = await create_referral(client, bot_headers, emergency())
        await set_address(app, "hate_crime", "hate-crime-team@example.org")
        # No deadline lead: an emergency received 15:00-17:00 on a working day is due at 17:00, so its
        # deadline alert would join the emergency one depending on the hour the tests run.
        settings = AlertSettings(
            _env_file=None, alert_deadline_lead_minutes=0, smtp_host="127.0.0.1", smtp_port=port
        )
        await run_once(app.state.sessionmaker, settings)

        caseworker = await make_account(app, "caseworker", ["hate_crime"])
        await sign_in(browser, caseworker)
        home = await browser.get("/console")
        assert "Emergency case" in home.text and created["reference"] in home.text

        sent = await mail_alerts(app.state.sessionmaker, settings, "https://console.example.org")
        assert sent == 1
        assert await mail_alerts(app.state.sessionmaker, settings, "https://console.example.org") == 0  # once
        await asyncio.sleep(0)
        assert len(inbox.messages) == 1
        envelope, raw = inbox.messages[0]
        assert envelope.rcpt_tos == ["hate-crime-team@example.org"]
        mail: Message = message_from_bytes(raw)
        body = mail.get_payload(decode=True)
        assert isinstance(body, bytes)
        text = body.decode()
        assert created["reference"] in text and created["reference"] in str(mail["Subject"])
        assert "https://console.example.org/console/cases/" in text
        for canary in (CANARY_NAME, CANARY_PHONE, "900987", CANARY_WORDS, CANARY_TIMES, "emergency"):
            assert canary.lower() not in raw.decode(errors="replace").lower(), canary

    async def test_no_address_no_mail_and_a_down_server_is_retried(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str], smtp: tuple[Inbox, int]
    ) -> None:
        inbox, port = smtp
        await create_referral(client, bot_headers, emergency())
        down = AlertSettings(
            _env_file=None, alert_deadline_lead_minutes=0, smtp_host="127.0.0.1", smtp_port=free_port()
        )
        await run_once(app.state.sessionmaker, down)
        assert await mail_alerts(app.state.sessionmaker, down, "https://x.example") == 0  # no team address
        await set_address(app, "hate_crime", "team@example.org")
        assert await mail_alerts(app.state.sessionmaker, down, "https://x.example") == 0  # refused: kept
        up = AlertSettings(
            _env_file=None, alert_deadline_lead_minutes=0, smtp_host="127.0.0.1", smtp_port=port
        )
        assert await mail_alerts(app.state.sessionmaker, up, "https://x.example") == 1
        assert len(inbox.messages) == 1
