"""The police daily feed: a CSV file, one referral a row, parsed and mapped onto TriageInput. Pure: no I/O.

File: UTF-8 (a UTF-8 byte-order mark is allowed), comma-separated, `"` quoting (RFC 4180), first row the
header. Header names are exactly the columns below (case and surrounding spaces are ignored), in any order,
each once; a missing or unknown column refuses the whole file, so a renamed column is never silently lost.
Every cell may be empty unless marked required.

Columns (header name: content → where it goes):

- `name`: required, ≤ 200 characters → person (sealed)
- `date_of_birth`: a date → person (sealed); `age_years` on the date received
- `address`: ≤ 500 → person (sealed)
- `postcode`: a UK postcode → person (sealed)
- `telephone`: a UK or international number → person (sealed, E.164) and the phone blind index
- `email`: an e-mail address, ≤ 254 → person (sealed)
- `safe_contact_name`: ≤ 200 → person (sealed)
- `ethnicity`: ≤ 100, the force's code or words → answers (sealed)
- `domestic_indicator`: a flag → `incident_type` `domestic_abuse`
- `hate_racial_indicator`: a flag → `incident_type` `hate`, `hate_strands` [`race`]
- `crime_description`: the MO, ≤ 2000 → answers (sealed)
- `aggravating_factors`: codes, see below → triage fields, see below; answers (sealed)
- `relationship_of_perpetrator`: `partner`, `ex_partner`, `family`, `household`, `neighbour`, `stranger`,
  `other` or `unknown` → `relationship`
- `crime_reference`: required; letters, digits, `/`, `-`, `_`; ≤ 64 → the referral's `external_ref`, so
  the same crime reference is never imported twice (compared in upper case)
- `crime_serial_number`: ≤ 64 → answers (sealed)
- `home_office_class`: ≤ 16 → answers (sealed)
- `crime_type`: ≤ 200 → answers (sealed); `incident_type` when no indicator is set, see below
- `police_station`: ≤ 200 → answers (sealed)
- `officer`: name or collar number, ≤ 200 → answers (sealed)
- `date_reported`: a date or date-time → answers (sealed)
- `date_received`: required; a date or date-time, not in the future → `received_at` (the deadline's clock)
- `vulnerabilities`: codes `mental_health`, `learning_disability`, `autism`, `physical_disability`,
  `other` → `vulnerabilities`
- `third_party_agencies`: ≤ 500 → answers (sealed)

- Flags: `Y`/`N`, `yes`/`no`, `true`/`false`, `1`/`0` (any case); empty is `N`.
- Dates: `YYYY-MM-DD` or `DD/MM/YYYY`. Date-times: ISO 8601 (`2026-11-20T14:30`, `2026-11-20 14:30:00`,
  optionally with an offset or `Z`) or `DD/MM/YYYY HH:MM[:SS]`; without an offset the time is Europe/London;
  a date alone is midnight Europe/London.
- Code lists: separated by `;`; any case; spaces and hyphens read as `_` (`Ex-partner` is `ex_partner`).
- `aggravating_factors` codes: `hate_race`, `hate_religion`, `hate_sexual_orientation`, `hate_disability`,
  `hate_transgender`, `hate_other` (→ `hate_strands`); `repeat_victim` (→ `repeat_targeting`);
  `intimidated` (→ `intimidated`); `violence` (→ `violence_or_threats`); `children_present`
  (→ `child_exposed_to_da`); and the DA risk indicators `strangulation`, `threats_to_kill`, `weapon`,
  `escalating`, `recent_separation`, `pregnancy`, `stalking`, `very_frightened`, `children_threatened`,
  `sexual_abuse` (→ `da_red_flags`; `strangulation`, `threats_to_kill` and `weapon` also set
  `violence_or_threats`).
- `incident_type`: `domestic_abuse` when the domestic indicator is set; else `hate` when the racial indicator
  is set or a `hate_*` factor is given; else from `crime_type`: `asb`, `anti-social behaviour` or
  `antisocial behaviour` → `asb`; one containing `sexual` → `sexual_offence`; anything else → `other_crime`.
- Always: `lawful_basis` `police_referral`, `reporter_role` `third_party`, `consent` `not_asked` (triage flags
  `consent_to_seek`: the service asks for consent at first contact).

A bad row is reported by its row number in a spreadsheet (the header is row 1), the column and the problem,
never the value; the other rows are kept. Whole-file problems (not UTF-8, no usable header, broken quoting)
refuse the file before anything is imported.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from api.kit import phone
from api.kit.time import LONDON
from api.triage import DaRedFlag, HateStrand, IncidentType, Relationship, TriageInput, Vulnerability
from flowkit.postcode import full_postcode

MAX_ROWS = 20_000
SHORT, MEDIUM, LONG = 200, 500, 2000

COLUMNS: tuple[str, ...] = (
    "name",
    "date_of_birth",
    "address",
    "postcode",
    "telephone",
    "email",
    "safe_contact_name",
    "ethnicity",
    "domestic_indicator",
    "hate_racial_indicator",
    "crime_description",
    "aggravating_factors",
    "relationship_of_perpetrator",
    "crime_reference",
    "crime_serial_number",
    "home_office_class",
    "crime_type",
    "police_station",
    "officer",
    "date_reported",
    "date_received",
    "vulnerabilities",
    "third_party_agencies",
)
REQUIRED = frozenset({"name", "crime_reference", "date_received"})
MAX_LENGTH = {
    "name": SHORT,
    "address": MEDIUM,
    "email": 254,
    "safe_contact_name": SHORT,
    "ethnicity": 100,
    "crime_description": LONG,
    "aggravating_factors": MEDIUM,
    "relationship_of_perpetrator": 40,
    "crime_reference": 64,
    "crime_serial_number": 64,
    "home_office_class": 16,
    "crime_type": SHORT,
    "police_station": SHORT,
    "officer": SHORT,
    "vulnerabilities": MEDIUM,
    "third_party_agencies": MEDIUM,
}
DEFAULT_MAX_LENGTH = 64

HATE_FACTORS = {f"hate_{strand.value}": strand for strand in HateStrand}
VIOLENT_RED_FLAGS = {DaRedFlag.STRANGULATION, DaRedFlag.THREATS_TO_KILL, DaRedFlag.WEAPON}
OTHER_FACTORS = {"repeat_victim", "intimidated", "violence", "children_present"}
ASB_CRIME_TYPES = {"asb", "anti_social_behaviour", "antisocial_behaviour"}
FLAG_VALUES = {
    "y": True,
    "yes": True,
    "true": True,
    "1": True,
    "n": False,
    "no": False,
    "false": False,
    "0": False,
}
CRIME_REFERENCE = re.compile(r"^[A-Z0-9][A-Z0-9/_-]{0,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FUTURE_TOLERANCE = timedelta(hours=1)
# Where a triage field's problem is reported: the column it came from.
TRIAGE_COLUMN = {
    "received_at": "date_received",
    "age_years": "date_of_birth",
    "relationship": "relationship_of_perpetrator",
    "vulnerabilities": "vulnerabilities",
}


class FeedUnreadable(ValueError):
    """The whole file is refused; `problem` says why without quoting any of its content."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str | None
    problem: str


