"""Every text that can go out by SMS, in every language, within the segment budget (DESIGN §6): each SMS at
most 3 segments (GSM-7 153 per segment, or UCS-2 67 as soon as one character is outside GSM-7), and a long
reply split only at sentence boundaries. Texts are rendered as the SMS channel sends them: with the numbered
choices of their buttons, and the neutral opener where a lock screen could show a service's name."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from api.config import REPO_ROOT, Settings
from api.conversation.schemas import BotMessage, Button
from api.i18n import Translator
from api.kit.time import as_london
from api.nlg import plural
from api.nlg.catalogue import load_catalogue
from api.nlg.service import callback_buttons
from api.retention.policy import notice_params
from api.sms import segments
from api.sms.wording import compose, render

LOCALES = REPO_ROOT / "locales"
TRANSLATOR = Translator(LOCALES)
CATALOGUE = load_catalogue(LOCALES / "responses.yml")
DEADLINE = as_london(datetime.fromisoformat("2026-11-25T17:00:00+00:00"))


LONGEST_ANSWER_BUTTONS = ("referrer_professional", "unsure_close", "need_physical_disability")


def params(language: str) -> dict[str, str]:
    """The longest values the bot fills in (the longest service and help line names)."""
    longest = {
        prefix: max((TRANSLATOR.t(f"bot.{prefix}.{q}", language) for q in queues), key=len)
        for prefix, queues in {
            "service_name": ("hate_crime", "asb", "domestic_abuse", "perpetrator", "young_person"),
            "help_line": ("hate_crime", "domestic_abuse_victim", "children_front_door"),
        }.items()
    }
    return {
        "reference": "SR-2345-6789",
        "deadline_at": TRANSLATOR.format_datetime_words(DEADLINE, language),
        "opens_at": TRANSLATOR.format_datetime_words(DEADLINE, language),
        "start_time": TRANSLATOR.format_time(DEADLINE, language),
        "end_time": TRANSLATOR.format_time(DEADLINE, language),
        "service_name": longest["service_name"],
        "help_line": longest["help_line"],
        "max": "1000",
        "min": "0",
        "count": "6",
        # The phone check (bot/actions/phone_check.py): the number the code goes to, and the code.
        "phone_check_number": "+447700900456",
        "code": "123456",
        # The retention periods the privacy notice and the withdrawal message state (api/retention/policy.py).
        **{name: str(value) for name, value in notice_params(Settings()).items()},
        # "did you mean …?" (bot.confirm.ask) names an answer: the longest button's words.
        "answer": max(
            (TRANSLATOR.t(f"bot.button.{name}", language) for name in LONGEST_ANSWER_BUTTONS), key=len
        ),
    }


MOST_WINDOWS = [
    {"id": "asap", "starts_at": "2026-11-24T09:10:00+00:00", "ends_at": "2026-11-24T10:10:00+00:00"},
    *(
        {
            "id": f"{h}00-{h + 2}00",
            "starts_at": f"2026-11-24T{h}:00:00+00:00",
            "ends_at": f"2026-11-24T{h + 2}:00:00+00:00",
        }
        for h in (11, 13, 15, 17)
    ),
]


def outgoing(language: str) -> dict[str, str]:
    """Each response as the SMS channel renders it (text plus numbered choices)."""
    translate = lambda key, **extra: TRANSLATOR.t(key, language, **extra)  # noqa: E731
    texts: dict[str, str] = {}
    for name, spec in CATALOGUE.items():
        if spec.silent:
            continue
        buttons = [Button(title=translate(b.title_key), payload=b.payload) for b in spec.buttons]
        if (
            spec.buttons_from == "callback_windows"
        ):  # the most times ever offered: as soon as possible, then 4
            buttons = [
                Button(title=b.title, payload=b.payload)
                for b in callback_buttons(TRANSLATOR, language, MOST_WINDOWS)
            ] + buttons
        # A plural text may go out in any of its forms (api/nlg/plural.py): each, with a two-digit count.
        forms = plural.plural_forms(TRANSLATOR, spec.text_key, language)
        said = (
            {f"{name}[{c}]": plural.fill(f, **{**params(language), "count": "99"}) for c, f in forms.items()}
            if forms
            else {name: translate(spec.text_key, **params(language))}
        )
        for key, text in said.items():
            texts[key], _ = render([BotMessage(text=text, buttons=buttons)], translate)
    for key in ("media_not_read", "empty", "too_long", "unavailable"):
        texts[f"bot.sms.{key}"] = translate(f"bot.sms.{key}")
    return texts


@pytest.mark.parametrize("language", TRANSLATOR.locales)
def test_every_sms_fits_three_segments_split_at_sentences(language: str) -> None:
    opener = TRANSLATOR.t("bot.sms.neutral_opener", language)
    words = tuple(TRANSLATOR.t("bot.sms.lock_screen_words", language).split("|"))
    stats: Counter[str] = Counter()
    for name, text in outgoing(language).items():
        sent = compose(text, opener=opener, words=words)
        assert sent, name
        for sms in sent:
            assert segments.segments(sms) <= segments.MAX_SEGMENTS, (name, sms)
        sentences = [p.strip() for p in segments._SENTENCE_END.split(text) if p.strip()]
        # A sentence may need the neutral opener in front of it (in UCS-2 the opener alone is two segments).
        if all(segments.fits(f"{opener}\n{sentence}") for sentence in sentences):
            # Every SMS starts where a sentence (or a line) starts: nothing is cut mid-sentence.
            for sms in sent:
                body = sms.removeprefix(opener).strip()
                assert any(body.startswith(sentence[:24]) for sentence in sentences), (name, body)
        else:
            stats["a sentence too long beside the opener, cut between words"] += 1
        stats["messages"] += 1
        stats["sms"] += len(sent)
        stats["ucs2"] += not segments.is_gsm7(text)
    print(f"\n{language}: {dict(stats)}")
