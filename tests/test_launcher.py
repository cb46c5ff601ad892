"""`make run` as a person uses it: in a terminal (a pseudo-terminal here), Ctrl-C typed once stops
every process it started and make exits 0; the printed aws CLI lines use a profile of their own.

Each run gets its own port, var/ folder (database, secrets), Channels prefix and Celery queue, so it
never meets the suite's servers or another run. The real Makefile's `run` recipe is used, with
`-o setup` so that make does not reinstall anything.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import select
import shutil
import socket
import subprocess
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
import requests

from tests.conftest import ROOT, VENV_BIN

pytestmark = [pytest.mark.live]

CTRL_C = b"\x03"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _controlling_terminal() -> None:
    """In the child: the pseudo-terminal on stdin becomes the session's controlling terminal, so
    Ctrl-C typed on it signals the foreground process group, as a terminal does."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@dataclass
class MakeRun:
    process: subprocess.Popen[bytes]
    master: int
    port: int
    output: bytearray = field(default_factory=bytearray)

    def read(self, timeout: float = 0.2) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                self.output.extend(os.read(self.master, 65536))
            except OSError:  # the terminal's other side closed: everything exited
                time.sleep(timeout)

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace").replace("\r\n", "\n")

    def wait_for(self, pattern: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.text):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no {pattern!r} in the output of make run:\n{self.text[-4000:]}")
            self.read()

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def wait(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"make run did not exit:\n{self.text[-4000:]}")
            self.read()
        self.read(0)
        return self.process.returncode

    def descendants(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[MakeRun]:
    """`make run` started in a pseudo-terminal, on a port and a var/ folder of its own."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    port = _free_port()
    var = tmp_path / "var"
    run_id = secrets.token_hex(4)
    env = dict(os.environ)
    env.update(
        {
            "PORT": str(port),
            "WEB_PROCESSES": "2",
            "PLAYGROUND_VAR_DIR": str(var),
            "DATABASE_URL": f"sqlite:///{var / 'playground.sqlite3'}",
            "PLAYGROUND_CHANNEL_PREFIX": f"launcher-{run_id}",
            "PLAYGROUND_CELERY_QUEUE": f"launcher-{run_id}",
            "PATH": f"{VENV_BIN}:{env.get('PATH', '')}",
            "TERM": "dumb",
        }
    )
    for name in ("DJANGO_SETTINGS_MODULE", "PLAYGROUND_EXTRA_APPS", "PLAYGROUND_TEST_RUN_ID", "PYTEST_CURRENT_TEST"):
        env.pop(name, None)
    master, slave = os.openpty()
    process = subprocess.Popen(
        [make, "--no-print-directory", "-C", str(ROOT), "-o", "setup", "run"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        preexec_fn=_controlling_terminal,
    )
    os.close(slave)
    started = MakeRun(process, master, port)
    try:
        yield started
    finally:
        left = started.descendants()
        for child in left:
            child.kill()
        if process.poll() is None:
            os.killpg(process.pid, 9)
            process.wait()
        os.close(master)


def _still_running(processes: list[psutil.Process]) -> list[str]:
    running = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                running.append(f"{process.pid} {' '.join(process.cmdline())}")
        except psutil.NoSuchProcess:
            pass
    return running


def test_one_ctrl_c_stops_every_process_and_make_exits_0(make_run: MakeRun, tmp_path: Path) -> None:
    make_run.wait_for(r"Press Ctrl-C to stop", timeout=180)
    assert requests.get(f"http://127.0.0.1:{make_run.port}/healthz", timeout=10).ok
    started = make_run.descendants()
    names = " ".join(" ".join(process.cmdline()) for process in started)
    assert "celery" in names
    # Two Daphne processes (WEB_PROCESSES), both listening on the one socket the launcher opened.
    web = [process for process in started if "daphne" in " ".join(process.cmdline())]
    assert len(web) == 2
    for process in web:
        listening = [conn for conn in process.net_connections(kind="tcp") if conn.status == psutil.CONN_LISTEN]
        assert [conn.laddr.port for conn in listening] == [make_run.port]
    answered = [requests.get(f"http://127.0.0.1:{make_run.port}/healthz", timeout=10).ok for _ in range(10)]
    assert all(answered)
    # Beat's schedule is under PLAYGROUND_VAR_DIR: two instances never share one.
    assert f"--schedule {tmp_path / 'var' / 'celerybeat-schedule'}" in names

    # The printed lines set up a profile of their own, never the default one, and they work.
    text = make_run.text
    assert "--profile playground" in text
    for line in re.findall(r"^\s*(aws configure set .*)$", text, flags=re.MULTILINE):
        assert line.rstrip().endswith("--profile playground"), line
    home = tmp_path / "home"
    home.mkdir()
    cli_env = {"PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}", "HOME": str(home), "AWS_PAGER": ""}
    for line in re.findall(r"^\s*(aws (?:configure|--).*)$", text, flags=re.MULTILINE):
        line = line.replace("localhost", "127.0.0.1")
        done = subprocess.run(["bash", "-c", line], env=cli_env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{line}: {done.stderr}"
    assert '"Account"' in done.stdout
    assert "[default]" not in (home / ".aws" / "credentials").read_text()

    make_run.type(CTRL_C)
    status = make_run.wait(timeout=60)
    assert status == 0, make_run.text[-3000:]
    assert "Stopped." in make_run.text
    for problem in ("Error", "Interrupt", "Traceback"):
        assert problem not in make_run.text, make_run.text[-3000:]
    assert _still_running(started) == []


def test_an_early_ctrl_c_is_honoured(make_run: MakeRun) -> None:
    # Ctrl-C while the database is being migrated, long before anything answers.
    deadline = time.monotonic() + 120
    while not any("migrate" in " ".join(process.cmdline()) for process in make_run.descendants()):
        assert time.monotonic() < deadline, make_run.text
        assert make_run.process.poll() is None, make_run.text
        make_run.read(0.05)
    started = make_run.descendants()
    make_run.type(CTRL_C)
    status = make_run.wait(timeout=60)
    assert status == 0, make_run.text[-3000:]
    assert "Stopped." in make_run.text
    assert "Interrupt" not in make_run.text
    assert "Playground is running" not in make_run.text
    assert _still_running(started) == []
