"""The case page's answers read as questions and answers, in the caseworker's language: a police-feed case's
columns and an agency's answers with labels and values in words (not ids, not Python values), free text
kept as written and marked as their own words, a key nobody knows still shown by its id. Through the real
console routes (real SQLite, argon2, TOTP); the feed imported through the admin API. Synthetic data only."""

from __future__ import annotations

import html
import re
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from babel.dates import format_date
from fastapi import FastAPI

from api.console import fields
from api.i18n import cldr_locale
from api.police_feed.csv_format import OTHER_FACTORS
from api.triage.schemas import TriageInput
from tests.api.console.conftest import make_account, post_form, sign_in
from tests.api.console.test_console_first_contact_consent import feed_csv
from tests.builders import (
    agency_referral_payload,
    bearer,
    create_principal,
    create_referral,
    referral_payload,
)

LOCALES = Path(__file__).resolve().parents[3] / "locales"
LANGUAGES = sorted(p.name.split(".")[1] for p in LOCALES.glob("console.*.yml"))
ANSWER = re.compile(r"<dt>(.*?)</dt>\s*<dd([^>]*)>(.*?)</dd>", re.S)


def police_csv() -> bytes:
    return feed_csv(
        name="Harper Testperson",
        telephone="07700 900472",
        hate_racial_indicator="Y",
        aggravating_factors="hate_religion; repeat_victim",
        crime_reference="SP/26/000555",
        crime_description="Synthetic: abuse shouted in the street",
        crime_type="Public order",
        officer="PC 0000 Synthetic",
        date_reported="2026-11-19",
        date_received="2026-11-20T10:00",
    )


def answers_of(page: str) -> list[tuple[str, str, bool]]:
    """(label, answer, marked as their own words) for each answer on the case page, in order."""
    section = page[page.index('<dl class="answers">') :]
    section = section[: section.index("</dl>")]
    return [
        (html.unescape(label).strip(), html.unescape(text).strip(), 'dir="auto"' in attributes)
        for label, attributes, text in ANSWER.findall(section)
    ]


async def open_case(app: FastAPI, browser: httpx.AsyncClient, queue: str) -> str:
    caseworker = await make_account(app, "caseworker", [queue], username="synthetic-answers-cw")
    await sign_in(browser, caseworker)
    claimed = await post_form(browser, "/console", f"/console/queues/{queue}/claim")
    assert claimed.status_code == 303
    return str(claimed.headers["location"])


async def page(browser: httpx.AsyncClient, case_url: str, lang: str) -> str:
    reply = await browser.get(f"{case_url}?lang={lang}")
    assert reply.status_code == 200, reply.text
    return reply.text


def no_raw_values(shown: list[tuple[str, str, bool]], ids: set[str]) -> None:
    labels = {label for label, _, _ in shown}
    assert labels.isdisjoint(ids), labels & ids
    for _, text, _ in shown:
        assert text not in {"True", "False", "None", "[]"}
        assert not text.startswith("["), text
        assert re.search(r"\d{4}-\d\d-\d\d", text) is None, text  # no ISO dates


class TestPoliceFeedCase:
    async def test_columns_read_as_labels_and_words_in_english_and_urdu(
        self, app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient
    ) -> None:
        admin = bearer(await create_principal(app, "admin", "Synthetic admin"))
        imported = await client.post(
            "/v1/admin/police-feed", content=police_csv(), headers={**admin, "content-type": "text/csv"}
        )
        assert imported.status_code == 200, imported.text
        case_url = await open_case(app, browser, "hate_crime")

        english = answers_of(await page(browser, case_url, "en"))
        no_raw_values(english, set(fields.POLICE_FIELDS))
        assert english[:9] == [
            ("Crime reference", "SP/26/000555", True),
            ("Crime type", "Public order", True),
            ("What happened (the police's description)", "Synthetic: abuse shouted in the street", True),
            ("Aggravating factors", "Hate: Religion, Targeted before (repeat victim)", False),
            ("Police marked it as domestic abuse", "No", False),
            ("Police marked it as racial hate", "Yes", False),
            ("Who did it, to them", "Not known", False),
            ("Reported to the police", "Thursday, 19 November 2026", False),
            ("Received from the police", "Friday, 20 November 2026, 10:00", False),
        ]
        assert ("Police officer", "PC 0000 Synthetic", True) in english

        urdu_page = await page(browser, case_url, "ur")
        assert '<html lang="ur" dir="rtl">' in urdu_page
        urdu = answers_of(urdu_page)
        no_raw_values(urdu, set(fields.POLICE_FIELDS))
        by_label = {label: (text, own) for label, text, own in urdu}
        assert by_label["جرم کا حوالہ نمبر"] == ("SP/26/000555", True)
        assert by_label["پولیس نے اسے نسلی نفرت کے طور پر درج کیا"] == ("ہاں", False)
        assert by_label["پولیس نے اسے گھریلو زیادتی کے طور پر درج کیا"] == ("نہیں", False)
        # The police's words stay as they wrote them, marked as theirs (in the case's language).
        assert by_label["کیا ہوا (پولیس کی تفصیل)"] == ("Synthetic: abuse shouted in the street", True)
        assert '<dd lang="en" dir="auto">Synthetic: abuse shouted in the street</dd>' in urdu_page
        reported = format_date(date(2026, 11, 19), format="full", locale=cldr_locale("ur"))
        assert by_label["پولیس کو رپورٹ کرنے کا وقت"] == (reported, False)


