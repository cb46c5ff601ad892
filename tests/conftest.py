"""Fixtures for tests that meet Playground as users do: a real Daphne server (open and strict
auth), a real Celery worker with beat, the real Redis, boto3 clients and the real `aws` CLI.

The live servers share the test database with this process. Tests never flush it: each test makes
its own sandbox (its own account), which is how a classroom keeps students apart too.

`make test` runs the suite in pytest-xdist workers. Each worker is a run of its own
(tests/parallel.py): its own test database, live servers, Celery worker and beat, Celery queue,
Channels prefix (which also prefixes the sign-in and quota counters on Redis) and log folder; only
the Redis server is shared. Nothing here may assume it is the only worker.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest
import requests
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
# One folder per test run and worker (make test gives each a run id, tests/parallel.py appends the
# worker's), so concurrent runs and workers never share logs.
LOG_DIR = ROOT / "var" / "test-logs" / (os.environ.get("PLAYGROUND_TEST_RUN_ID") or "default")
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment: None, django_db_blocker: Any) -> Iterator[None]:
    """The test database, always: the live servers use it even when no test asks for `db`."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(verbosity=0, interactive=False, aliases={"default": {}})
    yield
    with django_db_blocker.unblock():
        from django.db import connection

        test_database = str(connection.settings_dict["NAME"])
        _end_other_sessions()
        teardown_databases(config, verbosity=0)
        if connection.vendor == "sqlite":
            # Django removes the database's file, not the WAL journal and shared memory next to it;
            # one pair per run and worker would pile up in var/.
            for suffix in ("-wal", "-shm", "-generations"):
                Path(test_database + suffix).unlink(missing_ok=True)


def _end_other_sessions() -> None:
    """PostgreSQL will not drop a database others still use: end what a server process or a
    background thread of this one (the call log's writer) left connected."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [connection.settings_dict["NAME"]],
        )


def listening_socket() -> socket.socket:
    """A socket listening on a port the system picked, for a server process to adopt (`daphne --fd`).

    Binding here and handing the socket over leaves no moment when the port is free: a port picked
    and released first could be taken meanwhile by another worker's server or by any outgoing
    connection, and a health check would then reach the wrong server."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def daphne_command(sock: socket.socket) -> list[str]:
    return [str(VENV_BIN / "daphne"), "--fd", str(sock.fileno()), "playground.asgi:application"]


def _database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    user = quote(s.get("USER") or "")
    password = f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str]

    def log_text(self, since: int = 0) -> str:
        """The server's log, or what it wrote after `since` (a `log_size()` taken earlier): a
        session's server serves every test of its worker, in whatever order they are handed out."""
        with self.log_path.open("rb") as log:
            log.seek(since)
            return log.read().decode(errors="replace")

    def log_size(self) -> int:
        return self.log_path.stat().st_size


