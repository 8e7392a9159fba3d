"""The first-message language detector on short messages people send (tests/fixtures/first_messages.yml)."""

from __future__ import annotations

from tools.detector_report import accuracy, outcomes, table

MIN_ACCURACY = 0.85


def test_every_language_is_recognised_from_a_short_first_message() -> None:
    counts = outcomes()
    print("\n" + table(counts))  # the report (pytest -s shows it)
    assert set(counts) >= {"en", "pl", "ro", "ur", "pa", "ar", "bn", "uk"}
    for language, counter in counts.items():
        assert counter["wrong"] == 0, f"{language}: a message was taken for another language"
        assert accuracy(counter) >= MIN_ACCURACY, f"{language}: {accuracy(counter):.2f}"
