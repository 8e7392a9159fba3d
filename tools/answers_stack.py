"""How well the whole chat stack understands answers typed in words: `make answers-stack-report`.

    python -m tools.answers_stack                       # start a stack, measure every answer, stop it
    python -m tools.answers_stack --languages pl,ro     # some languages only
    python -m tools.answers_stack --api-url http://127.0.0.1:8000 --tracker-db data/rasa-tracker.db
                                                        # a stack already running (`make run`)

The same answers as `make answers-report` (tests/fixtures/answers/<lang>.yml), the same table, but each answer
is typed through the public chat API (`POST /v1/chat/conversations/{id}/messages`) into the real api, Rasa and
action server, at the question it answers, so the NLU, the danger layer, the interruptions and the form's
validation all have their say. What the bot did with it is read from the conversation's Rasa tracker (the
SQL tracker store the stack writes): the question's slot filled (stored: right or wrong value), a guess put
to the person (`answer_to_confirm`: confirmed), or neither (re-asked).

How a question is reached: one conversation per language and journey walks a golden run
(tests/flows/scripts.yml) with buttons and plain values (the same in every language); at each question that
has answers in the set, every one of them is typed in turn, and after each the conversation is put back
where it was by removing the tracker events the answer added (a test harness step, never done by the
service), so ~250 answers per language need one walk per journey, not one per answer.

Dates: the set's `today` is fixed, the stack's is the real date. An answer counted in days ("yesterday",
"2 weeks ago": the engine's reading moves day for day with `today`) is expected shifted to the real date; any
other ("last Tuesday", "3rd of November") is expected to be what the engine reads on the real date, provided
the engine reads it right on the set's date (else it counts as wrong).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from flowkit.flows import question_by_id
from flowkit.parse import parse_answer
from flowkit.spec import AnswerType, Strictness
from tools.answers_report import Case, Result, cases, comparable, table

LONDON = ZoneInfo("Europe/London")
ANSWER_TO_CONFIRM = "answer_to_confirm"
REQUESTED_SLOT = "requested_slot"
SKIP = "/skip_question"
# The golden runs walked, in order: every question of the answer set is on one of them (checked by `routes`).
JOURNEYS = (
    "hate_crime",
    "asb_case_review",
    "domestic_abuse_high_risk",
    "perpetrator_early_intervention",
    "young_person_harm_at_home",
    "someone_else_friend_domestic_abuse",
    "unsure_sounds_like_hate_crime",
)


def real_today() -> date:
    return datetime.now(LONDON).date()


# --- what to type to move on (buttons and plain values, the same in every language) -----------------------


@dataclass(frozen=True)
class Step:
    question: str
    typed: str  # what moves the conversation on past the question


@dataclass(frozen=True)
class Route:
    name: str
    intent: str
    steps: tuple[Step, ...]


def _moving_on(question: str, value: Any, said: str) -> str:
    """A language-independent answer that stores `value` (the golden run's canonical answer)."""
    kind = question_by_id(question).type
    if value == "prefer_not_to_say":
        return SKIP
    if kind == AnswerType.yes_no:
        return "/affirm" if value else "/deny"
    if kind == AnswerType.choice:
        return "/inform" + json.dumps({"choice": value}, separators=(",", ":"))
    if kind == AnswerType.number:
        return str(value)
    if kind == AnswerType.date:
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    return said  # postcode, phone, free text: typed as the golden run types them


def routes() -> list[Route]:
    from flowkit.flows import load_flow
    from tests.flows.runs import play, scripts

    found = []
    every = scripts()
    for name in JOURNEYS:
        run = play(name, every[name])
        steps = tuple(
            Step(t.question, _moving_on(t.question, run.answers[t.question], t.said))
            for t in run.turns
            if not t.refused
        )
        found.append(Route(name, load_flow(run.flow).spec.intent, steps))
    return found


def assign(all_cases: list[Case], found: list[Route]) -> dict[str, list[Case]]:
    """Each case to the first journey that asks its question (route name → cases)."""
    by_route: dict[str, list[Case]] = defaultdict(list)
    for case in all_cases:
        route = next((r for r in found if any(s.question == case.question for s in r.steps)), None)
        if route is None:
            raise ValueError(f"no golden run asks {case.question!r}: add one to JOURNEYS")
        by_route[route.name].append(case)
    return by_route


# --- the expected value on the stack's date ---------------------------------------------------------------


def _engine(case: Case, today: date) -> Any:
    parsed = parse_answer(question_by_id(case.question), case.said, None, case.language, today)
    return comparable(parsed.value) if parsed.ok or getattr(parsed, "confirm", False) else None


def counted_in_days(case: Case, span: int = 14) -> bool:
    """Whether the engine's reading of a date answer moves day for day with `today` ("yesterday")."""
    first = _engine(case, case.today)
    if not isinstance(first, str):
        return False
    start = date.fromisoformat(first)
    return all(
        _engine(case, case.today + timedelta(days=k)) == (start + timedelta(days=k)).isoformat()
        for k in range(1, span)
    )


def expected_on(case: Case, today: date) -> Any:
    """What must be stored (or confirmed) for `case` when the stack's date is `today`."""
    expected = comparable(case.expected)
    if question_by_id(case.question).type != AnswerType.date or expected == "again":
        return expected
    if counted_in_days(case):
        return (date.fromisoformat(str(expected)) + (today - case.today)).isoformat()
    if _engine(case, case.today) != expected:
        return expected  # the engine reads it wrong on the set's date: nothing better to expect
    return _engine(case, today)


# --- the conversation and its tracker ---------------------------------------------------------------------


class Tracker:
    """The stack's Rasa tracker store (SQL, SQLite): read, and put back (harness only)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:
                yield db
        finally:
            db.close()

    def last_id(self, sender: str) -> int:
        with self._db() as db:
            row = db.execute("SELECT max(id) FROM events WHERE sender_id = ?", (sender,)).fetchone()
        return int(row[0] or 0)

    def events_after(self, sender: str, after: int) -> list[dict[str, Any]]:
        with self._db() as db:
            rows = db.execute(
                "SELECT data FROM events WHERE sender_id = ? AND id > ? ORDER BY id", (sender, after)
            ).fetchall()
        return [json.loads(data) for (data,) in rows]

    def slots(self, sender: str) -> dict[str, Any]:
        slots: dict[str, Any] = {}
        for event in self.events_after(sender, 0):
            if event.get("event") == "slot":
                slots[event["name"]] = event.get("value")
        return slots

    def rollback(self, sender: str, to: int) -> None:
        with self._db() as db:
            db.execute("DELETE FROM events WHERE sender_id = ? AND id > ?", (sender, to))


class StackChat:
    """One web chat conversation through the public API."""

    def __init__(self, http: httpx.Client, language: str) -> None:
        self.http = http
        created = http.post("/v1/chat/conversations", json={"language": language})
        created.raise_for_status()
        self.id: str = created.json()["id"]
        self.language = language
        self.messages: list[dict[str, Any]] = []

    def say(self, text: str) -> str:
        reply = self.http.post(f"/v1/chat/conversations/{self.id}/messages", json={"text": text})
        if reply.status_code != 200:
            raise RuntimeError(f"{reply.status_code}: {reply.text}")
        body = reply.json()
        self.language = body["language"]
        self.messages = body["messages"]
        return " ".join(m["text"] for m in self.messages)

    @property
    def buttons(self) -> list[dict[str, str]]:
        return [b for m in self.messages for b in m.get("buttons") or []]


@dataclass
class Heard:
    """What the stack did with one answer: the value stored for the question, or the guess put to the
    person."""

    stored: Any = None
    guess: Any = None
    confirming: bool = False

    @property
    def outcome(self) -> str:
        if self.stored is not None:
            return "stored"
        return "confirmed" if self.confirming else "re-asked"


def heard(events: list[dict[str, Any]], question: str) -> Heard:
    """Read from the events one message added. The text itself lands in the question's slot first (the
    slot's mapping, before any action): only what an action (the form's validation) set counts."""
    result = Heard()
    acted = False
    for event in events:
        acted = acted or event.get("event") == "action"
        if event.get("event") != "slot" or not acted:
            continue
        value = event.get("value")
        if event["name"] == question and value is not None and result.stored is None:
            result.stored = comparable(value)
        if (
            event["name"] == ANSWER_TO_CONFIRM
            and isinstance(value, dict)
            and value.get("question") == question
        ):
            result.guess, result.confirming = comparable(value.get("value")), True
    return result


class Prober:
    """Walks journeys through the public chat API and types answers at the questions they answer."""

    def __init__(self, http: httpx.Client, tracker: Tracker) -> None:
        self.http = http
        self.tracker = tracker

    def asking(self, chat: StackChat) -> Any:
        return self.tracker.slots(chat.id).get(REQUESTED_SLOT)

    def start(self, route: Route, language: str) -> StackChat:
        chat = StackChat(self.http, language)
        chat.say(f"/{route.intent}")
        return chat

    def walk(
        self, route: Route, language: str, instead: dict[str, str] | None = None
    ) -> Iterator[tuple[StackChat, Step]]:
        """The conversation at each question of the journey in turn (the caller may probe it there, and must
        leave it as it found it); moves on with the step's own answer, or what `instead` has for the
        question by then (it must store the same value where the journey branches on it)."""
        chat = self.start(route, language)
        for step in route.steps:
            now = self.asking(chat)
            if now != step.question:
                raise RuntimeError(
                    f"{route.name}/{language}: expected {step.question!r} asked, the bot asks {now!r}: "
                    f"{[m['text'] for m in chat.messages]}"
                )
            yield chat, step
            chat.say((instead or {}).get(step.question, step.typed))

    def answer(self, chat: StackChat, question: str, text: str) -> tuple[Heard, int]:
        """Types `text`; what was heard, and the tracker position to put the conversation back to."""
        mark = self.tracker.last_id(chat.id)
        if not text.strip():  # the chat API refuses an empty message (422): nothing reaches the bot
            return Heard(), mark
        chat.say(text)
        return heard(self.tracker.events_after(chat.id, mark), question), mark

    def put_back(self, chat: StackChat, mark: int) -> None:
        self.tracker.rollback(chat.id, mark)

    def probe(self, chat: StackChat, case: Case, today: date) -> Result:
        """Types the case's answer, judges what was heard, and puts the conversation back. The api's record of
        the conversation's language is not put back: if the answer changed it, `chat.language` says so."""
        result, mark = self.answer(chat, case.question, str(case.said))
        self.put_back(chat, mark)
        return judge(case, result, expected_on(case, today))


