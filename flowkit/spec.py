"""The flow spec: the shape of one journey file in flows/ (`spec_version` 1), read and checked.

A flow is data: its questions (each with an answer type, limits, choices and a `when` branch), how each answer
maps onto the triage input (TRIAGE.md) and the referral's contact details, and its exits (what the person is
told at the end, and whether a referral is submitted). Text is always a locale key, never words.

`parse_flow` turns one file's mapping into these frozen dataclasses and refuses what does not fit: an unknown
key, a value of the wrong kind, a limit that does not apply to the answer type, and so on. Checks that need
more than one file (sections, locale keys, exits into other flows) are in `flows.py`.

`flows/flow.schema.json` (for editors) is generated from the api's Pydantic description of the same shape
(`api/flow/spec.py`, `python -m api.flow schema`); a test keeps the two naming the same fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

from flowkit.postcode import AREA_OR_DISTRICT

SPEC_VERSION = 1

SLUG = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
LOCALE_KEY = re.compile(r"^bot(\.[a-z0-9_]+){2,4}$")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Outward codes ("WS11") or whole postcode areas ("ST").
POSTCODE_PREFIX = AREA_OR_DISTRICT

Scalar = str | int | bool
# TriageInput's list fields: a mapping onto one adds to the list (a test checks this against the api's model).
LIST_FIELDS = frozenset({"hate_strands", "vulnerabilities", "da_red_flags"})


class FlowError(ValueError):
    """A flow file is broken; the message names the file (or the part) and what is wrong."""


class _Name(str, Enum):
    """A fixed set of lowercase names; formats and prints as its value on every Python."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class AnswerType(_Name):
    choice = "choice"
    yes_no = "yes_no"
    number = "number"
    date = "date"
    phone = "phone"
    postcode = "postcode"
    free_text = "free_text"


class Asker(_Name):
    """Who asks a question: the bot, in the conversation with the person (web chat, SMS), or the agency
    worker filling in the referral form (and the agency API) on the person's behalf."""

    bot = "bot"
    agency = "agency"


class FlowKind(_Name):
    """`journey`: ends in a referral (needs consent); `information`: tells, keeps nothing;
    `section`: questions and exits included by other flows with `use:`."""

    journey = "journey"
    information = "information"
    section = "section"


class ExitOutcome(_Name):
    submit = "submit"  # build the referral from the answers and hand it to the api
    end = "end"  # say something, keep nothing


class Forget(_Name):
    answers = "answers"  # forget the answers, except those marked `remember` (and the language)
    everything = "everything"  # forget every answer, as after "stop"


class PersonField(_Name):
    """ReferralCreate.person fields a question may fill."""

    phone = "phone"
    sms_safe = "sms_safe"
    voicemail_safe = "voicemail_safe"
    safe_times = "safe_times"


class Strictness(_Name):
    """A yes/no question where a wrong answer costs most, read more strictly (flowkit/parse.py).
    `consent`: a hedged or long answer, yes or no, is put to the person to confirm, never stored.
    `safety` ("is it safe to talk, text, call…?"): a hedged or long yes, or "sometimes", is confirmed; a no
    (the safe side) is stored."""

    consent = "consent"
    safety = "safety"


class Transform(_Name):
    days_since = "days_since"  # a date → whole days before the referral is made
    is_local = "is_local"  # a postcode → true when it is in the question's local districts (else nothing)


@dataclass(frozen=True)
class Condition:
    """A test on earlier answers. Either one `answer` with exactly one test, or `all`/`any`/`not`.

    An unanswered or skipped ("rather not say") answer passes no test except `answered: false`.
    """

    answer: str | None = None
    equals: Scalar | None = None
    in_: tuple[Scalar, ...] | None = None
    gt: int | None = None
    gte: int | None = None
    lt: int | None = None
    lte: int | None = None
    is_local: bool | None = None
    answered: bool | None = None
    all: tuple[Condition, ...] | None = None
    any: tuple[Condition, ...] | None = None
    not_: Condition | None = None

    def children(self) -> list[Condition]:
        return [*(self.all or ()), *(self.any or ()), *([self.not_] if self.not_ else [])]

    def answers_named(self) -> set[str]:
        if self.answer is not None:
            return {self.answer}
        names: set[str] = set()
        for child in self.children():
            names |= child.answers_named()
        return names


