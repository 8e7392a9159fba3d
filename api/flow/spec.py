"""The flow spec: the shape of one journey file in flows/ (`spec_version` 1).

A flow is data: its questions (each with an answer type, limits, choices and a `when` branch), how each answer
maps onto the triage input (TRIAGE.md) and the referral's contact details, and its exits (what the person is
told at the end, and whether a referral is submitted). Text is always a locale key, never words.

`flows/flow.schema.json` is generated from these models (`python -m api.flow schema`); a test keeps it fresh.
Checks that need more than one file (sections, locale keys, exits into other flows) are in `loader.py`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

SPEC_VERSION = 1

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
LocaleKey = Annotated[str, StringConstraints(pattern=r"^bot(\.[a-z0-9_]+){2,4}$")]
Scalar = str | int | bool
# Outward codes ("WS11") or whole postcode areas ("ST").
PostcodePrefix = Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,2}([0-9][0-9A-Z]?)?$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AnswerType(StrEnum):
    choice = "choice"
    yes_no = "yes_no"
    number = "number"
    date = "date"
    phone = "phone"
    postcode = "postcode"
    free_text = "free_text"


class Asker(StrEnum):
    """Who asks a question: the bot, in the conversation with the person (web chat, SMS), or the agency
    worker filling in the referral form (and the agency API) on the person's behalf."""

    bot = "bot"
    agency = "agency"


class FlowKind(StrEnum):
    """`journey`: ends in a referral (needs consent); `information`: tells, keeps nothing;
    `section`: questions and exits included by other flows with `use:`."""

    journey = "journey"
    information = "information"
    section = "section"


class ExitOutcome(StrEnum):
    submit = "submit"  # build the referral from the answers and hand it to the api
    end = "end"  # say something, keep nothing


class Forget(StrEnum):
    answers = "answers"  # forget the answers, except those marked `remember` (and the language)
    everything = "everything"  # forget every answer, as after "stop"


class PersonField(StrEnum):
    """ReferralCreate.person fields a question may fill."""

    phone = "phone"
    sms_safe = "sms_safe"
    voicemail_safe = "voicemail_safe"
    safe_times = "safe_times"


class Transform(StrEnum):
    days_since = "days_since"  # a date → whole days before the referral is made
    is_local = "is_local"  # a postcode → true when it is in the question's local districts (else nothing)


class Condition(Strict):
    """A test on earlier answers. Either one `answer` with exactly one test, or `all`/`any`/`not`.

    An unanswered or skipped ("rather not say") answer passes no test except `answered: false`.
    """

    answer: Slug | None = None
    equals: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in", min_length=1)
    gt: int | None = None
    gte: int | None = None
    lt: int | None = None
    lte: int | None = None
    is_local: bool | None = None
    answered: bool | None = None
    all: list[Condition] | None = Field(default=None, min_length=1)
    any: list[Condition] | None = Field(default=None, min_length=1)
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        tests = [
            name
            for name in ("equals", "in_", "gt", "gte", "lt", "lte", "is_local", "answered")
            if getattr(self, name) is not None
        ]
        groups = [name for name in ("all", "any", "not_") if getattr(self, name) is not None]
        if self.answer is not None:
            if groups or len(tests) != 1:
                raise ValueError("a condition on an answer needs exactly one test (equals, in, gt, ...)")
        elif tests or len(groups) != 1:
            raise ValueError(
                "a condition is one of: {answer: ..., <test>}, {all: [...]}, {any: [...]}, {not: ...}"
            )
        return self

    def answers_named(self) -> set[str]:
        if self.answer is not None:
            return {self.answer}
        names: set[str] = set()
        for child in [*(self.all or []), *(self.any or []), *([self.not_] if self.not_ else [])]:
            names |= child.answers_named()
        return names


class Choice(Strict):
    value: Slug
    text_key: LocaleKey


