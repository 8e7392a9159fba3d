"""Answers no flow question names, as a caseworker reads them: the triage input's fields and the police
feed's columns, as an agency or the police feed store them in a referral's answers.

Each known key has a label (`console.field.<name>`, or the triage inbox's `console.retriage.field.<name>`
where that already says it) and a kind that says how its value reads: Yes/No, a choice or a list of choices
by their labels (`console.retriage.value.<field>.<value>` or `console.value.<field>.<value>`), a number, a
date and time in the caseworker's locale (Babel; Europe/London), or text kept verbatim as the agency or the
police wrote it (shown in the person's language, as their own words). Empty lists and missing values read
"None given", so the caseworker sees that nothing was given rather than wondering whether it was lost. A
value of an unexpected shape, or a choice nobody has labelled, is shown as it is stored: never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from babel.dates import format_date

from api.i18n import Translator, cldr_locale
from api.triage.deadlines import LONDON
from api.triage.schemas import DaRedFlag, HateStrand


class Kind(StrEnum):
    yes_no = "yes_no"
    choice = "choice"
    choices = "choices"
    number = "number"
    moment = "moment"  # an ISO-8601 date-time (or date)
    text = "text"  # verbatim: free text, or a reference as it was written
    factors = "factors"  # the police feed's aggravating factor codes


@dataclass(frozen=True)
class Field:
    kind: Kind
    label_key: str
    values_key: str | None = None  # prefix of the value labels of a choice: `<prefix>.<value>`


def _field(name: str, kind: Kind, values: str | None = None) -> Field:
    return Field(kind, f"console.field.{name}", values)


def _inbox(name: str, kind: Kind, values: str | None = None) -> Field:
    """A field the triage inbox already labels (locales/console.<lang>.yml, `retriage`)."""
    return Field(kind, f"console.retriage.field.{name}", values)


INBOX_VALUES = "console.retriage.value"
VALUES = "console.value"

# Every TriageInput field (shared/TRIAGE.md), in the order a caseworker reads them (danger first).
TRIAGE_FIELDS: dict[str, Field] = {
    "incident_type": _inbox("incident_type", Kind.choice, f"{INBOX_VALUES}.incident_type"),
    "immediate_danger": _inbox("immediate_danger", Kind.choice, f"{INBOX_VALUES}.immediate_danger"),
    "relationship": _inbox("relationship", Kind.choice, f"{INBOX_VALUES}.relationship"),
    "hate_strands": _inbox("hate_strands", Kind.choices, f"{INBOX_VALUES}.hate_strands"),
    "most_serious_category": _field("most_serious_category", Kind.choice, f"{VALUES}.most_serious_category"),
    "da_red_flags": _field("da_red_flags", Kind.choices, f"{VALUES}.da_red_flags"),
    "da_police_reports_12m": _field("da_police_reports_12m", Kind.number),
    "child_safeguarding_concern": _inbox("child_safeguarding_concern", Kind.yes_no),
    "child_exposed_to_da": _field("child_exposed_to_da", Kind.yes_no),
    "perpetrator_risk_to_others": _field("perpetrator_risk_to_others", Kind.yes_no),
    "violence_or_threats": _field("violence_or_threats", Kind.yes_no),
    "repeat_targeting": _inbox("repeat_targeting", Kind.yes_no),
    "intimidated": _field("intimidated", Kind.yes_no),
    "vulnerabilities": _inbox("vulnerabilities", Kind.choices, f"{INBOX_VALUES}.vulnerabilities"),
    "age_years": _inbox("age_years", Kind.number),
    "send": _field("send", Kind.yes_no),
    "other_party_age_16_plus": _field("other_party_age_16_plus", Kind.yes_no),
    "asb_reports_6m": _field("asb_reports_6m", Kind.number),
    "asb_last_report_days": _field("asb_last_report_days", Kind.number),
    "mediation_requested": _inbox("mediation_requested", Kind.yes_no),
    "lives_in_area": _inbox("lives_in_area", Kind.yes_no),
    "reporter_role": _field("reporter_role", Kind.choice, f"{VALUES}.reporter_role"),
    "lawful_basis": _field("lawful_basis", Kind.choice, f"{VALUES}.lawful_basis"),
    "consent": _field("consent", Kind.choice, f"{VALUES}.consent"),
    "received_at": _field("received_at", Kind.moment),
}

# What the police feed keeps in the answers (api/police_feed/csv_format.py, `answers`; the service adds the
# crime reference).
POLICE_FIELDS: dict[str, Field] = {  # in the order a caseworker reads them
    "crime_reference": _field("crime_reference", Kind.text),
    "crime_type": _field("crime_type", Kind.text),
    "crime_description": _field("crime_description", Kind.text),
    "aggravating_factors": _field("aggravating_factors", Kind.factors),
    "domestic_indicator": _field("domestic_indicator", Kind.yes_no),
    "hate_racial_indicator": _field("hate_racial_indicator", Kind.yes_no),
    "relationship_of_perpetrator": _inbox("relationship", Kind.choice, f"{INBOX_VALUES}.relationship"),
    "date_reported": _field("date_reported", Kind.moment),
    "date_received": _field("date_received", Kind.moment),
    "ethnicity": _field("ethnicity", Kind.text),
    "crime_serial_number": _field("crime_serial_number", Kind.text),
    "home_office_class": _field("home_office_class", Kind.text),
    "police_station": _field("police_station", Kind.text),
    "officer": _field("officer", Kind.text),
    "third_party_agencies": _field("third_party_agencies", Kind.text),
}

FIELDS: dict[str, Field] = {**TRIAGE_FIELDS, **POLICE_FIELDS}

DA_RED_FLAGS = frozenset(flag.value for flag in DaRedFlag)
# The feed's hate factors, `hate_<strand>` (api/police_feed/csv_format.py reads them the same way).
HATE_FACTORS = {f"hate_{strand.value}": strand for strand in HateStrand}


@dataclass(frozen=True)
class Shown:
    label: str
    text: str
    own_words: bool


def _choice(values_key: str, value: Any, translator: Translator, locale: str) -> str:
    key = f"{values_key}.{value}"
    return translator.t(key, locale) if isinstance(value, str) and translator.has(key, locale) else str(value)


def _factor(code: Any, translator: Translator, locale: str) -> str:
    if code in HATE_FACTORS:
        strand = _choice(f"{INBOX_VALUES}.hate_strands", str(HATE_FACTORS[code]), translator, locale)
        return translator.t(f"{VALUES}.aggravating_factors.hate", locale, strand=strand)
    if code in DA_RED_FLAGS:
        return _choice(f"{VALUES}.da_red_flags", code, translator, locale)
    return _choice(f"{VALUES}.aggravating_factors", code, translator, locale)


def _moment(value: Any, translator: Translator, locale: str) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    local = moment.astimezone(LONDON)
    if local.time() == time(0):  # a date alone (the feed reads it as midnight in London)
        return format_date(local.date(), format="full", locale=cldr_locale(locale))
    return translator.format_datetime_words(local, locale)


def format_date_answer(value: Any, locale: str) -> str | None:
    """An ISO date (a flow's date answer) in the caseworker's locale; None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return format_date(day, format="full", locale=cldr_locale(locale))


def _value(field: Field, value: Any, translator: Translator, locale: str) -> tuple[str, bool]:
    """The value as words, and whether it is someone's own words (verbatim). Unexpected shapes: as stored."""
    if value is None or value == [] or value == "":
        return translator.t("console.answer.none_given", locale), False
    if field.kind == Kind.yes_no and isinstance(value, bool):
        return translator.t("console.answer.yes" if value else "console.answer.no", locale), False
    if field.kind == Kind.choice and field.values_key is not None and isinstance(value, str):
        return _choice(field.values_key, value, translator, locale), False
    if field.kind in (Kind.choices, Kind.factors) and isinstance(value, list):
        if field.kind == Kind.factors:
            words = [_factor(v, translator, locale) for v in value]
        else:
            assert field.values_key is not None
            words = [_choice(field.values_key, v, translator, locale) for v in value]
        return ", ".join(words), False
    if field.kind == Kind.number and isinstance(value, int) and not isinstance(value, bool):
        return translator.format_number(value, locale), False
    if field.kind == Kind.moment:
        shown = _moment(value, translator, locale)
        if shown is not None:
            return shown, False
    return str(value), True


def in_order(keys: list[str]) -> list[str]:
    """Known fields in reading order (the police feed's, then the triage input's), then the rest as stored."""
    rank = {name: index for index, name in enumerate({**POLICE_FIELDS, **TRIAGE_FIELDS})}
    return sorted(keys, key=lambda key: rank.get(key, len(rank)))  # stable: unknown keys keep their order


def show(key: str, value: Any, translator: Translator, locale: str) -> Shown:
    """One stored answer no flow question names: labelled and in words when its key is known; otherwise by
    its id and as stored (a future field still shows)."""
    field = FIELDS.get(key)
    if field is None:
        return Shown(key, str(value), True)
    text, own = _value(field, value, translator, locale)
    return Shown(translator.t(field.label_key, locale), text, own)
