"""Running a fuzz campaign: send bench/fuzzing.py's requests from several threads over kept-alive
connections, check every answer, count what came back and keep the failing cases.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.fuzzing import Fuzzer, FuzzRequest, check, headers_dict, parser_for, refused_by_http_server

# --- running a campaign ---------------------------------------------------------------------------


@dataclass
class Failure:
    request: FuzzRequest
    reason: str
    status: int
    headers: dict[str, str]
    body: bytes

    def as_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "request": self.request.as_dict(),
            "response": {
                "status": self.status,
                "headers": self.headers,
                "body": self.body[:100_000].decode("utf-8", "replace"),
            },
        }


@dataclass
class Results:
    generated: int = 0  # requests made; a replayed one is sent twice
    sent: int = 0
    by_operation: Counter[str] = field(default_factory=Counter)
    by_mutation: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    error_codes: Counter[str] = field(default_factory=Counter)
    server_errors: int = 0
    unparseable: int = 0
    refused_by_http_server: int = 0  # see refused_by_http_server()
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    # "mutation service/protocol operation" -> seconds its requests took in all
    slow: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @property
    def requests_per_second(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


class _Connections(threading.local):
    def __init__(self) -> None:
        self.open: dict[str, http.client.HTTPConnection] = {}


def send(
    request: FuzzRequest, url: str, connections: dict[str, http.client.HTTPConnection]
) -> tuple[int, dict[str, str], bytes]:
    """Send the raw request over a kept-alive connection (made again if the server closed it)."""
    for attempt in (1, 2):
        connection = connections.get(url)
        if connection is None:
            parts = urlsplit(url)
            connection = connections[url] = http.client.HTTPConnection(
                parts.hostname or "127.0.0.1", parts.port, timeout=120
            )
        try:
            connection.request(request.method, request.path, body=request.body, headers=request.headers)
            response = connection.getresponse()
            body = response.read()
            if response.getheader("connection", "").lower() == "close":
                connection.close()
                connections.pop(url, None)
            return response.status, dict(response.getheaders()), body
        except (http.client.HTTPException, OSError):
            connection.close()
            connections.pop(url, None)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def campaign(
    fuzzer: Fuzzer,
    urls: dict[str, str],
    *,
    total: int,
    threads: int = 4,
    seconds: float | None = None,
    every: int = 1000,
    on_progress: Callable[[int], None] | None = None,
    keep_failures: int = 1000,
) -> Results:
    """Send requests 0..total-1 (or as many as `seconds` allow) from `threads` threads and check
    every answer; `on_progress` is called (from one thread at a time) after each `every` requests.
    Ctrl-C stops the threads; a request the fuzzer cannot make stops the run with its error."""
    results = Results()
    lock = threading.Lock()
    counter = iter(range(total))
    local = _Connections()
    stop = threading.Event()
    problems: list[Exception] = []
    deadline = None if seconds is None else time.monotonic() + seconds

    def work() -> None:
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            with lock:
                index = next(counter, None)
                if index is None:
                    return
                results.generated += 1
            try:
                request = fuzzer.request(index)
            except Exception as problem:  # a fuzzer bug: it must stop the run, not hide in a thread
                problems.append(RuntimeError(f"the fuzzer could not make request {index} (seed {fuzzer.seed})"))
                problems[-1].__cause__ = problem
                stop.set()
                return
            for _ in range(request.repeat):
                _exchange(request, urls[request.server], local.open, results, lock, keep_failures)
            if on_progress is not None and (index + 1) % every == 0:
                with lock:
                    on_progress(index + 1)

    started = time.monotonic()
    workers = [threading.Thread(target=work, name=f"fuzz-{n}", daemon=True) for n in range(threads)]
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            while worker.is_alive():
                worker.join(timeout=0.5)
    except KeyboardInterrupt:
        stop.set()
        raise
    results.seconds = time.monotonic() - started
    if problems:
        raise problems[0]
    return results


def _exchange(
    request: FuzzRequest,
    url: str,
    connections: dict[str, http.client.HTTPConnection],
    results: Results,
    lock: threading.Lock,
    keep_failures: int,
) -> None:
    """Send one request, check its answer and count it."""
    began = time.monotonic()
    try:
        status, headers, body = send(request, url, connections)
    except (http.client.HTTPException, OSError) as problem:
        status, headers, body = 599, {}, f"no answer: {type(problem).__name__}: {problem}".encode()
    reason = None if refused_by_http_server(request, status, body) else check(request, status, headers, body)
    _tally(results, lock, request, status, headers, body, reason, keep_failures)
    kind = f"{request.mutation} {request.label} {request.operation}"
    with lock:
        results.slow[kind] += time.monotonic() - began


def _tally(
    results: Results,
    lock: threading.Lock,
    request: FuzzRequest,
    status: int,
    headers: dict[str, str],
    body: bytes,
    reason: str | None,
    keep: int,
) -> None:
    code = ""
    if status >= 300:
        code = _error_code(request, status, headers, body)
    with lock:
        results.sent += 1
        results.by_operation[f"{request.label} {request.operation or '(none)'}"] += 1
        results.by_mutation[request.mutation] += 1
        results.statuses[status] += 1
        if code:
            results.error_codes[code] += 1
        if refused_by_http_server(request, status, body):
            results.refused_by_http_server += 1
        if reason is None:
            return
        if status >= 500:
            results.server_errors += 1
        else:
            results.unparseable += 1
        if len(results.failures) < keep:
            results.failures.append(Failure(request, reason, status, headers, body))


def _error_code(request: FuzzRequest, status: int, headers: dict[str, str], body: bytes) -> str:
    protocol = "query" if "xml" in headers_dict(headers).get("content-type", "") else "json"
    try:
        parsed = parser_for(protocol).parse(
            {"status_code": status, "headers": headers_dict(headers), "body": body}, None
        )
    except Exception:
        return "(unreadable)"
    return str(parsed.get("Error", {}).get("Code") or "(none)")


def write_failures(results: Results, folder: Path, *, seed: int) -> list[Path]:
    """One JSON file per failing case (the request as sent, the answer, the seed and index that
    make it again), for `python -m bench.bench_fuzz --replay FILE --url URL`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, failure in enumerate(results.failures):
        path = folder / f"failure-{number:04d}-{failure.request.mutation}.json"
        path.write_text(json.dumps({"seed": seed, **failure.as_dict()}, indent=2))
        written.append(path)
    return written
