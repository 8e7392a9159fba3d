"""Every bot response renders, from locales/, in every language, through the NLG endpoint."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import select

from api.config import REPO_ROOT
from api.consent.models import ConsentWording
from api.conversation.language import native_name
from api.i18n import Translator
from api.nlg.catalogue import load_catalogue

LOCALES = REPO_ROOT / "locales"
CATALOGUE = load_catalogue(LOCALES / "responses.yml")
TRANSLATOR = Translator(LOCALES)
LANGUAGES = TRANSLATOR.locales
SAMPLE_ARGUMENTS = {
    "reference": "SR-2345-6789",
    "deadline_at": "2026-11-25T17:00:00+00:00",
    "max": 1000,
    "min": 0,
    "count": 6,
    "help_line_key": "bot.help_line.hate_crime",
    "opens_at": "2026-11-30T09:00:00+00:00",
    "start_time": "2026-11-24T14:00:00+00:00",
    "end_time": "2026-11-24T16:00:00+00:00",
    "answer_key": "bot.button.strand_sexual_orientation",  # "did you mean …?" names the guessed answer
}
# The call-back times the hand-off puts in the `callback_windows` slot (as GET /v1/service/hours gives them).
SAMPLE_WINDOWS = [
    {"id": "asap", "starts_at": "2026-11-24T10:20:00+00:00", "ends_at": "2026-11-24T11:20:00+00:00"},
    {"id": "1200-1400", "starts_at": "2026-11-24T12:00:00+00:00", "ends_at": "2026-11-24T14:00:00+00:00"},
]


def domain_responses() -> set[str]:
    names: set[str] = set()
    for path in sorted((REPO_ROOT / "bot" / "domain").glob("*.yml")):
        names |= set((yaml.safe_load(path.read_text()) or {}).get("responses", {}))
    return names


class TestCatalogue:
    def test_every_domain_response_is_in_the_catalogue(self) -> None:
        spoken = {name for name, spec in CATALOGUE.items() if not spec.silent}
        assert domain_responses() == spoken

    def test_only_rasa_built_ins_are_silent(self) -> None:
        assert {name for name, spec in CATALOGUE.items() if spec.silent} == {"utter_restart"}

    def test_domain_placeholders_name_the_locale_key(self) -> None:
        for path in sorted((REPO_ROOT / "bot" / "domain").glob("*.yml")):
            for name, variants in (yaml.safe_load(path.read_text()) or {}).get("responses", {}).items():
                assert variants == [{"text": CATALOGUE[name].text_key}], name

    def test_flow_choices_match_the_buttons(self) -> None:
        # Choice buttons are generated from flows/ (tools/gen_bot.py); a tap sends
        # /inform{"choice": value, "asked": question}.
        flow = yaml.safe_load(Path(REPO_ROOT / "flows" / "hate_crime.yml").read_text())
        strand = next(q for q in flow["questions"] if q.get("id") == "hate_strand")
        buttons = CATALOGUE["utter_ask_hate_strand"].buttons
        assert [(b.title_key, b.payload) for b in buttons] == [
            (c["text_key"], '/inform{"choice":"' + c["value"] + '","asked":"hate_strand"}')
            for c in strand["choices"]
        ]

    def test_english_is_available(self) -> None:
        assert "en" in LANGUAGES


class TestRender:
    @pytest.mark.parametrize("language", LANGUAGES)
    @pytest.mark.parametrize("response", sorted(n for n, spec in CATALOGUE.items() if not spec.silent))
    async def test_every_response_in_every_language(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str], response: str, language: str
    ) -> None:
        reply = await client.post(
            "/v1/nlg",
            json={
                "response": response,
                "arguments": SAMPLE_ARGUMENTS,
                "tracker": {
                    "slots": {
                        "language": language,
                        "journey": "hate_crime",
                        "callback_windows": SAMPLE_WINDOWS,
                        "phone_check_number": "+447700900456",  # the phone check's offer names it
                    }
                },
                "channel": {"name": "rest"},
            },
            headers=bot_headers,
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["text"].strip()
        assert "%{" not in body["text"]
        spec = CATALOGUE[response]
        generated = {"languages": len(LANGUAGES), "callback_windows": len(SAMPLE_WINDOWS)}.get(
            spec.buttons_from or "", 0
        )
        assert len(body.get("buttons") or []) == len(spec.buttons) + generated

    async def test_the_language_menu_names_each_language_in_itself(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reply = await client.post(
            "/v1/nlg",
            json={"response": "utter_language_options", "tracker": {"slots": {"language": "en"}}},
            headers=bot_headers,
        )
        buttons = reply.json()["buttons"]
        assert buttons[0] == {"title": "English", "payload": '/choose_language{"language":"en"}'}
        assert [b["payload"] for b in buttons] == [
            f'/choose_language{{"language":"{code}"}}'
            for code in ["en", *(c for c in LANGUAGES if c != "en")]
        ]
        assert [b["title"] for b in buttons] == [
            native_name(c) for c in ["en", *(c for c in LANGUAGES if c != "en")]
        ]

    @pytest.mark.parametrize("language", LANGUAGES)
    async def test_by_sms_the_greeting_names_no_exit_button(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str], language: str
    ) -> None:
        def greet(channel: str) -> str:
            return TRANSLATOR.t(
                "bot.session.greet_sms" if channel == "sms" else "bot.session.greet", language
            )

        for channel in ("sms", "web_chat"):
            reply = await client.post(
                "/v1/nlg",
                json={
                    "response": "utter_start_intro",
                    "tracker": {"slots": {"language": language, "channel": channel}},
                },
                headers=bot_headers,
            )
            assert reply.json()["text"] == greet(channel)
        assert "Shift" not in greet("sms") and "Shift" in greet("web_chat")

    async def test_a_language_switch_speaks_the_new_language_at_once(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        other = next(code for code in LANGUAGES if code != "en")
        reply = await client.post(
            "/v1/nlg",
            json={
                "response": "utter_language_changed",
                "arguments": {"language": other},
                "tracker": {"slots": {"language": "en"}},
            },
            headers=bot_headers,
        )
        assert reply.json()["text"] == TRANSLATOR.t("bot.language.changed", other)
        assert reply.json()["text"] != TRANSLATOR.t("bot.language.changed", "en")

    async def test_deadline_is_formatted_in_words_in_london_time(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reply = await client.post(
            "/v1/nlg",
            json={
                "response": "utter_handoff_referred",
                "arguments": {"reference": "SR-2345-6789", "deadline_at": "2027-06-01T16:00:00+00:00"},
                "tracker": {"slots": {"language": "en", "journey": "hate_crime"}},
            },
            headers=bot_headers,
        )
        assert "Tuesday, 1 June 2027, 17:00" in reply.json()["text"]
        assert "SR-2345-6789" in reply.json()["text"]

    async def test_consent_wording_is_registered_by_its_hash(
        self, app: object, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reply = await client.post(
            "/v1/nlg",
            json={"response": "utter_ask_consent_store", "tracker": {"slots": {"language": "en"}}},
            headers=bot_headers,
        )
        text = reply.json()["text"]
        async with app.state.sessionmaker() as session:  # type: ignore[attr-defined]
            row = await session.scalar(select(ConsentWording))
        assert row is not None
        assert row.version == hashlib.sha256(text.encode()).hexdigest()
        assert (row.key, row.language, row.text) == ("bot.consent.store", "en", text)

    async def test_an_unknown_language_falls_back_to_english(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reply = await client.post(
            "/v1/nlg",
            json={"response": "utter_session_stopped", "tracker": {"slots": {"language": "xx"}}},
            headers=bot_headers,
        )
        assert reply.json()["text"].startswith("The chat has ended.")

    async def test_restart_says_nothing(self, client: httpx.AsyncClient, bot_headers: dict[str, str]) -> None:
        reply = await client.post("/v1/nlg", json={"response": "utter_restart"}, headers=bot_headers)
        assert reply.status_code == 200
        assert reply.json() == {}

    async def test_unknown_response(self, client: httpx.AsyncClient, bot_headers: dict[str, str]) -> None:
        reply = await client.post("/v1/nlg", json={"response": "utter_nope"}, headers=bot_headers)
        assert reply.status_code == 404
        assert reply.json()["error"] == "unknown_response"

    async def test_only_the_bot_may_ask(self, client: httpx.AsyncClient) -> None:
        reply = await client.post("/v1/nlg", json={"response": "utter_session_greet"})
        assert reply.status_code == 401


class TestCallbackOffer:
    async def test_a_button_per_time_then_no_call_in_the_persons_language(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reply = await client.post(
            "/v1/nlg",
            json={
                "response": "utter_ask_callback_time",
                "arguments": {},
                "tracker": {"slots": {"language": "pl", "callback_windows": SAMPLE_WINDOWS}},
                "channel": {"name": "rest"},
            },
            headers=bot_headers,
        )
        buttons = reply.json()["buttons"]
        assert [b["title"] for b in buttons] == ["Jak najszybciej", "12:00–14:00", "Nie dzwońcie, dziękuję"]
        assert [b["payload"] for b in buttons] == [
            '/inform{"choice":"asap"}',
            '/inform{"choice":"1200-1400"}',
            "/deny",
        ]

    async def test_times_of_day_are_london_time_in_the_locale(
        self, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        reply = await client.post(
            "/v1/nlg",
            json={
                "response": "utter_callback_booked",
                # British Summer Time: 13:00 UTC is 14:00 in London.
                "arguments": {
                    "start_time": "2027-06-01T13:00:00+00:00",
                    "end_time": "2027-06-01T15:00:00+00:00",
                },
                "tracker": {"slots": {"language": "en"}},
                "channel": {"name": "rest"},
            },
            headers=bot_headers,
        )
        assert "today between 14:00 and 16:00." in reply.json()["text"]
