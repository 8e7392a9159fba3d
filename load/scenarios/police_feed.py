"""PoliceFeedUser: an administrator uploading the police daily feed, `POST /v1/admin/police-feed` with
`Authorization: Bearer $ADMIN_TOKEN` and the CSV file as the body ("police feed import").

Each upload is FEED_ROWS rows (default 50, 1 to 5,000) with crime references never used before, a mix of
hate crime, domestic abuse and antisocial behaviour referrals in the feed's own column format
(api/police_feed/csv_format.py), every name, number and event synthetic. The answer must be 200 with every
row imported (none refused, none a duplicate). One transaction a row, by design: rows per second is the
figure (the runner multiplies). FEED_PACING_SECONDS (default 0) spaces the uploads, as in the mixed run.
"""

from __future__ import annotations

import itertools
import sys
import uuid
from pathlib import Path

from locust import HttpUser, constant_pacing, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # load/, for scenarios.*

from scenarios.common import REQUEST_TIMEOUT_SECONDS, number_setting, setting, status_problem
from scenarios.payloads import feed_csv

NAME = "police feed import"
_batches = itertools.count()


def feed_rows() -> int:
    return int(number_setting("FEED_ROWS", 50, 1, 5000))


class PoliceFeedUser(HttpUser):
    weight = 1

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {setting('ADMIN_TOKEN')}", "Content-Type": "text/csv"}
        self.rows = feed_rows()
        self.pacer = constant_pacing(number_setting("FEED_PACING_SECONDS", 0, 0, 3600))
        self.prefix = f"{uuid.uuid4().hex[:6].upper()}{next(_batches)}"
        self.uploads = itertools.count()

    def wait_time(self) -> float:
        return float(self.pacer(self))

    @task
    def upload(self) -> None:
        batch = f"{self.prefix}{next(self.uploads):04d}"
        with self.client.post(
            "/v1/admin/police-feed",
            data=feed_csv(self.rows, batch),
            headers=self.headers,
            name=NAME,
            timeout=REQUEST_TIMEOUT_SECONDS * 5,
            catch_response=True,
        ) as response:
            problem = status_problem(response, 200)
            if problem is None:
                try:
                    summary = response.json()
                    if summary["imported"] != self.rows:
                        problem = (
                            f"{summary['imported']} of {self.rows} rows imported "
                            f"({summary['errors']} refused, {summary['duplicates']} duplicates)"
                        )
                except (ValueError, KeyError, TypeError):
                    problem = "the answer is not the import summary"
            if problem is not None:
                response.failure(problem)
            else:
                response.success()
