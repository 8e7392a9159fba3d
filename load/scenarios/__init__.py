"""Load scenarios. `conversation` is plain data and checks (no locust import, so the runner can use it);
`chat_slice` and `healthz` are locust users."""
