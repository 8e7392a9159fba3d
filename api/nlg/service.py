"""Render a bot response in the conversation's language.

Parameters come from the tracker's slots and the action's arguments. A parameter whose name ends in `_at`
and holds an ISO date-time is formatted with Babel in the conversation's locale, in Europe/London time.
Consent texts are registered by the SHA-256 of their exact wording, the version a receipt points at.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.consent.service import register_wording
from api.conversation.gateway import choose_language_payload
from api.conversation.language import native_name
from api.i18n import Translator
from api.kit.calendar import ASAP
from api.kit.time import as_london
from api.nlg import plural
from api.nlg.catalogue import ResponseSpec
from api.nlg.schemas import NlgButton, NlgResponse
from flowkit.choices import choice_payload

CONSENT_KEY_PREFIX = "bot.consent."


def wording_version(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _params(
    translator: Translator, locale: str, slots: dict[str, Any], arguments: dict[str, Any]
) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in {**slots, **arguments}.items():
        if value is None or isinstance(value, dict | list):
            continue
        if name.endswith(("_at", "_time")) and isinstance(value, str):
            try:
                moment = as_london(datetime.fromisoformat(value))
            except ValueError:
                pass
            else:
                value = (
                    translator.format_datetime_words(moment, locale)
                    if name.endswith("_at")
                    else translator.format_time(moment, locale)
                )
        params[name] = str(value)
    journey = slots.get("journey")
    if isinstance(journey, str) and translator.has(f"bot.service_name.{journey}", locale):
        params["service_name"] = translator.t(f"bot.service_name.{journey}", locale)
    # An argument `<name>_key` naming a bot.* locale key gives `%{<name>}` in the conversation's language
    # (the hand-off names the service triage chose: service_name_key=bot.queue_name.<queue>).
    for name, value in arguments.items():
        key = str(value)
        if name.endswith("_key") and key.startswith("bot.") and translator.has(key, locale):
            params[name.removesuffix("_key")] = translator.t(key, locale)
    return params


def callback_buttons(translator: Translator, locale: str, windows: Any) -> list[NlgButton]:
    """A button per call-back time (`{"id", "starts_at", "ends_at"}` as GET /v1/service/hours gives them);
    its payload answers the question with the window's id, as a tapped choice does."""
    buttons: list[NlgButton] = []
    for window in windows if isinstance(windows, list) else []:
        if not isinstance(window, dict) or not isinstance(window.get("id"), str):
            continue
        if window["id"] == ASAP:
            title = translator.t("bot.callback.asap", locale)
        else:
            start, end = (as_london(datetime.fromisoformat(window[k])) for k in ("starts_at", "ends_at"))
            title = translator.t(
                "bot.callback.window",
                locale,
                start_time=translator.format_time(start, locale),
                end_time=translator.format_time(end, locale),
            )
        buttons.append(NlgButton(title=title, payload=choice_payload(window["id"])))
    return buttons


async def render(
    session: AsyncSession,
    translator: Translator,
    spec: ResponseSpec,
    locale: str,
    slots: dict[str, Any],
    arguments: dict[str, Any],
    menu: list[str] | None = None,
) -> NlgResponse:
    """`menu`: the languages of a language menu, in order (see api/conversation/gateway.py)."""
    menu = menu or []
    if spec.silent:
        return NlgResponse()
    locale = translator.supported(locale)
    params = _params(translator, locale, slots, arguments)
    # A text may have a variant for the channel (`<key>_sms`: by SMS there is no Exit button to press).
    channel = slots.get("channel")
    text_key = spec.text_key
    if isinstance(channel, str) and translator.has(f"{text_key}_{channel}", locale):
        text_key = f"{text_key}_{channel}"
    # A plural text (a form per CLDR category) takes the form its `count` argument needs: api/nlg/plural.py.
    text = plural.t(translator, text_key, locale, arguments.get(plural.COUNT), params)
    if spec.preface_key:
        text = translator.t(spec.preface_key, locale, **params) + "\n\n" + text
    if spec.text_key.startswith(CONSENT_KEY_PREFIX):
        await register_wording(session, wording_version(text), spec.text_key, locale, text)
    buttons = [NlgButton(title=translator.t(b.title_key, locale), payload=b.payload) for b in spec.buttons]
    if spec.buttons_from == "callback_windows":
        buttons = callback_buttons(translator, locale, slots.get("callback_windows")) + buttons
    if spec.buttons_from == "languages":
        buttons += [
            NlgButton(title=native_name(code), payload=choose_language_payload(code)) for code in menu
        ]
    return NlgResponse(text=text, buttons=buttons or None)
