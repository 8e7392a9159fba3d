"""What each door sends, as plain builders with no locust import (locust patches the standard library when
imported), so the locust users, the runner and the smoke test (tests/load) build the very same requests.
Every name, number and event is synthetic; phone numbers are Ofcom's drama range."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import os
import re
import secrets
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for api.*, tests.*

import httpx
from twilio.request_validator import RequestValidator

from api.police_feed.csv_format import COLUMNS
from scenarios.journeys import LANGUAGES, Journey, journeys
from tests.builders import agency_referral_payload

# --- the agency door ------------------------------------------------------------------------------------

FLOWS = ("hate_crime", "asb")
# The consent questions whose wording an agency's system quotes (by version) with the consent it attests.
CONSENT_QUESTIONS = ("utter_ask_consent_store", "utter_ask_consent_share")


def consent_nlg_request(response: str, language: str) -> dict[str, Any]:
    """The bot's NLG request for a consent question in `language`: rendering it registers its wording."""
    return {"response": response, "tracker": {"slots": {"language": language, "journey": "hate_crime"}}}


def wording_version(text: str) -> str:
    """A consent wording's version, as the api keys it: the SHA-256 of the text shown."""
    return hashlib.sha256(text.encode()).hexdigest()


def consent_versions(http: httpx.Client, bot_token: str) -> dict[str, list[str]]:
    """Every language's consent wording versions, rendered through the api's NLG endpoint as the bot would
    (which registers them): what an agency's system quotes with the consent it attests."""
    versions: dict[str, list[str]] = {}
    for language in LANGUAGES:
        for response in CONSENT_QUESTIONS:
            reply = http.post(
                "/v1/nlg",
                json=consent_nlg_request(response, language),
                headers={"Authorization": f"Bearer {bot_token}"},
            )
            reply.raise_for_status()
            versions.setdefault(language, []).append(wording_version(reply.json()["text"]))
    return versions


def api_payload(n: int, versions: dict[str, list[str]]) -> dict[str, Any]:
    """The n-th agency referral: journeys alternate, the person's language walks through all 8; consent
    quoting the wording versions of that language (`versions`: language -> versions)."""
    language = LANGUAGES[n % len(LANGUAGES)]
    payload = agency_referral_payload(FLOWS[n % len(FLOWS)], language=language)
    payload["consent"]["language"] = language
    payload["consent"]["wording_versions"] = versions[language]
    return payload


def form_fields(n: int) -> dict[str, str]:
    """The n-th referral as the form sends it (without the page's CSRF token and nonce)."""
    language = LANGUAGES[n % len(LANGUAGES)]
    common = {
        "lang": language,
        "q_postcode": "st4 1aa",
        "q_contact_phone": "07700 900123",
        "q_sms_safe": "no",
        "person_name": "Synthetic Person",
        "person_email": "",
        "person_language": language,
        "referrer_name": "Synthetic Officer",
        "referrer_organisation": "Synthetic Homes",
        "referrer_role": "housing_officer",
        "referrer_contact": "officer@example.org",
        "consent_by": "adult",
        "attest": "yes",
    }
    if FLOWS[n % len(FLOWS)] == "hate_crime":
        return {
            **common,
            "journey": "hate_crime",
            "q_incident_description": "Synthetic load test: shouted at outside the shop",
            "q_incident_when": (date.today() - timedelta(days=3)).strftime("%d/%m/%Y"),
            "q_hate_strand": "religion",
            "q_hate_repeat": "yes",
            "q_age": "41",
        }
    return {
        **common,
        "journey": "asb",
        "q_asb_what": "noise",
        "q_asb_description": "Synthetic load test: loud music every night",
        "q_asb_how_long": "under_month",
        "q_asb_reports": "0",
        "q_asb_violence": "no",
    }


def hidden(html: str, name: str) -> str | None:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    return found.group(1) if found else None


# --- the police feed --------------------------------------------------------------------------------

KINDS = (
    {"hate_racial_indicator": "Y", "domestic_indicator": "N", "relationship_of_perpetrator": "stranger",
     "crime_description": "Synthetic: shouted at in a shop because of their race",
     "crime_type": "Public order",
     "aggravating_factors": "repeat_victim"},
    {"hate_racial_indicator": "N", "domestic_indicator": "Y", "relationship_of_perpetrator": "partner",
     "crime_description": "Synthetic: partner threatened them at home", "crime_type": "Assault",
     "aggravating_factors": "children_present"},
    {"hate_racial_indicator": "N", "domestic_indicator": "N", "relationship_of_perpetrator": "neighbour",
     "crime_description": "Synthetic: neighbours playing loud music every night",
     "crime_type": "Criminal damage",
     "aggravating_factors": ""},
)  # fmt: skip
_batches = itertools.count()


def feed_csv(rows: int, batch: str) -> bytes:
    """A feed of `rows` synthetic rows; crime references unique to `batch`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for i in range(rows):
        row = {
            "name": f"Synthetic Person {i}",
            "date_of_birth": "1988-03-14",
            "address": "1 Example Street, Hanley, Stoke-on-Trent",
            "postcode": "ST1 1AA",
            "telephone": f"07700 900{i % 1000:03d}",
            "crime_reference": f"SP/{batch}/{i:06d}",
            "crime_serial_number": f"{batch}-{i:06d}",
            "home_office_class": "105/01",
            "police_station": "Hanley",
            "officer": "PC 0000 Synthetic",
            "date_reported": "2026-11-19",
            "date_received": "2026-11-20T10:00",
            **KINDS[i % len(KINDS)],
        }
        writer.writerow([row.get(column, "") for column in COLUMNS])
    return out.getvalue().encode()


# --- the SMS door ---------------------------------------------------------------------------------------

SMS_PATH = "/v1/channels/sms/inbound"
HELPLINE = "+447700900000"
FIRST_SENDER = 900200
SENDERS = 200


def sender_number(index: int) -> str:
    """The index-th person's number (SMS_SENDER_OFFSET shifts them, so runs in a row text as new people)."""
    offset = int(os.environ.get("SMS_SENDER_OFFSET", "0") or 0)
    return f"+447700{FIRST_SENDER + (offset + index) % SENDERS}"


def inbound_params(account_sid: str, sender: str, body: str) -> dict[str, str]:
    sid = "SM" + secrets.token_hex(16)
    return {
        "MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": account_sid,
        "From": sender, "To": HELPLINE, "Body": body, "NumMedia": "0", "NumSegments": "1",
        "SmsStatus": "received", "ToCountry": "GB", "ApiVersion": "2010-04-01",
    }  # fmt: skip


def signed_headers(validator: RequestValidator, url: str, params: dict[str, str]) -> dict[str, str]:
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": validator.compute_signature(url, params),
    }


def sms_journeys() -> list[Journey]:
    """The hate crime journey in every language: it answers "is it safe to text you?" with yes, so every
    text gets a reply (a no stops the service texting that number, as it must)."""
    return [j for j in journeys() if j.journey == "hate_crime"]


# --- the provider queue -----------------------------------------------------------------------------

QUEUE = "hate_crime"
OUTCOMES = ("supported", "declined_support", "unable_to_contact", "referred_on", "no_further_action")
