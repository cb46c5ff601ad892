"""Warm execution environments: the processes that run functions' code, kept per function and
code revision and reused between invocations, as Lambda keeps an environment warm.

An invocation takes an idle environment of the function's current revision, or starts one (a cold
start: the code is unpacked into a private directory and the runtime imports the handler, which
the REPORT line shows as Init Duration). One environment serves one invocation at a time; at most
MAX_ENVIRONMENTS run per function in one server process (TooManyRequestsException beyond). An
environment idle for IDLE_SECONDS (wall time: it holds a real process) is ended, and so is one
whose invocation timed out, ran out of memory or exited.

The pool lives in each server process (Daphne's, or the Celery worker's for queued and mapped
invocations): environments are processes, which no database can hold. LIMITATION: two server
processes keep two pools, so a function may be cold in one while warm in the other.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import logging
import os
import select
import shutil
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.awslambda import sandboxing

LOG = logging.getLogger(__name__)

MAX_ENVIRONMENTS = 10
IDLE_SECONDS = 300.0


class Busy(Exception):
    """Every environment the function may have is busy."""


@dataclass
class Spec:
    """What an environment is started with; environments are reused while the spec is the same."""

    key: str  # function ARN and revision: a new revision's invocations never reach an old process
    handler: str
    memory_mb: int
    code: Callable[[], bytes]  # the package: read on a cold start only
    environment: Callable[[], dict[str, str]]  # called on a cold start only (it issues keys)
    endpoint: str
    limit: int = 10  # environments at once: MAX_ENVIRONMENTS, or the reserved concurrency below it


@dataclass
class Outcome:
    ok: bool
    result: bytes = b""
    error: dict[str, Any] | None = None
    log: str = ""
    duration_ms: float = 0.0
    init_ms: float | None = None
    max_memory_mb: int = 0
    cold: bool = False


@dataclass
class Environment:
    spec: Spec
    started: sandboxing.Started
    workdir: Path
    slot: int
    reader: io.BufferedReader
    busy: bool = False
    last_used: float = field(default_factory=time.monotonic)
    uses: int = 0

    def end(self) -> None:
        process = self.started.process
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, 9)
        try:
            process.kill()
            process.wait(timeout=5)
        except Exception:
            LOG.warning("environment %s did not end", process.pid)
        for stream in (process.stdin, self.reader):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass  # the runtime is gone: nothing left to flush
        if self.started.forwarder is not None:
            self.started.forwarder.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


_lock = threading.Lock()
_pools: dict[str, list[Environment]] = {}
_slots = iter(range(1, 1 << 30))


def _reap(now: float) -> list[Environment]:
    ended = []
    for key, pool in list(_pools.items()):
        for environment in list(pool):
            if not environment.busy and now - environment.last_used > IDLE_SECONDS:
                pool.remove(environment)
                ended.append(environment)
        if not pool:
            _pools.pop(key, None)
    return ended


def _unpack(code: bytes, target: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(code)) as archive:
        for member in archive.infolist():
            name = Path(member.filename)
            if name.is_absolute() or ".." in name.parts:
                continue  # a path leaving /var/task is not unpacked
            destination = target / name
            if member.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, destination.open("wb") as out:
                shutil.copyfileobj(source, out)
            destination.chmod(0o644)
    for directory in [target, *(p for p in target.rglob("*") if p.is_dir())]:
        directory.chmod(0o755)


def _start(spec: Spec, isolation: str) -> Environment:
    slot = next(_slots)
    workdir = Path(tempfile.mkdtemp(prefix="playground-lambda-"))
    code_dir = workdir / "task"
    code_dir.mkdir()
    _unpack(spec.code(), code_dir)
    try:
        started = sandboxing.start(
            slot=slot, workdir=workdir, code_dir=code_dir, handler=spec.handler, memory_mb=spec.memory_mb,
            environment=spec.environment(), endpoint=spec.endpoint, isolation=isolation,
        )  # fmt: skip
    except Exception:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    reader = os.fdopen(started.answers, "rb")
    return Environment(spec=spec, started=started, workdir=workdir, slot=slot, reader=reader)


def _acquire(spec: Spec, isolation: str) -> tuple[Environment, bool]:
    with _lock:
        ended = _reap(time.monotonic())
        pool = _pools.setdefault(spec.key, [])
        idle = next((environment for environment in pool if not environment.busy), None)
        if idle is not None:
            idle.busy = True
        elif len(pool) >= min(spec.limit, MAX_ENVIRONMENTS):
            raise Busy()
    for environment in ended:
        environment.end()
    if idle is not None:
        return idle, False
    environment = _start(spec, isolation)
    environment.busy = True
    with _lock:
        _pools.setdefault(spec.key, []).append(environment)
    return environment, True


def _discard(environment: Environment) -> None:
    with _lock:
        pool = _pools.get(environment.spec.key, [])
        if environment in pool:
            pool.remove(environment)
    environment.end()


def _read_answer(environment: Environment, timeout: float) -> dict[str, Any] | None:
    """The runtime's answer line, or None when it did not come in time (or the process ended)."""
    deadline = time.monotonic() + timeout
    buffer = b""
    fd = environment.reader.fileno()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return {"eof": True}
        buffer += chunk
        if buffer.endswith(b"\n"):
            return json.loads(buffer)