@dataclass(frozen=True)
class Choice:
    value: str
    text_key: str


@dataclass(frozen=True)
class TriageMap:
    """How an answer feeds one TriageInput field.

    By default the answer itself (a choice's value, a yes/no as true/false, a number); onto a list field a
    value is added to the list. `values` maps choice values (a missing value maps to nothing); `if_yes`
    sets a value when a yes/no is yes; `transform` converts dates and postcodes.
    """

    field: str
    values: dict[str, Scalar] | None = None
    if_yes: Scalar | None = None
    transform: Transform | None = None

    def __hash__(self) -> int:
        return hash((self.field, tuple(sorted((self.values or {}).items())), self.if_yes, self.transform))


@dataclass(frozen=True)
class Question:
    id: str
    type: AnswerType
    text_key: str
    preface_key: str | None = None  # said just before the question, in the same message
    optional: bool = False  # the person may skip it ("rather not say"); nothing is mapped then
    when: Condition | None = None  # asked only when this holds
    choices: tuple[Choice, ...] | None = None
    max_length: int | None = None
    min: int | None = None
    max: int | None = None
    max_days_ago: int | None = None
    local_districts: tuple[str, ...] | None = None
    yes_text_key: str | None = None
    no_text_key: str | None = None
    triage: tuple[TriageMap, ...] = ()
    person: PersonField | None = None
    store: bool = True  # kept in the referral's answers (contact details go to person)
    remember: bool = False  # kept after the flow ends, for the rest of the conversation
    strict: Strictness | None = None  # yes/no only: read more strictly (consent, "is it safe to…?")
    asked_by: tuple[Asker, ...] = (Asker.bot, Asker.agency)

    @property
    def choice_values(self) -> list[str]:
        return [c.value for c in self.choices or ()]


@dataclass(frozen=True)
class Include:
    """Include a section's questions (and its exits) here."""

    use: str


@dataclass(frozen=True)
class ButtonSpec:
    """A button that starts another flow (its payload is that flow's intent)."""

    text_key: str
    flow: str


@dataclass(frozen=True)
class Say:
    text_key: str
    buttons: tuple[ButtonSpec, ...] = ()


@dataclass(frozen=True)
class Exit:
    id: str
    when: Condition | None = None  # the last exit of a flow has none
    say: Say | None = None
    outcome: ExitOutcome = ExitOutcome.end
    forget: Forget = Forget.answers
    owner: str = ""  # the flow or section that defines it (set by the loader, not in the file)

    @property
    def response(self) -> str:
        """The response it says: utter_<the flow or section that defines it>_<exit id>."""
        return f"utter_{self.owner}_{self.id}"


@dataclass(frozen=True)
class FlowSpec:
    spec_version: int
    id: str
    kind: FlowKind
    intent: str | None = None  # the NLU intent (and button payload) that starts it
    intro_key: str | None = None
    triage_constants: dict[str, Any] = field(default_factory=dict)  # TriageInput values it always sets
    questions: tuple[Question | Include, ...] = ()
    exits: tuple[Exit, ...] = ()

    def __hash__(self) -> int:
        return hash((self.id, self.kind))


# ---- reading a mapping into the dataclasses, refusing what does not fit ----------------------------------

E = TypeVar("E", bound=_Name)


