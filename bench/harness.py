"""The processes a bench talks to, started on loopback with free ports and stopped at the end, and
the registry benches join.

A bench is a module `bench/bench_<name>.py` with one function decorated `@bench("<name>", ...)`.
It takes the Harness and the Options and returns a Report; the servers it asks for are started on
first use and shared by every bench of the run:

    harness.ours()      our Daphne (playground.asgi) on a fresh database of its own, REDIS_URL,
                        a Channels prefix and Celery queue of this run's own; ours(celery=True)
                        also starts a Celery worker (with beat) on that queue
    harness.minimal()   the same Daphne serving bench/minimal_settings.py: one view, no middleware,
                        no database; the floor the gateway is compared against
    harness.moto()      moto's server, as a peer
    harness.start_ours(name, app=...)   another Daphne of ours on the same database (a variant, such
                        as the profiled one bench/profile_gateway.py starts)

Each server's output goes to a log in the run's directory under var/bench/runs/.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import importlib
import json
import os
import pkgutil
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlparse

from bench.timing import WARM_UP_CALLS, Call, Rate, compare, peak_rss, warm_up

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = ROOT / "var" / "bench"
BIN = Path(sys.executable).parent
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test"
OURS_APP = "playground.asgi:application"
START_TIMEOUT = 90.0  # seconds a server may take to answer its first request
STOP_TIMEOUT = 10.0


class BenchError(RuntimeError):
    """A bench could not run (a server did not start, a database could not be made)."""


# --- what a bench gets and gives back -------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    seconds: float = 5.0  # measured time per target
    rounds: int = 3  # interleaved slices the measured time is cut into
    database: str = "sqlite"  # sqlite | postgres, for our server
    auth: str = "open"  # open | strict, our server's PLAYGROUND_AUTH_MODE


@dataclass
class Ratio:
    label: str  # "ours/minimal"
    value: float | None
    target: float | None = None  # the least value the issue asks for, if any

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        if self.value is None:
            return "NOT MEASURED"
        return "PASS" if self.value >= self.target else "BELOW TARGET"


@dataclass
class Report:
    """One bench's figures: a table of metric rows by target column, ratios between columns,
    notes, and the raw figures for the JSON file."""

    bench: str
    title: str
    columns: list[str]
    rows: dict[str, dict[str, float | None]] = field(default_factory=dict)  # metric -> column -> value
    ratios: list[Ratio] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratios"] = [{**asdict(ratio), "verdict": ratio.verdict} for ratio in self.ratios]
        return data


def measure_operations(
    report: Report,
    servers: dict[str, Server],
    setup: Callable[[str, Server], dict[str, Call]],
    operations: Iterable[str],
    *,
    options: Options,
    warm_calls: int = WARM_UP_CALLS,
) -> dict[str, dict[str, Rate]]:
    """Each operation's rates by target: `setup(name, server)` makes a target's calls (one per
    operation); then, operation by operation, each target is warmed up and all are compared in
    interleaved rounds. A target that cannot be set up, fails its warm-up or answers errors is
    named in the report's notes instead of failing the bench."""
    calls: dict[str, dict[str, Call]] = {}
    for name, server in servers.items():
        try:
            calls[name] = setup(name, server)
        except Exception as exc:  # a target that cannot be set up is reported, not measured
            report.notes.append(f"{name} could not be set up and was not measured: {type(exc).__name__}: {exc}")
    pids = {name: server.pid for name, server in servers.items()}
    rates: dict[str, dict[str, Rate]] = {}
    for operation in operations:
        chosen = {}
        for name, by_operation in calls.items():
            error = warm_up(by_operation[operation], calls=warm_calls, seconds=1.0)
            if error is None:
                chosen[name] = by_operation[operation]
            else:
                report.notes.append(f"{name} failed its {operation} warm-up and was not measured: {error}")
        rates[operation] = compare(chosen, seconds=options.seconds, rounds=options.rounds, pids=pids)
        for name, rate in rates[operation].items():
            if rate.errors:
                report.notes.append(
                    f"{name} answered {rate.errors} {operation} call(s) with errors: {rate.first_error}"
                )
    return rates


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


# --- the registry ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bench:
    name: str
    summary: str
    run: Callable[[Harness, Options], Report]


BENCHES: dict[str, Bench] = {}


