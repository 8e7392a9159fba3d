"""Shared test set-up: a migrated SQLite database per test (copied from one migrated template), the app
built on it with its lifespan running, and an ASGI client; for tests/e2e and tests/browser, the one real
stack they share (tests/stacks.py). Nothing here reaches a live third party.

Safe under pytest-xdist: session fixtures are per worker process, and every path is under pytest's per-worker
temporary directory."""

from __future__ import annotations

import copy
import json
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import yaml

os.environ.setdefault("ALLOW_FICTIONAL_PHONE_NUMBERS", "true")
os.environ["APP_ENV"] = "test"  # said explicitly: the api's own default is production

from alembic import command
from alembic.config import Config
from fastapi import FastAPI

from api.config import REPO_ROOT, Settings, get_settings
from api.main import create_app
from api.nlg import catalogue as nlg_catalogue
from bot.nlu import danger as nlu_danger
from tests.pg import postgres_cluster  # noqa: F401  (a throwaway PostgreSQL server: see tests/pg.py)
from tests.redis_server import redis_server, redis_url  # noqa: F401  (a throwaway Redis server: see tests/redis_server.py)
from tests.stacks import running_stack, serving_neutral_site
from tools.stack import Stack

BOT_TOKEN = "test-bot-service-token-0123456789abcdef"


def migrate(database_url: str) -> None:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


class _ParsedOnce:
    """`yaml.safe_load` of a text parsed once per process: every later load of the same text gets a deep copy
    of the first result (the same data, nothing shared). For the two loaders `create_app` runs on every app
    (the `app` fixture, thousands of times per run): the NLG catalogue (locales/responses.yml) and the 8
    danger phrase files (`DangerPhrases.load`) took ~0.35 s of pure-Python YAML parsing per app, most of
    the per-test set-up time of tests/api. Only parsing is skipped: both loaders still read their files
    and build their objects every time (a test that writes its own files gets them parsed), and a text
    that fails to parse fails every time."""

    def __init__(self) -> None:
        self.parsed: dict[str, object] = {}
        self.namespace = SimpleNamespace(**{**vars(yaml), "safe_load": self.safe_load})

    def safe_load(self, stream: object) -> object:
        if not isinstance(stream, str):
            return yaml.safe_load(stream)  # type: ignore[arg-type]
        if stream not in self.parsed:
            self.parsed[stream] = yaml.safe_load(stream)
        return copy.deepcopy(self.parsed[stream])


@pytest.fixture(scope="session", autouse=True)
def _yaml_parsed_once() -> Iterator[None]:
    once = _ParsedOnce()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(nlg_catalogue, "yaml", once.namespace)
        patch.setattr(nlu_danger, "yaml", once.namespace)
        yield


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    get_settings.cache_clear()
    path = tmp_path_factory.mktemp("template") / "api.db"
    migrate(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def database_url(template_db: Path, tmp_path: Path) -> str:
    path = tmp_path / "api.db"
    shutil.copyfile(template_db, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        app_env="test",
        database_url=database_url,
        rasa_tracker_db=str(tmp_path / "rasa-tracker.db"),  # absent unless a test makes it; never data/'s
        rasa_url="http://127.0.0.1:9",  # nothing listens: the bot is "down" unless a test says otherwise
        bot_service_token=BOT_TOKEN,
        allow_fictional_phone_numbers=True,
        worker_poll_seconds=1,
        opening_hours="none",  # out of hours whenever tests run; a test that needs the team on duty says so
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def bot_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {BOT_TOKEN}"}


@pytest.fixture(autouse=True)
def _fresh_settings_cache() -> Iterator[None]:
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def neutral_site() -> Iterator[str]:
    """The neutral page the quick exit goes to (QUICK_EXIT_URL of the shared stack)."""
    with serving_neutral_site() as url:
        yield url


@pytest.fixture(scope="session")
def shared_stack(tmp_path_factory: pytest.TempPathFactory, neutral_site: str) -> Iterator[Stack]:
    """One real stack (api, worker, Rasa, action server) for every end-to-end and browser module that needs
    no settings of its own: out of hours, the quick exit to `neutral_site`. Started on first use. The outbox
    paces texts from the helpline's one number at 50 a second, not a long code's 1 (tests/api/sms prove the
    pacing): the SMS journeys here are many multi-part texts, which would spend most of their time queued."""
    shared = {"QUICK_EXIT_URL": neutral_site, "SMS_SEND_PER_SECOND": "50"}
    with running_stack(tmp_path_factory, shared) as running:
        yield running


# `make test-e2e` runs tests/e2e and tests/browser on 2 pytest-xdist workers, each real stack's tests on one
# worker so no stack starts twice. Each test's group is given as an `xdist_group` mark, but pytest-xdist 3.8
# under pytest 9 cannot read it (its `--dist loadgroup` puts the group into `item._nodeid`, which pytest 9 no
# longer has: every test became a group of its own and the shared stack started on both workers). So here:
# each worker writes every marked test's group to a file in the run's temporary directory as it collects,
# and the controller's scheduler (pytest-xdist's own, by scope) takes each test's group from there.
GROUPS_FILE = "xdist-groups.json"


def _xdist_group(item: pytest.Item) -> str:
    """The work unit of an end-to-end or browser test: every test on the session's `shared_stack` in one,
    so only one worker starts it; any other test with its module, and with the value of each module- or
    session-scoped parameter it runs with (each value starts a stack of its own), so a module's own stack
    starts once and two values can go to two workers."""
    if "shared_stack" in item.fixturenames:
        return "shared_stack"
    group = item.nodeid.split("::", 1)[0]
    callspec = getattr(item, "callspec", None)
    definitions = item._fixtureinfo.name2fixturedefs  # type: ignore[attr-defined]
    for name, value in sorted(callspec.params.items()) if callspec else ():
        if name in definitions and definitions[name][-1].scope in ("module", "package", "session"):
            group += f"[{name}={value}]"
    return group


def pytest_itemcollected(item: pytest.Item) -> None:
    if item.nodeid.startswith(("tests/e2e/", "tests/browser/")):
        item.add_marker(pytest.mark.xdist_group(_xdist_group(item)))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not config.getoption("loadgroup", default=False):
        return
    # Units are keyed by node id: two tests with one id (schemathesis gives its operations one) would silently
    # run once between them (the Makefile's note on `--dist load`). None here has, and none may.
    ids = [item.nodeid for item in items]
    if len(set(ids)) != len(ids):
        raise pytest.UsageError(
            f"--dist loadgroup needs unique node ids: {sorted({i for i in ids if ids.count(i) > 1})}"
        )
    groups = {}
    for item in items:
        marks = sorted(str(mark.args[0]) for mark in item.iter_markers("xdist_group") if mark.args)
        if marks:
            groups[item.nodeid] = "_".join(marks)
    # Every worker collects the same tests (pytest-xdist checks): each writes the same file, atomically.
    run_dir = Path(config.option.basetemp).parent
    written = run_dir / f".{GROUPS_FILE}.{worker}"
    written.write_text(json.dumps(groups))
    written.replace(run_dir / GROUPS_FILE)


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    run_dir: Path = config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]  # the workers' parent

    class GroupsFromWorkers(LoadScopeScheduling):
        """`--dist loadgroup` by the groups the workers wrote (a test without one is a unit of its own); read
        when the tests are split into units, after every worker has finished collecting."""

        groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:
                path = run_dir / GROUPS_FILE
                self.groups = json.loads(path.read_text()) if path.exists() else {}
            return self.groups.get(nodeid, nodeid)

    return GroupsFromWorkers(config, log)