class _Fields:
    """One mapping of a flow file: a key it may not have is refused at once; each value is then read by
    what it should be (a pattern, a flag, a whole number, a name from a fixed set, a list)."""

    def __init__(self, raw: Any, where: str, allowed: tuple[str, ...]) -> None:
        if not isinstance(raw, dict):
            raise FlowError(f"{where}: must be a mapping, not {raw!r}")
        unknown = sorted(str(k) for k in raw if k not in allowed)
        if unknown:
            raise FlowError(f"{where}: unknown field(s) {', '.join(unknown)} (allowed: {', '.join(allowed)})")
        self.raw: dict[str, Any] = raw
        self.where = where

    def fail(self, name: str, problem: str) -> FlowError:
        return FlowError(f"{self.where}: {name}: {problem}")

    def get(self, name: str, required: bool = False) -> Any:
        value = self.raw.get(name)
        if value is None and required:
            raise self.fail(name, "is required")
        return value

    def text(self, name: str, pattern: re.Pattern[str], required: bool = False) -> str | None:
        value = self.get(name, required)
        if value is None:
            return None
        if not isinstance(value, str) or not pattern.match(value):
            raise self.fail(name, f"{value!r} does not match {pattern.pattern}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(name, f"must be true or false, not {value!r}")
        return value

    def whole(self, name: str, low: int | None = None, high: int | None = None) -> int | None:
        value = self.get(name)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(name, f"must be a whole number, not {value!r}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.fail(name, f"must be from {low} to {high}")
        return value

    def scalar(self, name: str) -> Scalar | None:
        value = self.get(name)
        if value is not None and not _is_scalar(value):
            raise self.fail(name, f"must be text, a whole number or true/false, not {value!r}")
        return value  # type: ignore[no-any-return]

    def choose(self, name: str, names: type[E], default: E | None = None, required: bool = False) -> E | None:
        value = self.get(name, required)
        if value is None:
            return default
        try:
            return names(value)
        except ValueError:
            allowed = ", ".join(m.value for m in names)
            raise self.fail(name, f"{value!r} is not one of: {allowed}") from None

    def items(self, name: str, low: int = 0, high: int | None = None) -> list[Any] | None:
        value = self.get(name)
        if value is None:
            return None
        if not isinstance(value, list):
            raise self.fail(name, f"must be a list, not {value!r}")
        if len(value) < low or (high is not None and len(value) > high):
            raise self.fail(name, f"must have from {low} to {high if high is not None else 'any'} items")
        return value


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, bool, int))


def _each(items: list[Any] | None, read: Callable[[Any, str], Any], where: str) -> Any:
    return None if items is None else tuple(read(item, f"{where}[{i}]") for i, item in enumerate(items))


# The keys each part of a flow file may use (a test checks the JSON Schema names the same).
FIELDS: Mapping[str, tuple[str, ...]] = {
    "Flow": ("spec_version", "id", "kind", "intent", "intro_key", "triage_constants", "questions", "exits"),
    "Question": (
        "id", "type", "text_key", "preface_key", "optional", "when", "choices", "max_length", "min", "max",
        "max_days_ago", "local_districts", "yes_text_key", "no_text_key", "triage", "person", "store",
        "remember", "asked_by", "strict",
    ),
    "Condition": (
        "answer", "equals", "in", "gt", "gte", "lt", "lte", "is_local", "answered", "all", "any", "not",
    ),
    "Choice": ("value", "text_key"),
    "TriageMap": ("field", "values", "if_yes", "transform"),
    "Include": ("use",),
    "ButtonSpec": ("text_key", "flow"),
    "Say": ("text_key", "buttons"),
    "Exit": ("id", "when", "say", "outcome", "forget"),
}  # fmt: skip

_TESTS = ("equals", "in_", "gt", "gte", "lt", "lte", "is_local", "answered")
_GROUPS = ("all", "any", "not_")


