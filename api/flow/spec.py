"""The JSON Schema of a flow file, for editors (`flows/flow.schema.json`, `python -m api.flow schema`).

These Pydantic models describe the shape only: flowkit (`flowkit/spec.py`) reads and checks flow files, for
the bot and the api alike, and a test keeps the two naming the same fields. Nothing validates flows here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from flowkit.spec import (
    FIELD_NAME,
    LOCALE_KEY,
    POSTCODE_PREFIX,
    SLUG,
    SPEC_VERSION,
    AnswerType,
    Asker,
    ExitOutcome,
    FlowKind,
    Forget,
    PersonField,
    Strictness,
    Transform,
)

Slug = Annotated[str, StringConstraints(pattern=SLUG.pattern)]
LocaleKey = Annotated[str, StringConstraints(pattern=LOCALE_KEY.pattern)]
Scalar = str | int | bool
__all__ = ["SPEC_VERSION", "Flow", "json_schema"]
# Outward codes ("WS11") or whole postcode areas ("ST").
PostcodePrefix = Annotated[str, StringConstraints(pattern=POSTCODE_PREFIX.pattern)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


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


class Choice(Strict):
    value: Slug
    text_key: LocaleKey


class TriageMap(Strict):
    """How an answer feeds one TriageInput field.

    By default the answer itself (a choice's value, a yes/no as true/false, a number); onto a list field a
    value is added to the list. `values` maps choice values (a missing value maps to nothing); `if_yes`
    sets a value when a yes/no is yes; `transform` converts dates and postcodes.
    """

    field: Annotated[str, StringConstraints(pattern=FIELD_NAME.pattern)]
    values: dict[str, Scalar] | None = None
    if_yes: Scalar | None = None
    transform: Transform | None = None


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
    strict: Strictness | None = Field(
        default=None,
        description="yes_no only: read answers typed in words more strictly. `consent`: a hedged or long "
        "answer, yes or no, is confirmed, never stored. `safety` ('is it safe to…?'): a hedged or long "
        "yes, or 'sometimes', is confirmed; a no is stored.",
    )


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


def json_schema() -> dict[str, Any]:
    schema = Flow.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"Conversation flow (spec_version {SPEC_VERSION})"
    return schema
