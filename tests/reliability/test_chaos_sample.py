"""A short seeded sample of the chaos bench (bench/bench_chaos.py): one kill -9 of a Daphne of the
test's own, under a producer and consumers, then nothing the server acknowledged is lost or comes
back after its delete. The long run with many kills, Celery included, is the bench's."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from bench.chaos import Endpoint, Workload, check
from tests.conftest import LOG_DIR, ROOT, SandboxInfo, Server, daphne_command, listening_socket
from tests.waiting import wait_until

pytestmark = pytest.mark.live

SEED = 8
START_TIMEOUT = 60.0  # a loaded machine may take this long to import Django


class Restartable:
    """A Daphne of this test's own, which it can kill -9 and start again on the same port.

    The test holds the listening socket across the server's lives, as a supervisor with socket
    activation does, and each life adopts it: no other process (another worker's server, any
    outgoing connection) can take the port while the server is down. Connections made meanwhile
    wait in the socket's backlog for the next life; those the killed server held are cut off.
    """

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.socket = listening_socket()
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.lives = 0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.lives += 1
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        with Path(LOG_DIR / f"daphne-chaos-{self.lives}.log").open("wb") as log:
            self.process = subprocess.Popen(
                daphne_command(self.socket),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=[self.socket.fileno()],
            )
        wait_until(self._answers, timeout=START_TIMEOUT, interval=0.1)

    def _answers(self) -> bool:
        assert self.process is not None
        assert self.process.poll() is None, "the chaos Daphne exited at start"
        try:
            return requests.get(f"{self.url}/healthz", timeout=5).ok
        except (requests.ConnectionError, requests.Timeout):
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no shutdown, whatever was in flight is cut off
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.socket.close()


@pytest.fixture
def chaos_server(daphne: Server) -> Iterator[Restartable]:
    server = Restartable(daphne.env)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def test_nothing_acknowledged_is_lost_when_the_server_is_killed(
    chaos_server: Restartable, sandbox: SandboxInfo, advance: Callable[[float], None]
) -> None:
    endpoint = Endpoint(chaos_server.url, sandbox.access_key_id, sandbox.secret_access_key, sandbox.region)
    workload = Workload(endpoint, seed=SEED, consumers=2, visibility=2, wait=1)
    workload.create_queues()
    workload.start()
    try:
        wait_until(lambda: _acknowledged(workload) >= 30, timeout=30)
        chaos_server.kill()
        wait_until(lambda: sum(workload.records.errors.values()) > 0, timeout=30)  # the clients noticed
        before = _acknowledged(workload)
        chaos_server.start()
        wait_until(lambda: _acknowledged(workload) >= before + 30, timeout=30)
        workload.stop_producing()
        drained = workload.drain(advance=advance, patience=15)
    finally:
        workload.stop()
    findings = check(workload.records)
    assert findings.violations == 0, findings.summary()
    assert drained, findings.summary()
    assert findings.distinct_received >= findings.sent_ok >= 60


def _acknowledged(workload: Workload) -> int:
    return sum(1 for sent in workload.records.sent if sent.outcome == "ok")