class TriageMap(Strict):
    """How an answer feeds one TriageInput field.

    By default the answer itself (a choice's value, a yes/no as true/false, a number); onto a list field a
    value is added to the list. `values` maps choice values (a missing value maps to nothing); `if_yes`
    sets a value when a yes/no is yes; `transform` converts dates and postcodes.
    """

    field: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    values: dict[str, Scalar] | None = None
    if_yes: Scalar | None = None
    transform: Transform | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if sum(x is not None for x in (self.values, self.if_yes, self.transform)) > 1:
            raise ValueError("use at most one of values, if_yes, transform")
        return self


class Question(Strict):
    id: Slug
    type: AnswerType
    text_key: LocaleKey
    preface_key: LocaleKey | None = Field(
        default=None,
        description="Said just before the question, in the same message (the privacy notice before consent: "
        "the wording recorded on a consent receipt is the whole message).",
    )
    optional: bool = Field(
        default=False, description="The person may skip it ('rather not say'); nothing is mapped then."
    )
    when: Condition | None = Field(default=None, description="Asked only when this holds.")
    choices: list[Choice] | None = Field(default=None, min_length=2, max_length=9)
    max_length: int | None = Field(default=None, ge=1, le=2000)
    min: int | None = None
    max: int | None = None
    max_days_ago: int | None = Field(default=None, ge=1, le=36500)
    local_districts: list[PostcodePrefix] | None = Field(default=None, min_length=1)
    yes_text_key: LocaleKey | None = Field(default=None, description="Button title for yes (yes_no only).")
    no_text_key: LocaleKey | None = Field(default=None, description="Button title for no (yes_no only).")
    triage: list[TriageMap] = Field(default_factory=list)
    person: PersonField | None = None
    store: bool = Field(
        default=True, description="Keep the answer in the referral's answers (contact details go to person)."
    )
    remember: bool = Field(
        default=False,
        description="Kept after the flow ends, for the rest of the conversation (until stop or start again).",
    )
    asked_by: list[Asker] = Field(
        default_factory=lambda: [Asker.bot, Asker.agency],
        min_length=1,
        description="Who asks it. `[bot]` for what only the person can answer in the conversation (safe to "
        "talk now, their own consent): an agency referral leaves it out, and attests consent instead.",
    )

    @model_validator(mode="before")
    @classmethod
    def _one_triage_map_is_a_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("triage"), dict):
            data = {**data, "triage": [data["triage"]]}
        return data

    @model_validator(mode="after")
    def _fits_its_type(self) -> Self:
        kind = self.type
        allowed = {
            AnswerType.choice: {"choices"},
            AnswerType.free_text: {"max_length"},
            AnswerType.number: {"min", "max"},
            AnswerType.date: {"max_days_ago"},
            AnswerType.postcode: {"local_districts"},
        }.get(kind, set())
        if kind == AnswerType.yes_no:
            allowed = {"yes_text_key", "no_text_key"}
        for name in (
            "choices",
            "max_length",
            "min",
            "max",
            "max_days_ago",
            "local_districts",
            "yes_text_key",
            "no_text_key",
        ):
            if getattr(self, name) is not None and name not in allowed:
                raise ValueError(f"{self.id}: '{name}' does not apply to a {kind} question")
        if kind == AnswerType.choice and not self.choices:
            raise ValueError(f"{self.id}: a choice question needs choices")
        if kind == AnswerType.free_text and self.max_length is None:
            raise ValueError(f"{self.id}: a free_text question needs max_length")
        if kind == AnswerType.number and (self.min is None or self.max is None or self.min > self.max):
            raise ValueError(f"{self.id}: a number question needs min <= max")
        if self.choices is not None:
            values = [c.value for c in self.choices]
            if len(set(values)) != len(values):
                raise ValueError(f"{self.id}: duplicate choice values")
        for mapping in self.triage:
            if mapping.values is not None and kind != AnswerType.choice:
                raise ValueError(f"{self.id}: 'values' maps choices; this is a {kind} question")
            if mapping.values is not None and self.choices is not None:
                unknown = set(mapping.values) - {c.value for c in self.choices}
                if unknown:
                    raise ValueError(f"{self.id}: 'values' names no such choice: {sorted(unknown)}")
            if mapping.if_yes is not None and kind != AnswerType.yes_no:
                raise ValueError(f"{self.id}: 'if_yes' is for yes_no questions")
            if mapping.transform == Transform.days_since and kind != AnswerType.date:
                raise ValueError(f"{self.id}: days_since converts a date")
            if mapping.transform == Transform.is_local and kind != AnswerType.postcode:
                raise ValueError(f"{self.id}: is_local reads a postcode")
            if mapping.transform is None and kind in (AnswerType.date, AnswerType.postcode):
                raise ValueError(f"{self.id}: a {kind} answer maps to triage only through a transform")
            if mapping.transform is None and kind in (AnswerType.free_text, AnswerType.phone):
                raise ValueError(f"{self.id}: a {kind} answer cannot feed triage")
        if Asker.bot not in self.asked_by:
            raise ValueError(f"{self.id}: the bot asks every question (asked_by must include bot)")
        if len(set(self.asked_by)) != len(self.asked_by):
            raise ValueError(f"{self.id}: asked_by names someone twice")
        if self.person in (PersonField.sms_safe, PersonField.voicemail_safe) and kind != AnswerType.yes_no:
            raise ValueError(f"{self.id}: person.{self.person} is a yes/no")
        if self.person == PersonField.phone and kind != AnswerType.phone:
            raise ValueError(f"{self.id}: person.phone is a phone question")
        if self.person == PersonField.safe_times and kind != AnswerType.free_text:
            raise ValueError(f"{self.id}: person.safe_times is free text")
        return self