def _server_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "playground.settings",
            "DATABASE_URL": _database_url(),
            "PYTHONUNBUFFERED": "1",
            "PLAYGROUND_EXTRA_APPS": "tests.support",
            # A PostgreSQL connection only while a call runs, not one per server thread kept for a
            # minute: parallel workers, and other runs on the machine, share its 100 connections.
            "DATABASE_CONN_MAX_AGE": "0",
        }
    )
    env.update(extra)
    # Set while Playwright runs (tests/e2e/conftest.py); a server started meanwhile keeps the check.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def _start_server(name: str, env: dict[str, str]) -> Server:
    """Daphne on a port of its own, once it answers /healthz (a loaded machine may take a minute to
    import Django); a server that exits or never answers is stopped and its log's end raised."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / f"{name}.log"
    with listening_socket() as sock, log_path.open("wb") as log:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        process = subprocess.Popen(
            daphne_command(sock), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, pass_fds=[sock.fileno()]
        )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} server exited: {log_path.read_text()[-3000:]}")
            try:
                if requests.get(f"{url}/healthz", timeout=5).ok:
                    return Server(url, process, log_path, env)
            except requests.RequestException:
                pass  # still importing on a loaded machine
            time.sleep(0.1)
        raise RuntimeError(f"{name} server did not start: {log_path.read_text()[-3000:]}")
    except BaseException:
        _stop(process)  # never leave a half-started server behind
        raise


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def channel_prefix() -> str:
    """The Channels prefix this process publishes under; the servers use the same one.

    `make test` gives each run a prefix (and Celery queue) of its own, so runs never cross on Redis.
    """
    from django.conf import settings

    layers: dict[str, Any] = settings.CHANNEL_LAYERS
    return str(layers["default"]["CONFIG"]["prefix"])


@pytest.fixture(scope="session")
def daphne(django_db_setup: Any, django_db_blocker: Any, channel_prefix: str) -> Iterator[Server]:
    """Daphne in open auth mode (any key works), against the test database and the real Redis."""
    with django_db_blocker.unblock():
        env = _server_env(PLAYGROUND_AUTH_MODE="open", PLAYGROUND_CHANNEL_PREFIX=channel_prefix)
    server = _start_server("daphne-open", env)
    yield server
    _stop(server.process)


@pytest.fixture(scope="session")
def strict_server(django_db_setup: Any, django_db_blocker: Any, channel_prefix: str) -> Iterator[Server]:
    """Daphne in strict auth mode: signatures verified against stored secrets."""
    with django_db_blocker.unblock():
        env = _server_env(
            PLAYGROUND_AUTH_MODE="strict",
            SECRET_KEY=secrets.token_urlsafe(40),
            PLAYGROUND_CHANNEL_PREFIX=channel_prefix,
        )
    server = _start_server("daphne-strict", env)
    yield server
    _stop(server.process)


# The beat's period in the suite: the product's default. Each tick reads the clock of every sandbox
# in the database, and a worker's database gathers thousands (tests never delete theirs): ticking
# every 0.2 s took about a sixth of the suite's CPU time, a share growing with the suite's size.
TICK_SECONDS = 1.0


@pytest.fixture(scope="session")
def celery_worker(daphne: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker with beat, ticking every TICK_SECONDS, on a queue of this run's (and this
    worker's) own. Its beat's tick runs due work on every sandbox of this worker's database."""
    from django.conf import settings

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    env = dict(daphne.env, PLAYGROUND_TICK_SECONDS=str(TICK_SECONDS), PLAYGROUND_CELERY_QUEUE=queue)
    with (LOG_DIR / "celery.log").open("wb") as log:
        process = subprocess.Popen(
            [
                str(VENV_BIN / "celery"), "-A", "playground", "worker", "--beat", "--pool=solo", "--loglevel=INFO",
                "-Q", queue,
                # A node name of its own; no syncing with the other Celery workers on this Redis
                # (other runs' and workers'): they share nothing with this one.
                "--hostname", f"{queue}@%h", "--without-mingle", "--without-gossip",
                "--schedule", str(tmp_path_factory.mktemp("celerybeat") / "schedule"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    log_path = LOG_DIR / "celery.log"
    deadline = time.monotonic() + 60  # a loaded machine may take this long to import Django
    while " ready." not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            raise RuntimeError(f"the Celery worker did not start: {log_path.read_text()[-3000:]}")
        time.sleep(0.1)
    yield process
    _stop(process)


@dataclass
class SandboxInfo:
    id: int
    account_id: str
    access_key_id: str
    secret_access_key: str
    region: str


@pytest.fixture
def make_sandbox(django_db_blocker: Any, django_db_setup: Any) -> Callable[..., SandboxInfo]:
    """Create a sandbox (own account, own key) committed to the test database."""

    def make(name: str = "test", username: str | None = None) -> SandboxInfo:
        from django.contrib.auth import get_user_model

        from playground.sandboxes.services import sandbox_create

        with django_db_blocker.unblock():
            owner = None
            if username:
                owner = get_user_model().objects.create_user(username=username, password="pw-" + username)
            sandbox, key, secret = sandbox_create(name=name, owner=owner)
        return SandboxInfo(sandbox.pk, sandbox.account_id, key.access_key_id, secret, sandbox.default_region)

    return make


@pytest.fixture
def sandbox(make_sandbox: Callable[..., SandboxInfo]) -> SandboxInfo:
    return make_sandbox()


@pytest.fixture
def db_access(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Read and write the shared test database from the test itself (autocommit, no rollback)."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def advance(sandbox: SandboxInfo, db_access: None) -> Callable[[float], None]:
    """advance(seconds): move the test sandbox's clock forward and run the work that became due in
    this process (never sleep for AWS time). The live events that work published outside a call's
    transaction are numbered and stored by the event store's thread: they are stored before it
    returns (a test reading them at once found none on a slow run)."""
    from playground.live.store import event_writer
    from playground.sandboxes.models import Sandbox
    from playground.sandboxes.services import clock_advance

    def move(seconds: float) -> None:
        clock_advance(sandbox=Sandbox.objects.get(pk=sandbox.id), seconds=seconds)
        event_writer().flush(10.0)

    return move


@pytest.fixture
def paused(sandbox: SandboxInfo, db_access: None) -> None:
    """Stop the test sandbox's clock, so that only `advance` moves it: exact timing without sleeping."""
    from playground.sandboxes.models import Sandbox
    from playground.sandboxes.services import clock_pause

    clock_pause(sandbox=Sandbox.objects.get(pk=sandbox.id))


def error_of(caught: Any) -> tuple[str, int, str]:
    """(code, HTTP status, message) of a botocore ClientError caught by pytest.raises."""
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"].get("Message", ""),
    )


NO_RETRY = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=60)


@pytest.fixture
def aws(daphne: Server, sandbox: SandboxInfo) -> Callable[..., Any]:
    """aws("sqs") -> a boto3 client for the test's sandbox against the open-mode server."""

    def client(service: str, *, info: SandboxInfo | None = None, server: Server | None = None, **kwargs: Any) -> Any:
        who = info or sandbox
        return boto3.client(
            service,
            endpoint_url=(server or daphne).url,
            region_name=kwargs.pop("region_name", who.region),
            aws_access_key_id=kwargs.pop("aws_access_key_id", who.access_key_id),
            aws_secret_access_key=kwargs.pop("aws_secret_access_key", who.secret_access_key),
            config=kwargs.pop("config", NO_RETRY),
            **kwargs,
        )

    return client


@pytest.fixture
def aws_cli(daphne: Server, sandbox: SandboxInfo, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real `aws` executable against the live server with the sandbox's keys."""
    executable = shutil.which("aws", path=str(VENV_BIN)) or shutil.which("aws")
    assert executable, "the aws CLI is not installed"

    def run(
        *args: str,
        info: SandboxInfo | None = None,
        server: Server | None = None,
        check: bool = True,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        who = info or sandbox
        cli_env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "AWS_ACCESS_KEY_ID": who.access_key_id,
            "AWS_SECRET_ACCESS_KEY": who.secret_access_key,
            "AWS_DEFAULT_REGION": who.region,
            "AWS_CONFIG_FILE": str(tmp_path / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
            "AWS_RETRY_MODE": "standard",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_PAGER": "",
        }
        cli_env.update(env or {})
        result = subprocess.run(
            [executable, "--endpoint-url", (server or daphne).url, *args],
            capture_output=True,
            text=True,
            env=cli_env,
            cwd=cwd or tmp_path,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    return run