def parse_condition(raw: Any, where: str) -> Condition:
    f = _Fields(raw, where, FIELDS["Condition"])
    in_values = f.items("in", low=1)
    for value in in_values or []:
        if not _is_scalar(value):
            raise f.fail("in", f"must list text, whole numbers or true/false, not {value!r}")
    not_raw = f.get("not")
    condition = Condition(
        answer=f.text("answer", SLUG),
        equals=f.scalar("equals"),
        in_=None if in_values is None else tuple(in_values),
        gt=f.whole("gt"),
        gte=f.whole("gte"),
        lt=f.whole("lt"),
        lte=f.whole("lte"),
        is_local=None if f.get("is_local") is None else f.flag("is_local", False),
        answered=None if f.get("answered") is None else f.flag("answered", False),
        all=_each(f.items("all", low=1), parse_condition, f"{where}.all"),
        any=_each(f.items("any", low=1), parse_condition, f"{where}.any"),
        not_=None if not_raw is None else parse_condition(not_raw, f"{where}.not"),
    )
    tests = [name for name in _TESTS if getattr(condition, name) is not None]
    groups = [name for name in _GROUPS if getattr(condition, name) is not None]
    if condition.answer is not None:
        if groups or len(tests) != 1:
            raise FlowError(f"{where}: a condition on an answer needs exactly one test (equals, in, gt, ...)")
    elif tests or len(groups) != 1:
        raise FlowError(
            f"{where}: a condition is one of: "
            "{answer: ..., <test>}, {all: [...]}, {any: [...]}, {not: ...}"
        )
    return condition


def _choice(raw: Any, where: str) -> Choice:
    f = _Fields(raw, where, FIELDS["Choice"])
    return Choice(value=str(f.text("value", SLUG, True)), text_key=str(f.text("text_key", LOCALE_KEY, True)))


def _triage_map(raw: Any, where: str) -> TriageMap:
    f = _Fields(raw, where, FIELDS["TriageMap"])
    values = f.get("values")
    if values is not None and (
        not isinstance(values, dict)
        or not all(isinstance(k, str) and _is_scalar(v) for k, v in values.items())
    ):
        raise f.fail("values", "maps choice values to text, whole numbers or true/false")
    mapping = TriageMap(
        field=str(f.text("field", FIELD_NAME, True)),
        values=None if values is None else dict(values),
        if_yes=f.scalar("if_yes"),
        transform=f.choose("transform", Transform, None),
    )
    if sum(x is not None for x in (mapping.values, mapping.if_yes, mapping.transform)) > 1:
        raise FlowError(f"{where}: use at most one of values, if_yes, transform")
    return mapping


_LIMITS = (
    "choices",
    "max_length",
    "min",
    "max",
    "max_days_ago",
    "local_districts",
    "yes_text_key",
    "no_text_key",
)