def bench(name: str, summary: str) -> Callable[[Callable[[Harness, Options], Report]], Callable[..., Report]]:
    """Register a bench function under `name` (what `python -m bench NAME` runs)."""

    def register(function: Callable[[Harness, Options], Report]) -> Callable[[Harness, Options], Report]:
        if name in BENCHES:
            raise ValueError(f"two benches are named {name!r}")
        BENCHES[name] = Bench(name, summary, function)
        return function

    return register


def discover() -> dict[str, Bench]:
    """Import every bench/bench_*.py module; each registers itself."""
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name.startswith("bench_"):
            importlib.import_module(f"bench.{module.name}")
    return dict(sorted(BENCHES.items()))


# --- servers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    access_key_id: str
    secret_access_key: str
    region: str
    account_id: str = ""


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    keys: Keys

    @property
    def pid(self) -> int:
        return self.process.pid

    def client(self, service: str, **config: Any) -> Any:
        """A boto3 client for this server with retries off: a failed call is counted, not hidden."""
        import boto3
        from botocore.config import Config

        settings = {"retries": {"total_max_attempts": 1}, "connect_timeout": 5, "read_timeout": 60, **config}
        return boto3.session.Session().client(
            service,
            endpoint_url=self.url,
            region_name=self.keys.region,
            aws_access_key_id=self.keys.access_key_id,
            aws_secret_access_key=self.keys.secret_access_key,
            config=Config(**settings),
        )

    def peak_rss(self) -> int | None:
        return peak_rss(self.pid, children=True)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis_answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Harness:
    """Starts servers on demand and stops every process it started when closed (or on Ctrl-C)."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.run_id = secrets.token_hex(4)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        self.run_dir = BENCH_VAR / "runs" / f"{stamp}-{self.run_id}"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._processes: list[subprocess.Popen[bytes]] = []
        self._servers: dict[str, Server] = {}
        self._celery: subprocess.Popen[bytes] | None = None
        self._redis_url: str | None = None
        self._postgres_database: str | None = None
        self._database_url: str | None = None
        self._keys: Keys | None = None

    def __enter__(self) -> Harness:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # The three targets ---------------------------------------------------------------------------

    def ours(self, *, celery: bool = False) -> Server:
        server = self._servers.get("ours") or self.start_ours("ours")
        if celery and self._celery is None:
            self._celery = self._start_celery(self.ours_env())
        return server

    def start_ours(self, name: str, *, app: str = OURS_APP, extra_env: dict[str, str] | None = None) -> Server:
        """Another Daphne of ours on the same database and keys: a variant such as bench/profiled_asgi.py.
        Stop it with stop() when done; close() stops it otherwise."""
        if name in self._servers:
            raise BenchError(f"a server named {name} is already running")
        keys = self._prepare_database()
        env = {**self.ours_env(), **(extra_env or {})}
        return self._start_daphne(name, app, env, keys, probe="/healthz")

    def stop(self, server: Server) -> None:
        """Stop one server now (for instance to make it write what it collected on exit)."""
        _stop([server.process])
        self._servers.pop(server.name, None)

    def _prepare_database(self) -> Keys:
        """Migrate our database and make the demo sandbox, once; its key is what the clients use."""
        if self._keys is None:
            env = self.ours_env()
            self._manage(env, "migrate", "--no-input", "-v", "0")
            details = json.loads(self._manage(env, "demo_setup", "--json"))
            self._keys = Keys(
                details["access_key_id"], details["secret_access_key"], details["region"], details["account_id"]
            )
        return self._keys

    def minimal(self) -> Server:
        server = self._servers.get("minimal")
        if server is None:
            env = self._base_env(DJANGO_SETTINGS_MODULE="bench.minimal_settings")
            keys = Keys("AKIAIOSFODNN7EXAMPLE", "bench-secret", "us-east-1", "123456789012")
            server = self._start_daphne("minimal", "bench.minimal_asgi:application", env, keys, probe="/")
        return server

    def floor(self) -> Server:
        """bench/floor_asgi.py under Daphne, on a SQLite file of its own (python -m bench.floor)."""
        server = self._servers.get("floor")
        if server is None:
            env = self._base_env(BENCH_FLOOR_DATABASE=str(self.run_dir / "floor.sqlite3"))
            keys = Keys("testing", "testing", "us-east-1", "123456789012")
            server = self._start_daphne("floor", "bench.floor_asgi:application", env, keys, probe="/")
        return server

    def moto(self) -> Server:
        server = self._servers.get("moto")
        if server is None:
            port = free_port()
            command = [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
            keys = Keys("testing", "testing", "us-east-1", "123456789012")
            server = self._start("moto", command, self._base_env(), port, keys, probe="/")
        return server

    @property
    def celery(self) -> subprocess.Popen[bytes] | None:
        return self._celery

    # Environment -----------------------------------------------------------------------------------

    def _base_env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
        env.update(extra)
        return env

    def ours_env(self) -> dict[str, str]:
        """The environment our server (and its manage.py, Celery worker) runs with."""
        env = self._base_env(
            DJANGO_SETTINGS_MODULE="playground.settings",
            DATABASE_URL=self.database_url(),
            REDIS_URL=self.redis_url(),
            PLAYGROUND_CHANNEL_PREFIX=f"bench-{self.run_id}",
            PLAYGROUND_CELERY_QUEUE=f"bench-{self.run_id}",
            PLAYGROUND_AUTH_MODE=self.options.auth,
            PLAYGROUND_VAR_DIR=str(self.run_dir / "var"),
            LOG_LEVEL="WARNING",
            DEBUG="false",
        )
        if self.options.auth == "strict":
            env["SECRET_KEY"] = self._secret_key
            # A classroom's request-rate quota stays on (its Redis bucket is part of a call's cost),
            # out of reach of one fast client: a throttled call would end the measurement.
            env.setdefault("PLAYGROUND_QUOTA_REQUESTS_PER_SECOND", "1000000")
            env.setdefault("PLAYGROUND_QUOTA_REQUEST_BURST", "1000000")
        return env

    @property
    def _secret_key(self) -> str:
        path = self.run_dir / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(40))
        return path.read_text()

    def redis_url(self) -> str:
        if self._redis_url is None:
            url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
            if not _redis_answers(url):
                # The launcher's helper starts the embedded Redis when the URL names this machine.
                from playground.launcher import ensure_redis

                os.environ["REDIS_URL"] = url
                url = ensure_redis(self._processes)
            self._redis_url = url
        return self._redis_url

    def database_url(self) -> str:
        """Our server's database: a fresh SQLite file in the run directory, or a fresh PostgreSQL database."""
        if self._database_url is None:
            if self.options.database == "sqlite":
                self._database_url = f"sqlite:///{self.run_dir / 'playground.sqlite3'}"
            elif self.options.database == "postgres":
                self._database_url = self._create_postgres_database()
            else:
                raise BenchError(f"unknown database {self.options.database!r}")
        return self._database_url

    def _create_postgres_database(self) -> str:
        """A database of this run's own (bench_<run id>) on the server BENCH_POSTGRES_URL names,
        dropped again when the harness closes."""
        import psycopg
        from psycopg import sql

        base = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        name = f"bench_{self.run_id}"
        try:
            with psycopg.connect(base, autocommit=True, connect_timeout=5) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.Error as exc:
            raise BenchError(f"could not create the PostgreSQL database {name} via {base}: {exc}") from exc
        self._postgres_database = name
        return urlparse(base)._replace(path=f"/{name}").geturl()

    def _drop_postgres_database(self) -> None:
        if self._postgres_database is None:
            return
        import psycopg
        from psycopg import sql

        base = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self._postgres_database))
        try:
            with psycopg.connect(base, autocommit=True, connect_timeout=5) as conn:
                conn.execute(statement)
        except psycopg.Error as exc:
            print(f"warning: could not drop the database {self._postgres_database}: {exc}", file=sys.stderr)
        self._postgres_database = None

    # Processes -------------------------------------------------------------------------------------

    def _manage(self, env: dict[str, str], *args: str) -> str:
        log = self.run_dir / "manage.log"
        with log.open("ab") as stderr:
            result = subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), *args],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=stderr,
                timeout=300,
                check=False,
            )
        if result.returncode != 0:
            raise BenchError(f"manage.py {' '.join(args)} failed; see {log}:\n{log.read_text()[-3000:]}")
        return result.stdout.decode()

    def _start_daphne(self, name: str, app: str, env: dict[str, str], keys: Keys, *, probe: str) -> Server:
        port = free_port()
        command = [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), app]
        return self._start(name, command, env, port, keys, probe=probe)

    def _start(
        self, name: str, command: list[str], env: dict[str, str], port: int, keys: Keys, *, probe: str
    ) -> Server:
        log_path = self.run_dir / f"{name}.log"
        with log_path.open("wb") as log:
            # A session of its own: Ctrl-C reaches the harness, which then stops the server itself.
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._processes.append(process)
        server = Server(name, f"http://127.0.0.1:{port}", process, log_path, keys)
        self._wait_ready(server, port, probe)
        self._servers[name] = server
        return server

    def _wait_ready(self, server: Server, port: int, probe: str) -> None:
        """Until the server answers an HTTP request on `probe` (any status: it is up)."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise BenchError(f"{server.name} exited at start ({server.log_path}):\n{server.log_tail()}")
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                connection.request("GET", probe)
                connection.getresponse().read()
                return
            except OSError:
                time.sleep(0.1)
            finally:
                connection.close()
        raise BenchError(f"{server.name} did not answer within {START_TIMEOUT:.0f} s:\n{server.log_tail()}")

    def _start_celery(self, env: dict[str, str]) -> subprocess.Popen[bytes]:
        queue = env["PLAYGROUND_CELERY_QUEUE"]
        log_path = self.run_dir / "celery.log"
        command = [
            str(BIN / "celery"), "-A", "playground", "worker", "--beat", "--pool=solo", "--loglevel=INFO",
            "-Q", queue, "--schedule", str(self.run_dir / "celerybeat-schedule"),
        ]  # fmt: skip
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._processes.append(process)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BenchError(f"the Celery worker exited at start:\n{log_path.read_text()[-3000:]}")
            if " ready." in log_path.read_text(errors="replace"):
                return process
            time.sleep(0.2)
        raise BenchError(f"the Celery worker was not ready within {START_TIMEOUT:.0f} s")

    def close(self) -> None:
        """Stop every process this harness started (newest first), drop its PostgreSQL database and
        delete its SQLite files; the logs stay in the run directory."""
        _stop(self._processes)
        self._processes.clear()
        self._servers.clear()
        self._celery = None
        self._drop_postgres_database()
        for path in self.run_dir.glob("playground.sqlite3*"):
            path.unlink(missing_ok=True)
        shutil.rmtree(self.run_dir / "var", ignore_errors=True)


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Terminate (newest first), wait up to STOP_TIMEOUT in all, then kill what is left."""
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