class TestAgencyCase:
    async def test_flow_answers_read_as_questions_with_the_date_in_words(
        self, app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        agency = bearer(await create_principal(app, "agency", "Synthetic housing team"))
        payload = agency_referral_payload()
        when = date.fromisoformat(payload["answers"]["incident_when"])  # two days ago (the flow's limit)
        await create_referral(client, bot_headers, payload, as_headers=agency)
        case_url = await open_case(app, browser, "hate_crime")

        english = dict((label, text) for label, text, _ in answers_of(await page(browser, case_url, "en")))
        assert english["When did it happen?"] == format_date(when, format="full", locale=cldr_locale("en"))
        assert english["Do you think you were targeted because of any of these?"] == "Race or ethnicity"

        arabic_page = await page(browser, case_url, "ar")
        assert '<html lang="ar" dir="rtl">' in arabic_page
        arabic = answers_of(arabic_page)
        no_raw_values(arabic, set(payload["answers"]))
        day = format_date(when, format="full", locale=cldr_locale("ar"))
        assert day in [text for _, text, _ in arabic]
        assert ("Synthetic: shouted at on the bus", True) in [(text, own) for _, text, own in arabic]


class TestTriageFieldsInTheAnswers:
    async def test_triage_input_fields_read_in_words_and_an_unknown_key_by_its_id(
        self, app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        stored: dict[str, Any] = {
            "incident_type": "hate",
            "hate_strands": ["race", "religion"],
            "da_red_flags": [],
            "immediate_danger": "unsure",
            "age_years": 34,
            "lives_in_area": True,
            "mediation_requested": False,
            "synthetic_future_field": "kept as stored",
        }
        await create_referral(client, bot_headers, referral_payload(answers=stored))
        case_url = await open_case(app, browser, "hate_crime")

        shown = answers_of(await page(browser, case_url, "en"))
        assert shown == [
            ("What happened", "Hate crime or incident", False),
            ("In immediate danger", "Not sure", False),
            ("Hate: what they were targeted for", "Race, Religion", False),
            ("Domestic abuse risk indicators", "None given", False),
            ("Age in years", "34", False),
            ("Asked for mediation", "No", False),
            ("Lives in, or it happened in, Staffordshire or Stoke-on-Trent", "Yes", False),
            ("synthetic_future_field", "kept as stored", True),  # nobody knows it: by its id, as stored
        ]


@cache
def catalogue(language: str) -> dict[str, Any]:
    tree = yaml.safe_load((LOCALES / f"console.{language}.yml").read_text(encoding="utf-8"))
    return dict(tree[language])


def has(tree: dict[str, Any], key: str) -> bool:
    node: Any = {"console": tree}
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return isinstance(node, str) and bool(node.strip())


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(TriageInput.model_fields))
def test_every_triage_input_field_has_a_label_in_every_language(name: str, language: str) -> None:
    assert has(catalogue(language), fields.FIELDS[name].label_key)


def enum_of(annotation: Any) -> type[StrEnum] | None:
    """The StrEnum a TriageInput field takes (alone, in a list, or optional)."""
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = enum_of(argument)
        if found is not None:
            return found
    return None


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_choice_and_police_factor_has_a_label_in_every_language(language: str) -> None:
    tree = catalogue(language)
    wanted = []
    for name, field in fields.TRIAGE_FIELDS.items():
        choices = enum_of(TriageInput.model_fields[name].annotation)
        assert (choices is None) == (field.values_key is None), name
        if field.values_key is not None and choices is not None:
            wanted += [f"{field.values_key}.{choice.value}" for choice in choices]
    wanted += [f"console.value.aggravating_factors.{code}" for code in OTHER_FACTORS]
    wanted += ["console.value.aggravating_factors.hate"]  # hate_<strand>: the strand's own label inside
    assert [key for key in wanted if not has(tree, key)] == []
