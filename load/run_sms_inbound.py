"""Benchmark (not a test): signed Twilio webhooks the SMS helpline acknowledges per second, p50 and p99.

Run from the repository root:

    .venvs/api/bin/python load/run_sms_inbound.py [--seconds 20] [--users 1,10]

It migrates a temporary SQLite database and starts the api alone (uvicorn, one process, on a free 127.0.0.1
port, fresh development secrets): what Twilio waits for is only the signature check, the insert and the
empty TwiML, while the bot turn happens later in the worker, which is left out so that its Rasa calls do not
share the machine. At each concurrency level in turn, locust runs headless:

- a baseline: a bare `GET /healthz` on the same api (load/scenarios/healthz.py), then
- signed inbound webhooks (load/scenarios/sms_inbound.py): a fresh MessageSid each, 2 % re-deliveries,
  senders over 1,000 drama numbers, each signed by the twilio library as Twilio does.

It prints, per level, acknowledged webhooks per second with their p50 and p99, the baseline's, the ratios,
and the failures (a failure is any answer other than 200 with empty TwiML), then how many messages the
database holds (re-deliveries must not add any). Synthetic data only; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tools.*; load/ is [0]

from runkit import (
    Level,
    RunError,
    bounded,
    cpu_model,
    interrupt_on_signals,
    parse_levels,
    percentile,
    run_locust,
    table,
)

from tools.paths import API_PYTHON, ROOT
from tools.secrets import generate
from tools.stack import Ports, Stack

LOAD = Path(__file__).resolve().parent
INBOUND = "POST /v1/channels/sms/inbound"
HEALTHZ = "GET /healthz"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--seconds",
        type=lambda v: bounded(v, 5, 600, "--seconds"),
        default=os.environ.get("SMS_INBOUND_SECONDS", "20"),
        help="run time of each measurement (5-600; env SMS_INBOUND_SECONDS; default 20)",
    )
    parser.add_argument(
        "--users",
        type=parse_levels,
        default=os.environ.get("SMS_INBOUND_USERS", "1,10"),
        help="comma-separated concurrency levels (env SMS_INBOUND_USERS; default 1,10)",
    )
    parser.add_argument("--out", type=Path, help="keep locust's files and the api's log here")
    return parser.parse_args(argv)


def start_api(stack: Stack) -> subprocess.Popen[bytes]:
    stack.log_dir.mkdir(parents=True, exist_ok=True)
    with open(stack.log_dir / "api.log", "ab") as log:
        proc = subprocess.Popen(
            [str(API_PYTHON), "-m", "uvicorn", "api.main:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(stack.ports.api), "--no-access-log",
             "--log-level", "warning"],
            cwd=ROOT, env={**stack.env(), "LOG_LEVEL": "WARNING"}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RunError(f"the api exited with {proc.returncode}; see {stack.log_dir}")
        try:
            with urllib.request.urlopen(f"{stack.api_url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return proc
        except OSError:
            pass
        time.sleep(0.3)
    raise RunError("the api was not healthy in time")


def stats(level: Level, name: str) -> tuple[int, int, float, int, int]:
    entry = level.entries.get(name)
    redelivered = level.entries.get(f"{name} (re-delivery)")
    merged = entry.response_times.copy() if entry else None
    requests = (entry.requests if entry else 0) + (redelivered.requests if redelivered else 0)
    failures = (entry.failures if entry else 0) + (redelivered.failures if redelivered else 0)
    if merged is not None and redelivered is not None:
        merged.update(redelivered.response_times)
    p50 = percentile(merged, 0.50) if merged else 0
    p99 = percentile(merged, 0.99) if merged else 0
    return requests, failures, level.per_second(requests - failures), p50, p99


def stored_messages(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return int(connection.execute("SELECT count(*) FROM sms_inbound").fetchone()[0])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    interrupt_on_signals()
    out = (args.out or Path(tempfile.mkdtemp(prefix="sms-inbound-"))).resolve()
    out.mkdir(parents=True, exist_ok=True)
    secrets = generate()
    stack = Stack(data_dir=out / "stack", model=out, ports=Ports.free(), secrets=secrets)
    # For the locust processes: sign as Twilio would, with the api's own token, for the api's public URL.
    os.environ.update(
        {
            "TWILIO_AUTH_TOKEN": secrets["TWILIO_AUTH_TOKEN"],
            "TWILIO_ACCOUNT_SID": secrets["TWILIO_ACCOUNT_SID"],
            "SMS_SIGNED_BASE_URL": stack.api_url,
        }
    )
    stack.migrate()
    api = start_api(stack)
    rows = [["users", "request", "requests", "failures", "acknowledged/s", "p50 ms", "p99 ms"]]
    summary = []
    load_before = os.getloadavg()[0]
    try:
        for users in args.users:
            print(
                f"baseline {HEALTHZ} at {users} user(s) for {args.seconds:g} s …", file=sys.stderr, flush=True
            )
            baseline = run_locust(
                LOAD / "scenarios" / "healthz.py", ["HealthzUser"], users, args.seconds, stack.api_url, out,
                f"healthz-{users}",
            )  # fmt: skip
            print(f"signed inbound at {users} user(s) for {args.seconds:g} s …", file=sys.stderr, flush=True)
            inbound = run_locust(
                LOAD / "scenarios" / "sms_inbound.py", ["SignedInboundUser"], users, args.seconds,
                stack.api_url, out, f"sms-inbound-{users}",
            )  # fmt: skip
            b = stats(baseline, HEALTHZ)
            s = stats(inbound, INBOUND)
            for name, (requests, failures, rate, p50, p99) in ((HEALTHZ, b), (INBOUND + " (signed)", s)):
                rows.append(
                    [str(users), name, str(requests), str(failures), f"{rate:.1f}", str(p50), str(p99)]
                )
            summary.append(
                f"{users} user(s): signed webhooks {s[2]:.1f}/s, p50 {s[3]} ms, p99 {s[4]} ms; "
                f"bare /healthz {b[2]:.1f}/s, p99 {b[4]} ms; throughput {s[2] / b[2]:.2f}x the baseline, "
                f"p99 {s[4] / max(b[4], 1):.1f}x"
                if b[2]
                else f"{users} user(s): no baseline requests"
            )
    finally:
        api.terminate()
        try:
            api.wait(timeout=15)
        except subprocess.TimeoutExpired:
            api.kill()
    print(
        "SMS inbound webhooks, signed (api alone, SQLite, 127.0.0.1)\n"
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs ({cpu_model()}); load average before {load_before:.2f}; "
        f"{args.seconds:g} s per measurement\n"
    )
    print(table(rows, right={0, 2, 3, 4, 5, 6}))
    print()
    print("\n".join(summary))
    print(f"messages stored: {stored_messages(out / 'stack' / 'api.db')} (re-deliveries add none)")
    if args.out is None:
        print(f"(locust files and the api log: {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
