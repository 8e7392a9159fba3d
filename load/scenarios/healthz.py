"""HealthzUser: a bare `GET /healthz` on the same api, as a side-by-side baseline for chat turn latency.

A locustfile of its own (`locust -f load/scenarios/healthz.py`), kept out of load/locustfile.py so that a
plain chat run never mixes it in. It touches no database and no bot: what remains is the HTTP round trip,
FastAPI's routing and the load generator itself, on the same machine at the same moment.
"""

from __future__ import annotations

from locust import HttpUser, constant, task


class HealthzUser(HttpUser):
    wait_time = constant(0)

    @task
    def healthz(self) -> None:
        with self.client.get("/healthz", name="GET /healthz", timeout=10, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            else:
                response.success()
