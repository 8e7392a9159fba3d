"""The police daily feed: parsing and mapping (pure), the admin endpoint and the command, on synthetic CSV."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from api.__main__ import main
from api.audit.models import AuditEvent
from api.config import get_settings
from api.consent.models import ConsentReceipt
from api.police_feed.csv_format import COLUMNS, FeedUnreadable, parse
from api.queue.models import QueueEntry
from api.referral.models import Referral
from api.referral.service import decision_of, external_ref_of, triage_input_of
from tests.builders import bearer, create_principal

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "police_feed.csv"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
CSV = {"content-type": "text/csv"}
# (row, column) of every problem in the fixture; row 6 repeats row 2's crime reference.
FIXTURE_PROBLEMS = [
    (7, "telephone"),
    (8, "crime_reference"),
    (9, "date_received"),
    (10, "postcode"),
    (10, "domestic_indicator"),
    (10, "vulnerabilities"),
    (11, None),
]
# Values from the fixture's bad rows: none may come back in an answer.
BAD_VALUES = ["12345", "yesterday", "NOT A POSTCODE", "maybe", "Finley", "Gray Shortrow", "sad"]


def feed_csv(*rows: dict[str, str], columns: tuple[str, ...] = COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return out.getvalue().encode()


def good_row(**overrides: str) -> dict[str, str]:
    row = {
        "name": "Harper Testperson",
        "telephone": "07700 900470",
        "hate_racial_indicator": "Y",
        "crime_reference": "SP/26/000900",
        "crime_description": "Synthetic: abuse shouted in the street",
        "date_received": "2026-11-20T10:00",
    }
    return {**row, **overrides}


def parsed(data: bytes) -> Any:
    return parse(data, now=NOW, allow_fictional_phone_numbers=True)


async def admin_headers(app: FastAPI) -> dict[str, str]:
    return {**bearer(await create_principal(app, "admin", "Synthetic admin")), **CSV}


async def count(app: FastAPI, model: type, *where: Any) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


class TestMapping:
    def test_the_fixture_rows_map_onto_triage(self) -> None:
        feed = parsed(FIXTURE.read_bytes())
        by_row = {row.row: row.triage_input for row in feed.rows}
        assert sorted(by_row) == [2, 3, 4, 5, 6]
        hate, da, asb, child = by_row[2], by_row[3], by_row[4], by_row[5]
        for case in by_row.values():
            assert (case.lawful_basis, case.reporter_role, case.consent) == (
                "police_referral",
                "third_party",
                "not_asked",
            )
        assert (hate.incident_type, hate.hate_strands, hate.relationship) == ("hate", ["race"], "stranger")
        assert hate.repeat_targeting is True
        assert hate.received_at == datetime(2026, 11, 19, 9, 30, tzinfo=UTC)
        assert (da.incident_type, da.relationship, da.da_red_flags) == (
            "domestic_abuse",
            "partner",
            ["strangulation"],
        )
        assert (da.child_exposed_to_da, da.violence_or_threats, da.vulnerabilities) == (
            True,
            True,
            ["mental_health"],
        )
        assert da.age_years == 35
        assert (asb.incident_type, asb.relationship, asb.age_years) == ("asb", "neighbour", None)
        assert (child.incident_type, child.hate_strands, child.age_years) == ("hate", ["religion"], 15)
        assert child.vulnerabilities == ["autism"]

    def test_the_person_and_answers_are_kept_for_sealing(self) -> None:
        row = next(r for r in parsed(FIXTURE.read_bytes()).rows if r.row == 3)
        assert row.person == {
            "name": "Morgan Fictional",
            "date_of_birth": "1991-07-14",
            "address": "2 Sample Road, Stafford",
            "postcode": "ST16 2AA",
            "phone": "+447700900462",
            "safe_contact_name": "Sam Fictional",
        }
        assert row.answers["officer"] == "PC 0002 Synthetic"
        assert row.answers["aggravating_factors"] == ["strangulation", "children_present"]
        assert row.crime_reference == "SP/26/000102"

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("2026-11-20T10:00", datetime(2026, 11, 20, 10, 0, tzinfo=UTC)),  # GMT in November
            ("2026-07-01T10:00", datetime(2026, 7, 1, 9, 0, tzinfo=UTC)),  # BST: London is UTC+1
            ("2026-07-01 10:00:00", datetime(2026, 7, 1, 9, 0, tzinfo=UTC)),
            ("01/07/2026 10:00", datetime(2026, 7, 1, 9, 0, tzinfo=UTC)),
            ("2026-07-01T10:00+02:00", datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),
            ("2026-07-01T10:00Z", datetime(2026, 7, 1, 10, 0, tzinfo=UTC)),
            ("2026-07-01", datetime(2026, 6, 30, 23, 0, tzinfo=UTC)),  # midnight in London
        ],
    )
    def test_date_received_is_europe_london_without_an_offset(self, raw: str, expected: datetime) -> None:
        (row,) = parsed(feed_csv(good_row(date_received=raw))).rows
        assert row.triage_input.received_at == expected

    @pytest.mark.parametrize(
        ("overrides", "incident_type", "strands"),
        [
            ({"domestic_indicator": "Y", "hate_racial_indicator": "Y"}, "domestic_abuse", ["race"]),
            ({"hate_racial_indicator": "", "aggravating_factors": "Hate-Disability"}, "hate", ["disability"]),
            ({"hate_racial_indicator": "N", "crime_type": "ASB"}, "asb", []),
            ({"hate_racial_indicator": "false", "crime_type": "Sexual assault"}, "sexual_offence", []),
            ({"hate_racial_indicator": "0", "crime_type": "Burglary"}, "other_crime", []),
        ],
    )
    def test_incident_type(self, overrides: dict[str, str], incident_type: str, strands: list[str]) -> None:
        (row,) = parsed(feed_csv(good_row(**overrides))).rows
        assert (row.triage_input.incident_type, row.triage_input.hate_strands) == (incident_type, strands)

    def test_header_names_ignore_case_and_spaces_and_order(self) -> None:
        columns = tuple(f" {c.upper()} " for c in reversed(COLUMNS))
        reordered = io.StringIO()
        writer = csv.writer(reordered, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerow([good_row().get(c, "") for c in reversed(COLUMNS)])
        (row,) = parsed(reordered.getvalue().encode()).rows
        assert row.person["name"] == "Harper Testperson"

    @pytest.mark.parametrize(
        ("overrides", "column", "problem"),
        [
            ({"telephone": "12"}, "telephone", "not a valid phone number"),
            ({"email": "harper at example"}, "email", "not an e-mail address"),
            ({"date_of_birth": "31/02/2000"}, "date_of_birth", "not a date"),
            ({"date_of_birth": "1850-01-01"}, "date_of_birth", "gives an age outside 0–120"),
            ({"date_received": "2099-01-01T10:00"}, "date_received", "is in the future"),
            ({"date_received": "1999-01-01T10:00"}, "date_received", "must be in the years"),
            ({"relationship_of_perpetrator": "landlord"}, "relationship_of_perpetrator", "not a known"),
            ({"aggravating_factors": "hate_race;rudeness"}, "aggravating_factors", "not a known"),
            ({"crime_reference": "SP 26 1"}, "crime_reference", "letters, digits"),
            ({"name": "  "}, "name", "is required"),
        ],
    )
    def test_a_bad_cell_names_its_column_and_never_its_value(
        self, overrides: dict[str, str], column: str, problem: str
    ) -> None:
        feed = parsed(feed_csv(good_row(**overrides)))
        assert feed.rows == []
        assert feed.rejected_rows == 1
        (found,) = feed.problems
        assert (found.row, found.column) == (2, column)
        assert problem in found.problem
        for value in overrides.values():
            if value.strip():
                assert value not in found.problem

    def test_a_5000_character_cell_is_refused_by_row(self) -> None:
        feed = parsed(feed_csv(good_row(crime_description="x" * 5000), good_row(crime_reference="SP/2")))
        assert [row.row for row in feed.rows] == [3]
        (problem,) = feed.problems
        assert (problem.row, problem.column, problem.problem) == (
            2,
            "crime_description",
            "is longer than 2000 characters",
        )

    def test_a_quoted_multiline_cell_keeps_the_row_numbers_of_a_spreadsheet(self) -> None:
        feed = parsed(feed_csv(good_row(crime_description="line one\nline two"), good_row(telephone="1")))
        assert [row.row for row in feed.rows] == [2]
        assert [(p.row, p.column) for p in feed.problems] == [(3, "telephone")]

    def test_blank_lines_are_skipped(self) -> None:
        feed = parsed(feed_csv(good_row()) + b"\r\n,,,\r\n")
        assert (len(feed.rows), feed.data_rows, feed.problems) == (1, 1, [])


class TestWholeFileProblems:
    def test_a_utf8_byte_order_mark_is_accepted(self) -> None:
        assert len(parsed(b"\xef\xbb\xbf" + FIXTURE.read_bytes()).rows) == 5

    def test_a_file_that_is_not_utf8_is_refused_naming_the_line(self) -> None:
        data = feed_csv(good_row(), good_row(name="Zoë Testperson", crime_reference="SP/2"))
        with pytest.raises(FeedUnreadable, match=r"not UTF-8 \(first bad byte on line 3\)"):
            parsed(data.decode().encode("cp1252"))

    def test_utf16_is_refused(self) -> None:
        with pytest.raises(FeedUnreadable, match="UTF-16"):
            parsed(FIXTURE.read_text().encode("utf-16"))

    def test_a_missing_header_is_refused_without_echoing_the_row(self) -> None:
        data = feed_csv(good_row()).split(b"\r\n", 1)[1]
        with pytest.raises(FeedUnreadable) as refused:
            parsed(data)
        assert "the first row must be the header" in refused.value.problem
        assert "missing column(s): name, date_of_birth" in refused.value.problem
        assert "Harper" not in refused.value.problem
        assert "SP/26" not in refused.value.problem

    def test_a_missing_column_is_named(self) -> None:
        columns = tuple(c for c in COLUMNS if c != "officer")
        with pytest.raises(FeedUnreadable, match=r"missing column\(s\): officer$"):
            parsed(feed_csv(good_row(), columns=columns))

    def test_an_unknown_column_is_refused_by_position(self) -> None:
        with pytest.raises(FeedUnreadable, match=r"unrecognised column\(s\) at position 24"):
            parsed(feed_csv(good_row(), columns=(*COLUMNS, "colour")))

    def test_a_repeated_column_is_refused(self) -> None:
        with pytest.raises(FeedUnreadable, match="more than once"):
            parsed(feed_csv(good_row(), columns=(*COLUMNS, "name")))

    def test_broken_quoting_is_refused(self) -> None:
        with pytest.raises(FeedUnreadable, match="malformed near line 2"):
            parsed(feed_csv() + b'Harper,"unclosed\r\n')

    def test_an_empty_file_is_refused(self) -> None:
        with pytest.raises(FeedUnreadable, match="empty"):
            parsed(b"")


class TestEndpoint:
    async def test_good_rows_are_imported_and_bad_rows_reported(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        reply = await client.post(
            "/v1/admin/police-feed", content=FIXTURE.read_bytes(), headers=await admin_headers(app)
        )
        assert reply.status_code == 200, reply.text
        summary = reply.json()
        assert (summary["rows"], summary["imported"], summary["duplicates"], summary["errors"]) == (
            10,
            4,
            1,
            5,
        )
        assert [r["row"] for r in summary["imported_rows"]] == [2, 3, 4, 5]
        assert summary["duplicate_rows"] == [6]
        assert [(e["row"], e["column"]) for e in summary["row_errors"]] == FIXTURE_PROBLEMS
        for value in BAD_VALUES:
            assert value not in reply.text

    async def test_imported_referrals_are_police_referrals_in_the_right_queues(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        await client.post(
            "/v1/admin/police-feed", content=FIXTURE.read_bytes(), headers=await admin_headers(app)
        )
        async with app.state.sessionmaker() as session:
            found = list(await session.scalars(select(Referral)))
            receipts = list(await session.scalars(select(ConsentReceipt)))
            queues = sorted(await session.scalars(select(QueueEntry.queue)))
        vault = app.state.vault
        referrals = sorted(found, key=lambda r: external_ref_of(vault, r) or "")
        assert [external_ref_of(vault, r) for r in referrals] == [
            "SP/26/000101",
            "SP/26/000102",
            "SP/26/000103",
            "SP/26/000104",
        ]
        assert {r.source for r in referrals} == {"police_feed"}
        assert all("consent_to_seek" in r.flags for r in referrals)
        assert all("consent_to_seek" in decision_of(vault, r)["flags"] for r in referrals)
        assert all(triage_input_of(vault, r)["lawful_basis"] == "police_referral" for r in referrals)
        assert queues == [
            "asb_mediation",
            "children_front_door",
            "domestic_abuse_victim",
            "hate_crime",
            "hate_crime",
        ]
        for receipt in receipts:
            assert (receipt.kind, receipt.lawful_basis, receipt.purposes) == ("grant", "police_referral", [])
            assert (receipt.given_by, receipt.channel, receipt.wording_versions) == (
                "police",
                "police_feed",
                [],
            )
            assert receipt.referrer_sealed is None
        hate = referrals[0]
        assert hate.phone_index == app.state.vault.index.of("phone", "+447700900461")
        assert hate.received_at.replace(tzinfo=UTC) == datetime(2026, 11, 19, 9, 30, tzinfo=UTC)
        assert await count(app, AuditEvent, AuditEvent.action == "referral.import") == 4

    async def test_an_admin_reads_the_imported_case(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        headers = await admin_headers(app)
        summary = (
            await client.post("/v1/admin/police-feed", content=FIXTURE.read_bytes(), headers=headers)
        ).json()
        reference = summary["imported_rows"][0]["reference"]
        detail = (await client.get(f"/v1/referrals/{reference}", headers=headers)).json()
        assert detail["source"] == "police_feed"
        assert detail["person"]["name"] == "Avery Testcase"
        assert detail["person"]["phone"] == "+447700900461"
        assert detail["answers"]["crime_reference"] == "SP/26/000101"
        assert detail["answers"]["ethnicity"] == "W1"

    async def test_importing_the_same_file_again_imports_nothing(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        headers = await admin_headers(app)
        await client.post("/v1/admin/police-feed", content=FIXTURE.read_bytes(), headers=headers)
        again = (
            await client.post("/v1/admin/police-feed", content=FIXTURE.read_bytes(), headers=headers)
        ).json()
        assert (again["imported"], again["duplicates"], again["errors"]) == (0, 5, 5)
        assert again["duplicate_rows"] == [2, 3, 4, 5, 6]
        assert await count(app, Referral) == 4

    async def test_a_crime_reference_is_compared_in_upper_case(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        headers = await admin_headers(app)
        first = feed_csv(good_row(crime_reference="sp/26/000900"))
        second = feed_csv(good_row(crime_reference="SP/26/000900"))
        assert (await client.post("/v1/admin/police-feed", content=first, headers=headers)).json()[
            "imported"
        ] == 1
        assert (await client.post("/v1/admin/police-feed", content=second, headers=headers)).json()[
            "duplicates"
        ] == 1

    async def test_a_5000_character_field_refuses_only_its_row(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        long_text = "Synthetic long text " * 250
        data = feed_csv(good_row(crime_description=long_text), good_row(crime_reference="SP/26/000901"))
        reply = await client.post("/v1/admin/police-feed", content=data, headers=await admin_headers(app))
        assert (reply.json()["imported"], reply.json()["errors"]) == (1, 1)
        assert reply.json()["row_errors"] == [
            {"row": 2, "column": "crime_description", "problem": "is longer than 2000 characters"}
        ]
        assert "Synthetic long text" not in reply.text

    @pytest.mark.parametrize(
        ("data", "problem"),
        [
            ("Zoë".encode("cp1252"), "not UTF-8"),
            (feed_csv(good_row()).split(b"\r\n", 1)[1], "the first row must be the header"),
            (b"", "empty"),
        ],
        ids=["wrong encoding", "missing header", "empty"],
    )
    async def test_an_unreadable_file_imports_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, data: bytes, problem: str
    ) -> None:
        reply = await client.post("/v1/admin/police-feed", content=data, headers=await admin_headers(app))
        assert reply.status_code == 422
        assert reply.json()["error"] == "police_feed_unreadable"
        assert problem in reply.json()["detail"]
        assert "Harper" not in reply.text
        assert await count(app, Referral) == 0

    async def test_a_byte_order_mark_is_fine(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        data = b"\xef\xbb\xbf" + feed_csv(good_row())
        reply = await client.post("/v1/admin/police-feed", content=data, headers=await admin_headers(app))
        assert reply.json()["imported"] == 1

    async def test_only_csv_is_accepted(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        headers = {**await admin_headers(app), "content-type": "application/json"}
        reply = await client.post("/v1/admin/police-feed", content=b"{}", headers=headers)
        assert (reply.status_code, reply.json()["error"]) == (415, "police_feed_not_csv")

    async def test_a_file_over_10_mb_is_refused(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        data = feed_csv(good_row()) + b"\r\n" * (10 * 1024 * 1024)
        reply = await client.post("/v1/admin/police-feed", content=data, headers=await admin_headers(app))
        assert (reply.status_code, reply.json()["error"]) == (413, "police_feed_too_large")

    async def test_only_an_admin_may_import(
        self, app: FastAPI, client: httpx.AsyncClient, bot_headers: dict[str, str]
    ) -> None:
        agency = bearer(await create_principal(app, "agency", "Synthetic housing team"))
        data = FIXTURE.read_bytes()
        assert (
            await client.post("/v1/admin/police-feed", content=data, headers={**agency, **CSV})
        ).status_code == 403
        assert (
            await client.post("/v1/admin/police-feed", content=data, headers={**bot_headers, **CSV})
        ).status_code == 403
        assert (await client.post("/v1/admin/police-feed", content=data, headers=CSV)).status_code == 401
        assert await count(app, Referral) == 0


class TestCommand:
    """`python -m api import-police-feed FILE.csv` against the test database (the command makes its own
    engine, so these tests are synchronous)."""

    @pytest.fixture
    def env(self, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
        monkeypatch.setenv("DATABASE_URL", database_url)
        monkeypatch.setenv("ALLOW_FICTIONAL_PHONE_NUMBERS", "true")
        get_settings.cache_clear()
        return Path(database_url.removeprefix("sqlite+aiosqlite:///"))

    def test_imports_and_prints_the_summary(self, env: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["import-police-feed", str(FIXTURE)]) == 1  # some rows were refused
        summary = json.loads(capsys.readouterr().out)
        assert (summary["imported"], summary["duplicates"], summary["errors"]) == (4, 1, 5)
        assert main(["import-police-feed", str(FIXTURE)]) == 1
        again = json.loads(capsys.readouterr().out)
        assert (again["imported"], again["duplicates"]) == (0, 5)
        with sqlite3.connect(env) as raw:
            assert raw.execute("SELECT count(*) FROM referral").fetchone() == (4,)
            assert raw.execute("SELECT count(*) FROM referral WHERE created_by IS NULL").fetchone() == (4,)
            events = raw.execute(
                "SELECT count(*) FROM audit_event WHERE action = 'referral.import'"
            ).fetchone()
        assert events == (4,)

    def test_a_clean_file_exits_0(
        self, env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "feed.csv"
        path.write_bytes(feed_csv(good_row()))
        assert main(["import-police-feed", str(path)]) == 0
        assert json.loads(capsys.readouterr().out)["imported"] == 1

    def test_an_unreadable_file_exits_2(
        self, env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "feed.csv"
        path.write_bytes(feed_csv(good_row()).decode().encode("utf-16"))
        assert main(["import-police-feed", str(path)]) == 2
        captured = capsys.readouterr()
        assert (captured.out, "nothing imported: the file is UTF-16" in captured.err) == ("", True)
        assert main(["import-police-feed", str(tmp_path / "missing.csv")]) == 2


async def test_the_example_in_the_openapi_document_parses(app: FastAPI) -> None:
    example = app.openapi()["paths"]["/v1/admin/police-feed"]["post"]["requestBody"]["content"]["text/csv"]
    feed = parsed(example["example"].encode())
    assert (len(feed.rows), feed.problems) == (1, [])
