"""Benchmark (not a test): the cost of looking up a text, as `/v1/nlg` does several times per bot reply.

Run from the repository root:

    .venvs/api/bin/python load/bench_nlg.py [--calls 200] [--rounds 5]

Side by side in one run, per call, in English and Polish:

- baseline: python-i18n asked directly for a key that exists (what a hit costs);
- python-i18n asked directly for a key that does not exist, as `Translator.has` did before issue 16
  (`i18n.t` raising): python-i18n then searches the directory and re-parses the whole catalogue;
- `Translator.has` on the same missing key now (every catalogue loaded once, a miss is a dictionary lookup);
- `Translator.t` on the existing key.

Each figure is the best of several rounds; compare the ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import i18n  # noqa: E402
from timing import per_call  # noqa: E402

from api.i18n import Translator  # noqa: E402

HIT = "bot.safety.ask_safe_to_talk"
MISS = "bot.safety.ask_safe_to_talk_web_chat"  # the channel variant render() asks for; no such text exists


def old_has(key: str, locale: str) -> bool:
    try:
        i18n.t(key, locale=locale)
    except KeyError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    translator = Translator(REPO / "locales")
    print(f"{'language':8} {'case':44} {'per call':>12} {'× hit':>10}")
    for locale in ("en", "pl"):
        rows = measure(translator, locale, args.calls, args.rounds)
        hit = rows[0][1]
        for name, seconds in rows:
            print(f"{locale:8} {name:44} {seconds * 1e6:10.1f} µs {seconds / hit:10.1f}")


def measure(translator: Translator, locale: str, calls: int, rounds: int) -> list[tuple[str, float]]:
    # The old lookup re-parses a catalogue per call: a few calls are enough to see it.
    return [
        ("python-i18n, existing key (baseline)", per_call(lambda: i18n.t(HIT, locale=locale), calls, rounds)),
        ("python-i18n, missing key (old Translator.has)", per_call(lambda: old_has(MISS, locale), 10, 3)),
        ("Translator.has, missing key (now)", per_call(lambda: translator.has(MISS, locale), calls, rounds)),
        ("Translator.t, existing key (now)", per_call(lambda: translator.t(HIT, locale), calls, rounds)),
    ]


if __name__ == "__main__":
    main()