def _district(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not POSTCODE_PREFIX.match(raw):
        raise FlowError(f"{where}: {raw!r} is not a postcode area or district (ST, WS11)")
    return raw


def _asker(raw: Any, where: str) -> Asker:
    try:
        return Asker(raw)
    except ValueError:
        raise FlowError(f"{where}: {raw!r} is not one of: bot, agency") from None


def parse_question(raw: Any, where: str) -> Question:
    f = _Fields(raw, where, FIELDS["Question"])
    qid = str(f.text("id", SLUG, True))
    f.where = where = f"{where} ({qid})"
    triage_raw = f.get("triage")
    if isinstance(triage_raw, dict):  # one mapping is a list of one
        triage_raw = [triage_raw]
    if triage_raw is not None and not isinstance(triage_raw, list):
        raise f.fail("triage", "must be a mapping or a list of them")
    when_raw = f.get("when")
    asked_by = _each(f.items("asked_by", low=1), _asker, f"{where}.asked_by")
    question = Question(
        id=qid,
        type=f.choose("type", AnswerType, required=True),  # type: ignore[arg-type]
        text_key=str(f.text("text_key", LOCALE_KEY, True)),
        preface_key=f.text("preface_key", LOCALE_KEY),
        optional=f.flag("optional", False),
        when=None if when_raw is None else parse_condition(when_raw, f"{where}.when"),
        choices=_each(f.items("choices", low=2, high=9), _choice, f"{where}.choices"),
        max_length=f.whole("max_length", 1, 2000),
        min=f.whole("min"),
        max=f.whole("max"),
        max_days_ago=f.whole("max_days_ago", 1, 36500),
        local_districts=_each(f.items("local_districts", low=1), _district, f"{where}.local_districts"),
        yes_text_key=f.text("yes_text_key", LOCALE_KEY),
        no_text_key=f.text("no_text_key", LOCALE_KEY),
        triage=_each(triage_raw or [], _triage_map, f"{where}.triage"),
        person=f.choose("person", PersonField, None),
        store=f.flag("store", True),
        remember=f.flag("remember", False),
        strict=f.choose("strict", Strictness, None),
        asked_by=asked_by if asked_by is not None else (Asker.bot, Asker.agency),
    )
    _check_question(question)
    return question


def _check_question(q: Question) -> None:
    kind = q.type
    allowed = {
        AnswerType.choice: {"choices"},
        AnswerType.free_text: {"max_length"},
        AnswerType.number: {"min", "max"},
        AnswerType.date: {"max_days_ago"},
        AnswerType.postcode: {"local_districts"},
        AnswerType.yes_no: {"yes_text_key", "no_text_key"},
    }.get(kind, set())
    for name in _LIMITS:
        if getattr(q, name) is not None and name not in allowed:
            raise FlowError(f"{q.id}: '{name}' does not apply to a {kind} question")
    if kind == AnswerType.choice and not q.choices:
        raise FlowError(f"{q.id}: a choice question needs choices")
    if kind == AnswerType.free_text and q.max_length is None:
        raise FlowError(f"{q.id}: a free_text question needs max_length")
    if kind == AnswerType.number and (q.min is None or q.max is None or q.min > q.max):
        raise FlowError(f"{q.id}: a number question needs min <= max")
    values = q.choice_values
    if len(set(values)) != len(values):
        raise FlowError(f"{q.id}: duplicate choice values")
    for mapping in q.triage:
        if mapping.values is not None and kind != AnswerType.choice:
            raise FlowError(f"{q.id}: 'values' maps choices; this is a {kind} question")
        if mapping.values is not None and q.choices is not None:
            unknown = set(mapping.values) - set(values)
            if unknown:
                raise FlowError(f"{q.id}: 'values' names no such choice: {sorted(unknown)}")
        if mapping.if_yes is not None and kind != AnswerType.yes_no:
            raise FlowError(f"{q.id}: 'if_yes' is for yes_no questions")
        if mapping.transform == Transform.days_since and kind != AnswerType.date:
            raise FlowError(f"{q.id}: days_since converts a date")
        if mapping.transform == Transform.is_local and kind != AnswerType.postcode:
            raise FlowError(f"{q.id}: is_local reads a postcode")
        if mapping.transform is None and kind in (AnswerType.date, AnswerType.postcode):
            raise FlowError(f"{q.id}: a {kind} answer maps to triage only through a transform")
        if mapping.transform is None and kind in (AnswerType.free_text, AnswerType.phone):
            raise FlowError(f"{q.id}: a {kind} answer cannot feed triage")
    if q.strict is not None and kind != AnswerType.yes_no:
        raise FlowError(f"{q.id}: 'strict' is for yes_no questions")
    if Asker.bot not in q.asked_by:
        raise FlowError(f"{q.id}: the bot asks every question (asked_by must include bot)")
    if len(set(q.asked_by)) != len(q.asked_by):
        raise FlowError(f"{q.id}: asked_by names someone twice")
    if q.person in (PersonField.sms_safe, PersonField.voicemail_safe) and kind != AnswerType.yes_no:
        raise FlowError(f"{q.id}: person.{q.person} is a yes/no")
    if q.person == PersonField.phone and kind != AnswerType.phone:
        raise FlowError(f"{q.id}: person.phone is a phone question")
    if q.person == PersonField.safe_times and kind != AnswerType.free_text:
        raise FlowError(f"{q.id}: person.safe_times is free text")


def _question_or_include(raw: Any, where: str) -> Question | Include:
    if isinstance(raw, dict) and "use" in raw:
        f = _Fields(raw, where, FIELDS["Include"])
        return Include(use=str(f.text("use", SLUG, True)))
    return parse_question(raw, where)


def _button(raw: Any, where: str) -> ButtonSpec:
    f = _Fields(raw, where, FIELDS["ButtonSpec"])
    return ButtonSpec(
        text_key=str(f.text("text_key", LOCALE_KEY, True)), flow=str(f.text("flow", SLUG, True))
    )


def _say(raw: Any, where: str) -> Say:
    f = _Fields(raw, where, FIELDS["Say"])
    return Say(
        text_key=str(f.text("text_key", LOCALE_KEY, True)),
        buttons=_each(f.items("buttons", high=9), _button, f"{where}.buttons") or (),
    )


def _exit(raw: Any, where: str) -> Exit:
    f = _Fields(raw, where, FIELDS["Exit"])
    when_raw, say_raw = f.get("when"), f.get("say")
    return Exit(
        id=str(f.text("id", SLUG, True)),
        when=None if when_raw is None else parse_condition(when_raw, f"{where}.when"),
        say=None if say_raw is None else _say(say_raw, f"{where}.say"),
        outcome=f.choose("outcome", ExitOutcome, ExitOutcome.end) or ExitOutcome.end,
        forget=f.choose("forget", Forget, Forget.answers) or Forget.answers,
    )


def _constants(raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise FlowError(f"{where}: triage_constants must be a mapping")
    for name, value in raw.items():
        fits = _is_scalar(value) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        if not isinstance(name, str) or not fits:
            raise FlowError(f"{where}: triage_constants.{name} must be text, a number, true/false or a list")
    return dict(raw)


def parse_flow(raw: Any, where: str = "flow") -> FlowSpec:
    """One flow file's mapping as a FlowSpec; raises FlowError naming what does not fit."""
    f = _Fields(raw, where, FIELDS["Flow"])
    version = f.get("spec_version", required=True)
    if version != SPEC_VERSION or isinstance(version, bool):
        raise f.fail("spec_version", f"must be {SPEC_VERSION}, not {version!r}")
    questions = f.items("questions", low=1)
    if questions is None:
        raise f.fail("questions", "is required")
    kind = f.choose("kind", FlowKind)
    if kind is None:
        raise f.fail("kind", "is required")
    spec = FlowSpec(
        spec_version=SPEC_VERSION,
        id=str(f.text("id", SLUG, True)),
        kind=kind,
        intent=f.text("intent", SLUG),
        intro_key=f.text("intro_key", LOCALE_KEY),
        triage_constants=_constants(f.get("triage_constants"), where),
        questions=_each(questions, _question_or_include, f"{where}.questions"),
        exits=_each(f.items("exits") or [], _exit, f"{where}.exits"),
    )
    _check_flow(spec)
    return spec


def _check_flow(spec: FlowSpec) -> None:
    ids = [e.id for e in spec.exits]
    if len(set(ids)) != len(ids):
        raise FlowError(f"{spec.id}: duplicate exit ids")
    if spec.kind == FlowKind.section:
        if spec.intent or spec.intro_key or spec.triage_constants:
            raise FlowError(f"{spec.id}: a section has no intent, intro or triage constants")
        if any(e.when is None for e in spec.exits):
            raise FlowError(f"{spec.id}: every exit of a section needs a 'when'")
        if any(isinstance(q, Include) for q in spec.questions):
            raise FlowError(f"{spec.id}: a section cannot include another section")
    else:
        if not spec.exits or spec.exits[-1].when is not None:
            raise FlowError(f"{spec.id}: the last exit has no 'when' (it is where the flow ends)")
        if any(e.when is None for e in spec.exits[:-1]):
            raise FlowError(f"{spec.id}: only the last exit may have no 'when'")
        if spec.intent is None:
            raise FlowError(f"{spec.id}: needs the intent that starts it")
    for exit_ in spec.exits:
        if exit_.outcome == ExitOutcome.submit:
            if spec.kind != FlowKind.journey:
                raise FlowError(f"{spec.id}: only a journey submits a referral")
            if exit_.say is not None:
                raise FlowError(f"{spec.id}: a submit exit says the hand-off messages, not its own")
        elif exit_.say is None:
            raise FlowError(f"{spec.id}: exit {exit_.id} must say something")