@dataclass(frozen=True)
class FeedRow:
    """A good row, ready to store: the person and answers are sealed by the referral service."""

    row: int
    crime_reference: str
    person: dict[str, Any]
    answers: dict[str, Any]
    triage_input: TriageInput


@dataclass
class Feed:
    rows: list[FeedRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    rejected_rows: int = 0
    data_rows: int = 0


class _CellError(ValueError):
    pass


def _codes(raw: str) -> list[str]:
    return [_code(part) for part in raw.split(";") if part.strip()]


def _code(raw: str) -> str:
    return re.sub(r"[\s-]+", "_", raw.strip().lower())


def _flag(raw: str) -> bool:
    if not raw:
        return False
    try:
        return FLAG_VALUES[raw.lower()]
    except KeyError:
        raise _CellError("not a flag (use Y or N)") from None


def _date(raw: str) -> date:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise _CellError("not a date (use YYYY-MM-DD or DD/MM/YYYY)")


def _datetime(raw: str) -> datetime:
    """A date-time, in Europe/London when it carries no offset; a date alone is midnight there."""
    moment: datetime | None = None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        for pattern in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"):
            try:
                moment = datetime.strptime(raw, pattern)
                break
            except ValueError:
                continue
    if moment is None:
        raise _CellError("not a date-time (use YYYY-MM-DDTHH:MM, optionally with an offset)")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    return moment


def _postcode(raw: str) -> str:
    postcode = full_postcode(raw)
    if postcode is None:
        raise _CellError("not a UK postcode")
    return postcode


def _email(raw: str) -> str:
    if EMAIL.match(raw) is None:
        raise _CellError("not an e-mail address")
    return raw


def _crime_reference(raw: str) -> str:
    value = raw.upper()
    if CRIME_REFERENCE.match(value) is None:
        raise _CellError("use letters, digits, '/', '-' or '_' only")
    return value


def _relationship(raw: str) -> Relationship:
    if not raw:
        return Relationship.UNKNOWN
    try:
        return Relationship(_code(raw))
    except ValueError:
        raise _CellError("not a known relationship") from None


def _vulnerabilities(raw: str) -> list[Vulnerability]:
    try:
        return [Vulnerability(code) for code in _codes(raw)]
    except ValueError:
        raise _CellError("holds a code that is not a known vulnerability") from None


def _aggravating(raw: str) -> list[str]:
    codes = _codes(raw)
    known = set(HATE_FACTORS) | OTHER_FACTORS | {flag.value for flag in DaRedFlag}
    if any(code not in known for code in codes):
        raise _CellError("holds a code that is not a known aggravating factor")
    return codes


class _Row:
    """Reads one record's cells, collecting every problem rather than stopping at the first."""

    def __init__(self, number: int, cells: dict[str, str]) -> None:
        self.number = number
        self.cells = cells
        self.problems: list[RowProblem] = []

    def get(self, column: str, parse: Callable[[str], Any] | None = None) -> Any:
        raw = self.cells[column].strip()
        if not raw:
            if column in REQUIRED:
                self.problems.append(RowProblem(self.number, column, "is required"))
            return None
        limit = MAX_LENGTH.get(column, DEFAULT_MAX_LENGTH)
        if len(raw) > limit:
            self.problems.append(RowProblem(self.number, column, f"is longer than {limit} characters"))
            return None
        if parse is None:
            return raw
        try:
            return parse(raw)
        except _CellError as exc:
            self.problems.append(RowProblem(self.number, column, str(exc)))
            return None

    def problem(self, column: str | None, text: str) -> None:
        self.problems.append(RowProblem(self.number, column, text))


def _incident_type(domestic: bool, hate: bool, crime_type: str | None) -> IncidentType:
    if domestic:
        return IncidentType.DOMESTIC_ABUSE
    if hate:
        return IncidentType.HATE
    kind = _code(crime_type or "")
    if kind in ASB_CRIME_TYPES:
        return IncidentType.ASB
    if "sexual" in kind:
        return IncidentType.SEXUAL_OFFENCE
    return IncidentType.OTHER_CRIME


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _map_row(row: _Row, now: datetime, allow_fictional_phone_numbers: bool) -> FeedRow | None:
    def telephone(raw: str) -> str:
        try:
            return phone.normalise(raw, allow_fictional_phone_numbers)
        except phone.InvalidPhoneNumber:
            raise _CellError("not a valid phone number") from None

    name = row.get("name")
    birth = row.get("date_of_birth", _date)
    person_extra = {
        "address": row.get("address"),
        "postcode": row.get("postcode", _postcode),
        "phone": row.get("telephone", telephone),
        "email": row.get("email", _email),
        "safe_contact_name": row.get("safe_contact_name"),
    }
    domestic = row.get("domestic_indicator", _flag) or False
    racial = row.get("hate_racial_indicator", _flag) or False
    factors: list[str] = row.get("aggravating_factors", _aggravating) or []
    relationship = row.get("relationship_of_perpetrator", _relationship) or Relationship.UNKNOWN
    crime_reference = row.get("crime_reference", _crime_reference)
    crime_type = row.get("crime_type")
    reported = row.get("date_reported", _datetime)
    received = row.get("date_received", _datetime)
    vulnerabilities = row.get("vulnerabilities", _vulnerabilities) or []
    answers_text = {
        column: row.get(column)
        for column in (
            "ethnicity",
            "crime_description",
            "crime_serial_number",
            "home_office_class",
            "police_station",
            "officer",
            "third_party_agencies",
        )
    }
    if received is not None and received.astimezone(UTC) > now + FUTURE_TOLERANCE:
        row.problem("date_received", "is in the future")
        received = None
    age = None
    if birth is not None and received is not None:
        age = _age_on(birth, received.astimezone(LONDON).date())
        if not 0 <= age <= 120:
            row.problem("date_of_birth", "gives an age outside 0–120 on the date received")
    if row.problems or received is None or crime_reference is None:
        return None

    strands = [HateStrand.RACE] if racial else []
    strands += [HATE_FACTORS[code] for code in factors if code in HATE_FACTORS]
    red_flags = [DaRedFlag(code) for code in factors if code in {f.value for f in DaRedFlag}]
    fields: dict[str, Any] = {
        "reporter_role": "third_party",
        "lawful_basis": "police_referral",
        "consent": "not_asked",
        "age_years": age,
        "incident_type": _incident_type(domestic, bool(strands), crime_type),
        "relationship": relationship,
        "hate_strands": strands,
        "repeat_targeting": "repeat_victim" in factors,
        "vulnerabilities": vulnerabilities,
        "intimidated": "intimidated" in factors,
        "da_red_flags": red_flags,
        "child_exposed_to_da": "children_present" in factors,
        "violence_or_threats": "violence" in factors or bool(VIOLENT_RED_FLAGS & set(red_flags)),
        "received_at": received,
    }
    try:
        triage_input = TriageInput.model_validate(fields)
    except ValidationError as exc:
        for error in exc.errors():
            field_name = str(error["loc"][0]) if error["loc"] else ""
            row.problem(TRIAGE_COLUMN.get(field_name), error["msg"])
        return None

    person = {"name": name, "date_of_birth": birth.isoformat() if birth else None, **person_extra}
    answers: dict[str, Any] = {
        **answers_text,
        "domestic_indicator": domestic,
        "hate_racial_indicator": racial,
        "aggravating_factors": factors,
        "relationship_of_perpetrator": str(relationship),
        "crime_type": crime_type,
        "date_reported": reported.isoformat() if reported else None,
        "date_received": received.isoformat(),
    }
    return FeedRow(
        row=row.number,
        crime_reference=crime_reference,
        person={k: v for k, v in person.items() if v is not None},
        answers={k: v for k, v in answers.items() if v is not None},
        triage_input=triage_input,
    )


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FeedUnreadable("the file is UTF-16; export it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FeedUnreadable(
            f"the file is not UTF-8 (first bad byte on line {line}); export it as UTF-8"
        ) from None


def _header(record: list[str]) -> list[str]:
    names = [cell.strip().lower() for cell in record]
    problems = []
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        problems.append("missing column(s): " + ", ".join(missing))
    unknown = [str(i + 1) for i, name in enumerate(names) if name not in COLUMNS]
    if unknown:
        # Positions, not names: a file without a header would otherwise echo a person's details here.
        problems.append("unrecognised column(s) at position " + ", ".join(unknown))
    if len(set(names)) != len(names) and not unknown:
        problems.append("a column appears more than once")
    if problems:
        raise FeedUnreadable("the first row must be the header; " + "; ".join(problems))
    return names


def parse(data: bytes, *, now: datetime, allow_fictional_phone_numbers: bool = False) -> Feed:
    """Parse and check a whole file. Raises FeedUnreadable for whole-file problems; else every row is
    either a FeedRow or one or more RowProblems."""
    reader = csv.reader(io.StringIO(_decode(data), newline=""), strict=True)
    feed = Feed()
    header: list[str] | None = None
    number = 0
    try:
        for record in reader:
            number += 1
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = _header(record)
                continue
            feed.data_rows += 1
            if feed.data_rows > MAX_ROWS:
                raise FeedUnreadable(f"the file has more than {MAX_ROWS} rows; split it")
            if len(record) != len(header):
                feed.problems.append(
                    RowProblem(number, None, f"has {len(record)} cells; the header has {len(header)}")
                )
                feed.rejected_rows += 1
                continue
            row = _Row(number, dict(zip(header, record, strict=True)))
            mapped = _map_row(row, now, allow_fictional_phone_numbers)
            if mapped is None:
                feed.problems.extend(row.problems)
                feed.rejected_rows += 1
            else:
                feed.rows.append(mapped)
    except csv.Error:
        raise FeedUnreadable(
            f"the CSV is malformed near line {reader.line_num}: an unclosed or stray quote, or a cell over "
            f"{csv.field_size_limit()} characters"
        ) from None
    if header is None:
        raise FeedUnreadable("the file is empty; the first row must be the header")
    return feed