def judge(case: Case, result: Heard, expected: Any) -> Result:
    """The same outcomes as `make answers-report` (tools/answers_report.run)."""
    if expected == "again":
        outcome = {"stored": "wrong", "confirmed": "confirmed", "re-asked": "right"}[result.outcome]
        got = result.stored if result.stored is not None else result.guess
    elif result.outcome == "stored":
        outcome, got = ("right" if result.stored == expected else "wrong"), result.stored
    elif result.outcome == "confirmed":
        outcome = "right" if case.confirm and result.guess == expected else "confirmed"
        got = result.guess
    else:
        outcome, got = "re-asked", None
    return Result(case, outcome, got, result.confirming)


# --- the report -------------------------------------------------------------------------------------------


def measure(
    prober: Prober,
    all_cases: list[Case],
    deadline: float,
    today: date,
    progress: bool = False,
) -> tuple[list[Result], int]:
    """Every case typed at its question; returns the results and how many were left for lack of time."""
    found = routes()
    by_route = assign(all_cases, found)
    results: list[Result] = []
    left = 0
    for route in found:
        by_language: dict[str, list[Case]] = defaultdict(list)
        for case in by_route.get(route.name, []):
            by_language[case.language].append(case)
        for language, todo in sorted(by_language.items()):
            done = measure_route(prober, route, language, todo, deadline, today)
            results.extend(done)
            left += len(todo) - len(done)
            if progress:
                print(f"  {route.name:36} {language}: {len(done)} answers", file=sys.stderr, flush=True)
    return results, left


