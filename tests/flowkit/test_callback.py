"""Reading the answer to the call-back offer (flowkit/callback.py): a tapped time, its number by SMS, a
time of day typed, yes or no, in any language."""

from __future__ import annotations

from typing import Any

import pytest

from flowkit.callback import ASAP, DECLINED, window_for

WINDOWS: list[dict[str, Any]] = [
    {"id": "asap", "starts_at": "2026-11-24T10:20:00+00:00", "ends_at": "2026-11-24T11:20:00+00:00"},
    {"id": "1200-1400", "starts_at": "2026-11-24T12:00:00+00:00", "ends_at": "2026-11-24T14:00:00+00:00"},
    {"id": "1400-1600", "starts_at": "2026-11-24T14:00:00+00:00", "ends_at": "2026-11-24T16:00:00+00:00"},
]


@pytest.mark.parametrize(
    ("said", "intent", "language", "chosen"),
    [
        ('/inform{"choice":"1200-1400"}', "inform", "en", "1200-1400"),
        ('/inform{"choice":"0900-1000"}', "inform", "en", None),  # not one on offer
        ("1", None, "en", ASAP),
        ("3", None, "ur", "1400-1600"),
        ("4", None, "pl", DECLINED),  # the number after the times: no call
        ("5", None, "en", None),
        ("2pm", None, "en", "1400-1600"),
        ("13:30", None, "ro", "1200-1400"),
        ("o 14.30", None, "pl", "1400-1600"),
        ("11:00", None, "en", ASAP),
        ("17:00", None, "en", None),  # after the last time on offer
        ("/deny", "deny", "en", DECLINED),
        ("ні", "deny", "uk", DECLINED),
        ("tak", "affirm", "pl", ASAP),
        ("Nie dzwońcie, dziękuję", None, "pl", DECLINED),
        ("যত তাড়াতাড়ি সম্ভব", None, "bn", ASAP),
        ("banana", "nlu_fallback", "en", None),
    ],
)
def test_the_answer_names_a_time_or_no_call(
    said: str, intent: str | None, language: str, chosen: str | None
) -> None:
    assert window_for(WINDOWS, said, intent, language) == chosen


def test_yes_is_as_soon_as_possible_only_when_that_is_on_offer() -> None:
    assert window_for(WINDOWS[1:], "yes", "affirm", "en") is None
