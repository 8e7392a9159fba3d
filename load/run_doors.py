"""Benchmark (not a test): every door of the service under load through the real stack, each beside a bare
`GET /healthz` measured in the same run at the same number of users.

Run from the repository root:

    .venvs/api/bin/python load/run_doors.py                           # every door, 30 s each
    .venvs/api/bin/python load/run_doors.py --seconds 10              # quick (BENCH_SECONDS=10 too)
    .venvs/api/bin/python load/run_doors.py --doors chat,sms --out data/tmp/doors

It starts the whole service (api, worker, action server, Rasa, the local fake Twilio; tools.stack) on free
127.0.0.1 ports with a temporary SQLite database and fresh development secrets, makes the tokens the doors
need (an agency, an administrator, one caseworker per provider user: `python -m api principal create`),
plays a free-text journey in each language outside the measurement (a warm-up, and a check that the scripts
still match the bot: it stops with the failing turn if not; `--warm-up-all` plays all 24), then for each
door in turn runs locust headless (load/doors.py): first the baseline (load/scenarios/healthz.py) at the
door's number of users for the same time, then the door. The doors (load/README.md says what each models):

    chat         FreeTextChatUser: whole free-text journeys in all 8 languages (10 users)
    sms          SmsConversationUser: signed webhook -> worker -> bot -> fake Twilio reply (5 users, a text
                 a second each at most)
    agency_api   AgencyApiUser: POST /v1/referrals with an Idempotency-Key, 2 % replays (10 users)
    agency_form  AgencyFormUser: the /refer form, page + submit + confirmation (10 users)
    police_feed  PoliceFeedUser: POST /v1/admin/police-feed, FEED_ROWS rows an upload (1 user)
    claims       ProviderClaimUser: claim, accept, close on the hate crime queue, filled first (10 users)
    mixed        every door at once, users in the ratio of load/doors.py MIXED_WEIGHTS (20 users)

It prints, per door: its headline figure (a chat turn, an SMS reply at the fake Twilio, a referral, a feed
row, a claim) per second with p50, p95 and p99; the baseline's; the ratios (p50 and mean against the
baseline's, and throughput against the baseline's requests per second); then every request's figures and
any failures, locust's CPU warnings, and the stack's log problems. The stack is stopped however the run ends.
Synthetic data only; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tools.*; load/ is [0]

from runkit import (
    Level,
    RunError,
    bounded,
    cpu_model,
    interrupt_on_signals,
    percentile,
    ratio,
    run_locust,
    stack_log_problems,
    table,
)
from scenarios.journeys import LANGUAGES, RUNS, Journey, journeys
from scenarios.payloads import api_payload, consent_versions
from scenarios.police_feed import feed_rows

from tools.model import ensure_model
from tools.paths import API_PYTHON, DATA, ROOT
from tools.secrets import generate
from tools.stack import Ports, Stack, StackError

LOAD = Path(__file__).resolve().parent
DOORS_FILE = LOAD / "doors.py"
HEALTHZ = "GET /healthz"
MAX_USERS = 50


@dataclass(frozen=True)
class Door:
    name: str
    classes: tuple[str, ...]  # locust user classes; empty: every door (the mixed run)
    users: int
    # The door's figures: (request name or prefix, unit, units per request (feed rows per upload)).
    figures: tuple[tuple[str, str, int], ...]


def doors(feed_rows_per_upload: int) -> dict[str, Door]:
    return {
        d.name: d
        for d in (
            Door("chat", ("FreeTextChatUser",), 10, (("chat turn", "turns", 1),)),
            Door("sms", ("SmsConversationUser",), 5, SMS_FIGURES),
            Door("agency_api", ("AgencyApiUser",), 10, (("agency api", "referrals", 1),)),
            Door(
                "agency_form",
                ("AgencyFormUser",),
                10,
                (("form submit", "referrals", 1), ("form", "requests", 1)),
            ),
            Door(
                "police_feed", ("PoliceFeedUser",), 1, (("police feed import", "rows", feed_rows_per_upload),)
            ),
            Door(
                "claims", ("ProviderClaimUser",), 10, (("queue claim", "claims", 1), ("queue", "requests", 1))
            ),
            Door("mixed", (), 20, MIXED_FIGURES),
        )
    }


SMS_FIGURES = (
    ("sms webhook", "acknowledged", 1),
    ("sms reply (first)", "replies", 1),
    ("sms reply (all parts)", "replies", 1),
)
# The mixed run's figures: each door's own, in the same run.
MIXED_FIGURES = (
    ("chat turn", "turns", 1),
    *SMS_FIGURES,
    ("agency api", "referrals", 1),
    ("form submit", "referrals", 1),
    ("queue claim", "claims", 1),
    ("police feed import", "uploads", 1),
    ("", "requests", 1),
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--seconds",
        type=lambda v: bounded(v, 5, 600, "--seconds"),
        default=os.environ.get("BENCH_SECONDS", "30"),
        help="run time of each door and of its baseline (5-600; env BENCH_SECONDS; default 30)",
    )
    parser.add_argument(
        "--doors",
        default=os.environ.get("BENCH_DOORS", "chat,sms,agency_api,agency_form,police_feed,claims,mixed"),
        help="comma-separated doors to run, in order (env BENCH_DOORS; default all)",
    )
    parser.add_argument(
        "--users",
        type=lambda v: int(bounded(v, 1, MAX_USERS, "--users")),
        help=f"users for every door instead of each door's own number (1-{MAX_USERS})",
    )
    parser.add_argument(
        "--sms-send-per-second",
        type=lambda v: bounded(v, 0.1, 1000, "--sms-send-per-second"),
        default=os.environ.get("BENCH_SMS_SEND_PER_SECOND", "20"),
        help="the outbox's SMS per second from the helpline number (SMS_SEND_PER_SECOND; default 20: a "
        "short code's pace; a UK long code manages about 1, and replies would queue behind it)",
    )
    parser.add_argument(
        "--warm-up-all",
        action="store_true",
        help="check all 24 free-text scripts in the warm-up (default: one per language)",
    )
    parser.add_argument("--out", type=Path, help="keep locust's files and the stack's logs here")
    args = parser.parse_args(argv)
    known = doors(feed_rows())
    args.door_list = [part.strip() for part in args.doors.split(",") if part.strip()]
    unknown = [d for d in args.door_list if d not in known]
    if unknown or not args.door_list:
        parser.error(f"unknown door(s) {unknown}; choose from {', '.join(known)}")
    return args


def create_token(stack: Stack, kind: str, name: str, queue: str | None = None) -> str:
    command = [str(API_PYTHON), "-m", "api", "principal", "create", "--kind", kind, "--name", name]
    if queue:
        command += ["--queue", queue]
    done = subprocess.run(command, cwd=ROOT, env=stack.env(), check=True, capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1]


def warm_up(api_url: str, scripts: tuple[Journey, ...]) -> None:
    """Play every journey once outside the measurement: loads Rasa's lazy parts and checks the scripts."""
    with httpx.Client(base_url=api_url, timeout=60) as http:
        for journey in scripts:
            started = http.post("/v1/chat/conversations", json={})
            if started.status_code != 201:
                raise RunError(f"warm-up: starting a conversation answered {started.status_code}")
            conversation_id = started.json()["id"]
            for number, step in enumerate(journey.steps, start=1):
                reply = http.post(
                    f"/v1/chat/conversations/{conversation_id}/messages", json={"text": step.text}
                )
                problem = (
                    f"status {reply.status_code}"
                    if reply.status_code != 200
                    else step.problem(reply.json(), journey.language)
                )
                if problem is not None:
                    raise RunError(f"warm-up: {journey.language} {journey.journey} turn {number}: {problem}")
            http.delete(f"/v1/chat/conversations/{conversation_id}")