# --- faults (bench/chaos.py) ------------------------------------------------------------------------


def kill_hard(process: subprocess.Popen[bytes]) -> None:
    """kill -9 a process we started and everything in its session (Celery's embedded beat is a
    child process), as a crash would: no signal handler, no cleanup, no goodbye."""
    if process.returncode is None:  # not reaped yet, so its pid cannot name anyone else's group
        with contextlib.suppress(ProcessLookupError):  # the whole session died on its own meanwhile
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=STOP_TIMEOUT)


def restart_ours(harness: Harness) -> Server:
    """Our Daphne again, on the port it had (clients keep their endpoint), after a kill_hard;
    the log of the previous life is kept beside the new one."""
    old = harness._servers.pop("ours")
    kill_hard(old.process)
    port = urlparse(old.url).port or 80
    _keep_log(old.log_path)
    command = [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), OURS_APP]
    return harness._start("ours", command, harness.ours_env(), port, old.keys, probe="/healthz")


def restart_celery(harness: Harness) -> subprocess.Popen[bytes]:
    """The Celery worker (with beat) again, after a kill_hard; it finds its queue and schedule file
    as the killed one left them."""
    if harness._celery is not None:
        kill_hard(harness._celery)
    _keep_log(harness.run_dir / "celery.log")
    harness._celery = harness._start_celery(harness.ours_env())
    return harness._celery


def manage(harness: Harness, *args: str) -> str:
    """Run a manage.py command against our server's database; its standard output."""
    return harness._manage(harness.ours_env(), *args)


def _keep_log(path: Path) -> None:
    """Rename a log to the first free `<name>.<n>.log`, so a restarted process starts a new one."""
    if not path.exists():
        return
    number = 1
    while (kept := path.with_suffix(f".{number}.log")).exists():
        number += 1
    path.rename(kept)
