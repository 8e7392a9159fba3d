"""The privacy notice and the withdrawal message say what the retention policy does, in every language:
their numbers are the policy's settings (rendered through the NLG endpoint, as the bot shows them), not
words written into the catalogues."""

from __future__ import annotations

import re

import httpx
import pytest
import yaml

from api.config import REPO_ROOT, Settings
from api.i18n import Translator
from api.retention import policy
from tests.conftest import BOT_TOKEN

TRANSLATOR = Translator(REPO_ROOT / "locales")
LANGUAGES = TRANSLATOR.locales
# Values no catalogue would hold by accident, so finding them proves they came from the settings.
ODD = {
    "retention_not_taken_up_months": 11,
    "retention_case_years": 13,
    "retention_hate_crime_years": 17,
    "retention_withdrawn_days": 19,
}


def raw(language: str, name: str) -> str:
    """The catalogue's text as written, placeholders unfilled."""
    catalogue = yaml.safe_load((REPO_ROOT / "locales" / f"bot.{language}.yml").read_text(encoding="utf-8"))
    text: str = catalogue[language]["consent"][name]
    return text


def numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


class TestCatalogues:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_the_notice_names_every_period_by_placeholder_and_no_number_of_its_own(
        self, language: str
    ) -> None:
        text = raw(language, "privacy_notice")
        for name in ("retention_not_taken_up_months", "retention_case_years", "retention_hate_crime_years"):
            assert f"%{{{name}}}" in text
        assert numbers(text) == []

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_the_withdrawal_message_names_the_withdrawn_period(self, language: str) -> None:
        text = raw(language, "withdrawn_referral")
        assert "%{retention_withdrawn_days}" in text
        assert numbers(text) == []


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update=ODD)


class TestRenderedFromThePolicy:
    @pytest.mark.parametrize("language", LANGUAGES)
    async def test_the_notice_the_bot_shows_holds_the_policy_values(
        self, client: httpx.AsyncClient, settings: Settings, language: str
    ) -> None:
        reply = await client.post(
            "/v1/nlg",
            json={
                "response": "utter_ask_consent_store",
                "tracker": {"slots": {"language": language, "journey": "hate_crime"}},
            },
            headers={"Authorization": f"Bearer {BOT_TOKEN}"},
        )

        assert reply.status_code == 200, reply.text
        notice = reply.json()["text"].split("\n\n")[0]
        assert "%{" not in notice
        params = policy.notice_params(settings)
        assert sorted(numbers(notice)) == sorted(
            params[k]
            for k in ("retention_not_taken_up_months", "retention_case_years", "retention_hate_crime_years")
        )

    @pytest.mark.parametrize("language", LANGUAGES)
    async def test_the_withdrawal_message_holds_the_withdrawn_period(
        self, client: httpx.AsyncClient, settings: Settings, language: str
    ) -> None:
        reply = await client.post(
            "/v1/nlg",
            json={
                "response": "utter_consent_withdrawn_referral",
                "arguments": {"reference": "SR-TEST-0000"},
                "tracker": {"slots": {"language": language}},
            },
            headers={"Authorization": f"Bearer {BOT_TOKEN}"},
        )

        assert reply.status_code == 200, reply.text
        text = reply.json()["text"]
        assert "%{" not in text
        assert settings.retention_withdrawn_days in numbers(text.replace("SR-TEST-0000", ""))


class TestPolicyNumbers:
    def test_the_notice_params_are_the_periods_disposal_applies(self) -> None:
        settings = Settings(app_env="test", **ODD)  # type: ignore[arg-type]
        assert policy.period(settings, policy.RetentionClass.not_taken_up).months == 11
        assert policy.period(settings, policy.RetentionClass.victim_support).months == 13 * 12
        assert policy.period(settings, policy.RetentionClass.hate_crime).months == 17 * 12
        assert policy.period(settings, policy.RetentionClass.withdrawn).delta.days == 19
        assert policy.notice_params(settings) == ODD