class Include(Strict):
    """Include a section's questions (and its exits) here."""

    use: Slug


class ButtonSpec(Strict):
    """A button that starts another flow (its payload is that flow's intent)."""

    text_key: LocaleKey
    flow: Slug


class Say(Strict):
    text_key: LocaleKey
    buttons: list[ButtonSpec] = Field(default_factory=list, max_length=9)


class Exit(Strict):
    id: Slug
    when: Condition | None = Field(default=None, description="The last exit of a flow has none.")
    say: Say | None = None
    outcome: ExitOutcome = ExitOutcome.end
    forget: Forget = Forget.answers


class Flow(Strict):
    spec_version: Literal[1] = Field(description="Bumped when this format changes; flows are migrated.")
    id: Slug
    kind: FlowKind
    intent: Slug | None = Field(
        default=None, description="The NLU intent (and button payload) that starts it."
    )
    intro_key: LocaleKey | None = None
    triage_constants: dict[str, Scalar | list[str]] = Field(
        default_factory=dict, description="TriageInput values this journey always sets."
    )
    questions: list[Question | Include] = Field(min_length=1)
    exits: list[Exit] = Field(default_factory=list)

    @model_validator(mode="after")
    def _exits_fit_the_kind(self) -> Self:
        ids = [e.id for e in self.exits]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.id}: duplicate exit ids")
        if self.kind == FlowKind.section:
            if self.intent or self.intro_key or self.triage_constants:
                raise ValueError(f"{self.id}: a section has no intent, intro or triage constants")
            if any(e.when is None for e in self.exits):
                raise ValueError(f"{self.id}: every exit of a section needs a 'when'")
            if any(isinstance(q, Include) for q in self.questions):
                raise ValueError(f"{self.id}: a section cannot include another section")
        else:
            if not self.exits or self.exits[-1].when is not None:
                raise ValueError(f"{self.id}: the last exit has no 'when' (it is where the flow ends)")
            if any(e.when is None for e in self.exits[:-1]):
                raise ValueError(f"{self.id}: only the last exit may have no 'when'")
            if self.intent is None:
                raise ValueError(f"{self.id}: needs the intent that starts it")
        for exit_ in self.exits:
            if exit_.outcome == ExitOutcome.submit:
                if self.kind != FlowKind.journey:
                    raise ValueError(f"{self.id}: only a journey submits a referral")
                if exit_.say is not None:
                    raise ValueError(f"{self.id}: a submit exit says the hand-off messages, not its own")
            elif exit_.say is None:
                raise ValueError(f"{self.id}: exit {exit_.id} must say something")
        return self


def json_schema() -> dict[str, Any]:
    schema = Flow.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"Conversation flow (spec_version {SPEC_VERSION})"
    return schema