def measure_route(
    prober: Prober, route: Route, language: str, todo: list[Case], deadline: float, today: date
) -> list[Result]:
    """The cases of one language on one journey: walks it, typing each at its question. An answer that
    changes the conversation's language (read as "switch to …") is counted, and the walk starts again in a
    new conversation for the rest."""
    results: list[Result] = []
    remaining = list(todo)
    while remaining and time.monotonic() < deadline:
        questions = {case.question for case in remaining}
        walk = prober.walk(route, language)
        for chat, step in walk:
            if step.question not in questions:
                continue
            here = [case for case in remaining if case.question == step.question]
            switched = False
            for case in here:
                if time.monotonic() > deadline:
                    return results
                results.append(prober.probe(chat, case, today))
                remaining.remove(case)
                if chat.language != language:
                    switched = True
                    break
            if switched:
                break
            questions.discard(step.question)
            if not questions:
                break
        walk.close()
    return results


@contextmanager
def started_stack() -> Iterator[tuple[str, Path]]:
    from tools.model import ensure_model
    from tools.secrets import generate
    from tools.stack import Ports, Stack

    with tempfile.TemporaryDirectory(prefix="answers-stack-") as data_dir:
        stack = Stack(
            data_dir=Path(data_dir),
            model=ensure_model(),
            ports=Ports.free(),
            secrets=generate(),
            extra_env={"OPENING_HOURS": "none", "CLOSED_ON_BANK_HOLIDAYS": "false"},
        )
        try:
            stack.migrate()
            stack.start()
            yield stack.api_url, Path(stack.env()["RASA_TRACKER_DB"])
        except Exception:
            print(stack.log_tail(), file=sys.stderr)
            raise
        finally:
            stack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-url", help="a running stack's api (default: start one)")
    parser.add_argument("--tracker-db", type=Path, help="that stack's Rasa tracker store (SQLite)")
    parser.add_argument("--languages", help="comma-separated (default: every language in the set)")
    parser.add_argument("--minutes", type=float, default=40.0, help="stop typing after this long")
    parser.add_argument("--misses", action="store_true", help="list every answer not understood as expected")
    args = parser.parse_args(argv)
    os.environ.setdefault("ALLOW_FICTIONAL_PHONE_NUMBERS", "1")
    # Stopped by a signal, the stack this started is stopped too (started_stack's `finally`).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    chosen = set(args.languages.split(",")) if args.languages else None
    all_cases = [c for c in cases() if chosen is None or c.language in chosen]
    started = time.monotonic()
    deadline = started + args.minutes * 60

    def run(api_url: str, tracker_db: Path) -> tuple[list[Result], int]:
        with httpx.Client(base_url=api_url, timeout=120) as http:
            return measure(Prober(http, Tracker(tracker_db)), all_cases, deadline, real_today(), True)

    if args.api_url:
        if not args.tracker_db:
            parser.error("--api-url needs --tracker-db")
        results, left = run(args.api_url, args.tracker_db)
    else:
        with started_stack() as (api_url, tracker_db):
            results, left = run(api_url, tracker_db)
    print(table(results))
    wrong_consent = [
        r
        for r in results
        if r.outcome == "wrong" and question_by_id(r.case.question).strict == Strictness.consent
    ]
    print(f"wrong consent: {len(wrong_consent)}")
    for result in wrong_consent:
        print(f"  {result.case.language} {result.case.said!r}: stored {result.got!r}")
    print(f"typed through the chat API: {len(results)} answers in {time.monotonic() - started:.0f} s"
          + (f"; {left} left untyped (--minutes)" if left else ""))  # fmt: skip
    if args.misses:
        for result in results:
            if result.outcome != "right":
                c = result.case
                print(
                    f"{result.outcome:9} {c.language} {c.question}: {c.said!r} "
                    f"expected {'confirm ' if c.confirm else ''}{expected_on(c, real_today())!r}, "
                    f"got {'confirm ' if result.got_confirm else ''}{result.got!r}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
