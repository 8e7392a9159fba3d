"""The scaled-out stack's wiring (tools/scaled.py) without starting it: what each process is told, and the
nginx config Debian's nginx accepts (`nginx -t`). tests/e2e/test_scaled.py runs the whole stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pg import ci_is_set
from tools.scaled import Scale, ScaledStack, find_nginx, redis_db
from tools.stack import Ports, StackError

DATABASE = "postgresql+asyncpg://postgres:pw@127.0.0.1:5432/referrals"
TRACKER = "postgresql://postgres:pw@127.0.0.1:5432/rasa_tracker"


def scaled_stack(tmp_path: Path, **overrides: object) -> ScaledStack:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "model": tmp_path / "model.tar.gz",
        "ports": Ports(api=18080, rasa=18081, actions=18082, twilio=18083),
        "secrets": {},
        "database_url": DATABASE,
        "app_env": "test",
        "tracker_url": TRACKER,
        "redis_url": "redis://127.0.0.1:6379",
        "scale": Scale(api=3, rasa=2, actions=2),
        "nginx": "/usr/sbin/nginx",
    }
    values.update(overrides)
    return ScaledStack(**values)  # type: ignore[arg-type]


class TestRedisDb:
    @pytest.mark.parametrize(
        ("url", "db", "expected"),
        [
            ("redis://127.0.0.1:6379", 1, "redis://127.0.0.1:6379/1"),
            ("redis://127.0.0.1:6379/", 0, "redis://127.0.0.1:6379/0"),
            ("redis://127.0.0.1:6379/5", 1, "redis://127.0.0.1:6379/1"),
            ("redis://:secret@cache.internal:6380/2", 0, "redis://:secret@cache.internal:6380/0"),
        ],
    )
    def test_names_a_database_of_the_same_server(self, url: str, db: int, expected: str) -> None:
        assert redis_db(url, db) == expected


class TestScaledStack:
    def test_every_process_is_told_the_shared_stores_and_nginx(self, tmp_path: Path) -> None:
        env = scaled_stack(tmp_path).env()
        assert env["DATABASE_URL"] == DATABASE
        assert env["RASA_TRACKER_HOST"] == TRACKER
        assert env["RASA_TRACKER_DIALECT"] == "postgresql"
        assert env["RATE_LIMIT_STORAGE_URL"] == "redis://127.0.0.1:6379/0"
        assert env["RASA_LOCK_STORE_URL"] == "redis://127.0.0.1:6379/1"
        assert env["RASA_URL"] == "http://127.0.0.1:18081"  # nginx, in front of every Rasa
        assert env["ACTION_SERVER_URL"] == "http://127.0.0.1:18082/webhook"
        assert env["API_URL"] == env["PUBLIC_BASE_URL"] == "http://127.0.0.1:18080"
        assert env["TRUSTED_PROXIES"] == "127.0.0.1/32"

    @pytest.mark.parametrize(
        ("field", "value", "says"),
        [
            ("database_url", "sqlite+aiosqlite:///data/api.db", "PostgreSQL"),
            ("tracker_url", "sqlite:///rasa.db", "tracker store"),
            ("redis_url", "", "redis://"),
        ],
    )
    def test_refuses_what_cannot_be_shared(self, tmp_path: Path, field: str, value: str, says: str) -> None:
        with pytest.raises(StackError, match=says):
            scaled_stack(tmp_path, **{field: value})

    def test_a_scale_is_one_to_eight_processes(self) -> None:
        with pytest.raises(ValueError, match="rasa processes"):
            Scale(rasa=0)

    def test_nginx_balances_every_instance_and_logs_no_path(self, tmp_path: Path) -> None:
        stack = scaled_stack(tmp_path)
        config = stack.nginx_config()
        for kind in ("api", "rasa", "actions"):
            ports = stack.instance_ports[kind]
            assert len(ports) == getattr(stack.scale, kind)
            block = config.split(f"upstream {kind} {{", 1)[1].split("}", 1)[0]
            assert [f"127.0.0.1:{port}" in block for port in ports] == [True] * len(ports)
        for port in (18080, 18081, 18082):
            assert f"listen 127.0.0.1:{port};" in config
        log_format = next(line for line in config.splitlines() if "log_format" in line)
        assert "$upstream_addr" in log_format
        assert "$request_uri" not in log_format and "$uri" not in log_format and "$request " not in log_format

    def test_debians_nginx_accepts_the_config(self, tmp_path: Path) -> None:
        nginx = find_nginx()
        if nginx is None:
            if ci_is_set():
                pytest.fail("nginx is required when CI is set (tools/system_deps.sh test installs it)")
            pytest.skip("nginx is not installed")
        stack = scaled_stack(tmp_path, nginx=nginx)
        try:
            path = stack.write_nginx_config()  # runs `nginx -t`; raises StackError with nginx's words
            assert path.read_text() == stack.nginx_config()
        finally:
            stack.stop()

    def test_a_config_nginx_refuses_is_an_error_naming_it(self, tmp_path: Path) -> None:
        if find_nginx() is None:
            pytest.skip("nginx is not installed")
        stack = scaled_stack(tmp_path, nginx=find_nginx())
        stack.nginx_config = lambda: "http { nonsense_directive on; }\n"  # type: ignore[method-assign]
        try:
            with pytest.raises(StackError, match="nonsense_directive"):
                stack.write_nginx_config()
        finally:
            stack.stop()