def invoke(*, spec: Spec, isolation: str, request: dict[str, Any], timeout: int) -> Outcome:
    """Run one invocation in a warm environment (or a new one): the handler's result or error, its
    log output, how long it took, and whether this was a cold start."""
    environment, cold = _acquire(spec, isolation)
    began = time.monotonic()
    request_id = request["request_id"]
    try:
        stdin = environment.started.process.stdin
        assert stdin is not None
        stdin.write((json.dumps({**request, "timeout": timeout}) + "\n").encode())
        stdin.flush()
        # A cold start's import counts against the timeout too, as on AWS (the init phase has 10 s).
        answer = _read_answer(environment, timeout + (10 if cold else 0))
    except (BrokenPipeError, OSError):
        answer = {"eof": True}
    elapsed = (time.monotonic() - began) * 1000
    if answer is None:
        _discard(environment)
        message = f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"
        return Outcome(
            ok=False, error={"errorType": "Sandbox.Timedout", "errorMessage": message}, duration_ms=timeout * 1000.0,
            log=f"{_timestamp()} {request_id} Task timed out after {timeout:.2f} seconds\n", cold=cold,
        )  # fmt: skip
    if answer.get("eof"):
        code = environment.started.process.poll()
        if code is None:
            try:
                code = environment.started.process.wait(timeout=2)
            except Exception:
                code = -9
        said = _runtime_errors(environment)
        _discard(environment)
        status = f"signal: {_signal_name(-code)}" if code < 0 else f"exit status {code}"
        kind = "Runtime.OutOfMemory" if code == -9 else "Runtime.ExitError"
        message = f"RequestId: {request_id} Error: Runtime exited with error: {status}"
        return Outcome(ok=False, error={"errorType": kind, "errorMessage": message}, duration_ms=elapsed,
                       log=f"{said}{message}\n", cold=cold)  # fmt: skip
    environment.busy = False
    environment.last_used = time.monotonic()
    environment.uses += 1
    if answer.get("fatal") or _init_failed(answer):
        _discard(environment)  # the runtime ends after an init error or running out of memory
    outcome = Outcome(
        ok=bool(answer.get("ok")),
        result=str(answer.get("result", "null")).encode() if answer.get("ok") else b"",
        error=answer.get("error"),
        log=answer.get("log", ""),
        duration_ms=float(answer.get("duration_ms", elapsed)),
        init_ms=answer.get("init_ms") if cold else None,
        max_memory_mb=int(answer.get("max_memory_mb", 0)),
        cold=cold,
    )
    return outcome


def _runtime_errors(environment: Environment) -> str:
    try:
        text = (environment.workdir / "runtime.err").read_bytes()[-2000:].decode("utf-8", "replace")
    except OSError:
        return ""
    return text if not text or text.endswith("\n") else text + "\n"


def _init_failed(answer: dict[str, Any]) -> bool:
    error = answer.get("error") or {}
    return str(error.get("errorType", "")).startswith("Runtime.") and error.get("errorType") != "Runtime.MarshalError"


def _signal_name(number: int) -> str:
    import signal

    try:
        return {9: "killed"}.get(number) or signal.Signals(number).name.lower().removeprefix("sig")
    except ValueError:
        return str(number)


def _timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z"


def forget(*, function_arn: str) -> None:
    """End every environment of a function (deleted, its code or configuration changed)."""
    with _lock:
        ended = []
        for key in [key for key in _pools if key.split("#")[0] == function_arn]:
            ended += [environment for environment in _pools.pop(key) if not environment.busy]
    for environment in ended:
        environment.end()


def forget_all() -> None:
    """End every environment of this process (at its exit: their private directories go too)."""
    with _lock:
        ended = [environment for pool in _pools.values() for environment in pool]
        _pools.clear()
    for environment in ended:
        environment.end()


atexit.register(forget_all)