def warm_up_scripts(every: bool) -> tuple[Journey, ...]:
    """Every journey in every language, or (the default, quicker) one per language, journeys rotating."""
    scripts = journeys()
    if every:
        return scripts
    kinds = list(RUNS)
    return tuple(
        next(j for j in scripts if (j.language, j.journey) == (lang, kinds[i % len(kinds)]))
        for i, lang in enumerate(LANGUAGES)
    )


def fill_queue(api_url: str, agency_token: str, versions: dict[str, list[str]], cases: int) -> None:
    """Agency hate crime referrals, so the caseworkers have `cases` more to claim."""
    headers = {"Authorization": f"Bearer {agency_token}"}

    def refer(n: int) -> None:
        body = api_payload(2 * n, versions)  # even: the hate crime journey
        with httpx.Client(base_url=api_url, timeout=60) as http:
            reply = http.post("/v1/referrals", json=body, headers=headers)
        if reply.status_code != 201:
            raise RunError(f"filling the queue: a referral answered {reply.status_code}")

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(refer, range(cases)))


def headline(level: Level, prefix: str, per_request: int = 1) -> tuple[int, int, float, int, int, int]:
    """Requests, failures, units per second (successes x per_request), p50, p95, p99 of a name prefix."""
    entries = [e for e in level.matching(prefix) if not e.name.endswith("(empty)")]
    pooled = level.pooled(prefix) if prefix else level.pooled()
    for e in level.matching(prefix):
        if e.name.endswith("(empty)"):
            pooled.subtract(e.response_times)
    requests = sum(e.requests for e in entries)
    failures = sum(e.failures for e in entries)
    rate = level.per_second((requests - failures) * per_request)
    return (
        requests,
        failures,
        rate,
        percentile(+pooled, 0.5),
        percentile(+pooled, 0.95),
        percentile(+pooled, 0.99),
    )


def request_table(level: Level) -> str:
    rows = [["request", "requests", "failures", "req/s", "p50 ms", "p95 ms", "p99 ms"]]
    for name in sorted(level.entries):
        e = level.entries[name]
        rows.append(
            [
                name,
                str(e.requests),
                str(e.failures),
                f"{level.per_second(e.requests):.2f}",
                str(percentile(e.response_times, 0.5)),
                str(percentile(e.response_times, 0.95)),
                str(percentile(e.response_times, 0.99)),
            ]
        )
    return table(rows, right=set(range(1, 7)))


def baseline_figures(level: Level) -> tuple[float, int, float]:
    """GET /healthz: requests per second, p50, mean (ms)."""
    e = level.entries.get(HEALTHZ)
    if e is None or not e.requests:
        return 0.0, 0, 0.0
    return (
        level.per_second(e.requests - e.failures),
        percentile(e.response_times, 0.5),
        (e.total_response_time / e.requests),
    )


def door_report(door: Door, level: Level, base: Level, load_before: float) -> list[str]:
    base_rate, base_p50, base_mean = baseline_figures(base)
    out = [
        f"== {door.name}: {level.users} users, {level.seconds:.0f} s measured, "
        f"load average before {load_before:.2f}",
        f"baseline {HEALTHZ} at {base.users} users: {base_rate:.1f} req/s, p50 {base_p50} ms, "
        f"mean {base_mean:.1f} ms, {base.failures()} failures",
    ]
    rows = [
        [
            "figure",
            "requests",
            "failures",
            "per s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "p50/healthz",
            "mean/healthz",
            "rate/healthz",
        ]
    ]
    for prefix, unit, per_request in door.figures:
        requests, failures, rate, p50, p95, p99 = headline(level, prefix, per_request)
        if not requests:
            continue
        entries = [e for e in level.matching(prefix) if not e.name.endswith("(empty)")]
        mean = sum(e.total_response_time for e in entries) / max(sum(e.requests for e in entries), 1)
        rows.append(
            [
                f"{prefix or 'all requests'} ({unit})",
                str(requests),
                str(failures),
                f"{rate:.2f}",
                str(p50),
                str(p95),
                str(p99),
                ratio(p50, base_p50),
                ratio(mean, base_mean),
                f"{rate / base_rate:.3f}" if base_rate else "n/a",
            ]
        )
    out.append(table(rows, right=set(range(1, 10))))
    out.append("")
    out.append(request_table(level))
    for name, error, count in level.failure_messages:
        out.append(f"failure: {name}: {error} (x{count})")
    for lv in (base, level):
        for warning in lv.warnings:
            out.append(f"locust warning: {warning}")
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    interrupt_on_signals()
    keep = args.out is not None
    out = args.out.resolve() if keep else Path(tempfile.mkdtemp(prefix="doors-"))
    out.mkdir(parents=True, exist_ok=True)
    known = doors(feed_rows())
    chosen = [known[name] for name in args.door_list]
    model = ensure_model(DATA / "models", quiet=True)
    stack = Stack(
        data_dir=out / "stack",
        model=model,
        ports=Ports.free(),
        secrets=generate(),
        extra_env={"SMS_SEND_PER_SECOND": f"{args.sms_send_per_second:g}"},
    )
    failed = True
    report: list[str] = []
    try:
        stack.migrate()
        print(f"starting the stack on {stack.api_url} …", file=sys.stderr, flush=True)
        stack.start()
        most = max(args.users or d.users for d in chosen)
        tokens = {
            "AGENCY_TOKEN": create_token(stack, "agency", "Synthetic load agency"),
            "ADMIN_TOKEN": create_token(stack, "admin", "Synthetic load admin"),
            "PROVIDER_TOKENS": ",".join(
                create_token(stack, "provider", f"Synthetic caseworker {i:02d}", "hate_crime")
                for i in range(most)
            ),
        }
        with httpx.Client(base_url=stack.api_url, timeout=60) as http:
            versions = consent_versions(http, stack.secrets["BOT_SERVICE_TOKEN"])
        env = {
            **tokens,
            "CONSENT_VERSIONS": json.dumps(versions),
            "TWILIO_AUTH_TOKEN": stack.secrets["TWILIO_AUTH_TOKEN"],
            "TWILIO_ACCOUNT_SID": stack.secrets["TWILIO_ACCOUNT_SID"],
            "SMS_SIGNED_BASE_URL": stack.api_url,
            "FAKE_TWILIO_URL": stack.twilio_url,
        }
        if any(d.name in ("chat", "sms", "mixed") for d in chosen):
            print("warm-up: a free-text journey in each language …", file=sys.stderr, flush=True)
            warm_up(stack.api_url, warm_up_scripts(args.warm_up_all))
        for number, door in enumerate(chosen):
            users = args.users or door.users
            door_env = {**env, "SMS_SENDER_OFFSET": str(number * MAX_USERS)}
            if door.name == "mixed":
                door_env["FEED_PACING_SECONDS"] = "10"  # the feed comes now and then, not in a loop
            if door.name in ("claims", "mixed"):
                cases = int(min(3000, max(200, 30 * args.seconds)))
                print(f"filling the hate crime queue with {cases} referrals …", file=sys.stderr, flush=True)
                fill_queue(stack.api_url, tokens["AGENCY_TOKEN"], versions, cases)
            load_before = os.getloadavg()[0]
            print(
                f"{door.name}: baseline {HEALTHZ} at {users} users for {args.seconds:g} s …",
                file=sys.stderr,
                flush=True,
            )
            base = run_locust(
                LOAD / "scenarios" / "healthz.py", ["HealthzUser"], users, args.seconds, stack.api_url, out,
                f"{door.name}-healthz", door_env,
            )  # fmt: skip
            print(f"{door.name}: {users} users for {args.seconds:g} s …", file=sys.stderr, flush=True)
            level = run_locust(
                DOORS_FILE, list(door.classes), users, args.seconds, stack.api_url, out, door.name, door_env
            )
            report += door_report(door, level, base, load_before)
            report.append("")
        problems = stack_log_problems(stack.log_dir)
        header = [
            "Every door through the real stack (api + worker + action server + Rasa + fake Twilio, SQLite, "
            "127.0.0.1)",
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs ({cpu_model()}); {args.seconds:g} s per measurement; "
            f"SMS_SEND_PER_SECOND {args.sms_send_per_second:g}; FEED_ROWS {feed_rows()}; "
            f"load average now {os.getloadavg()[0]:.2f}",
            "",
        ]
        print("\n".join(header + report))
        for note in problems:
            print(f"stack log {note}")
        failed = False
    except (StackError, httpx.HTTPError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}\n{stack.log_tail()}", file=sys.stderr)
        return 1
    except RunError as exc:
        print("\n".join(report), file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        stack.stop()
        if failed or keep:
            print(f"locust files and stack logs: {out}", file=sys.stderr)
        else:
            shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
