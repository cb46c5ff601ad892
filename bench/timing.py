"""Timing and memory helpers every bench uses.

Every loop here is bounded twice, by a number of calls and by a duration, and stops by itself.
Latencies are wall-clock seconds measured around each call from the client's side, so they include
the client's own work (for boto3: building, signing and parsing the request).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Call = Callable[[], Any]

# Upper bounds that keep a runaway loop finite even when a call returns instantly.
MAX_CALLS_PER_SECOND = 50_000
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WARM_UP_CALLS = 100
WARM_UP_SECONDS = 2.0


@dataclass
class Rate:
    """Calls made back to back from one client, and how long each took."""

    calls: int = 0
    errors: int = 0
    elapsed: float = 0.0  # seconds spent in the loop(s)
    latencies: list[float] = field(default_factory=list, repr=False)  # seconds, one per successful call
    first_error: str = ""
    client_cpu: float = 0.0  # CPU seconds this process (the client) spent in the loop(s)
    server_cpu: float | None = None  # CPU seconds the server process (and children) spent meanwhile

    @property
    def calls_per_second(self) -> float:
        return self.calls / self.elapsed if self.elapsed > 0 else 0.0

    def percentile(self, q: float) -> float | None:
        return percentile(sorted(self.latencies), q)

    @property
    def server_cpu_per_call(self) -> float | None:
        """Server CPU seconds per successful call: unlike calls/s, barely moved by other load on the machine."""
        if self.server_cpu is None or not self.calls:
            return None
        return self.server_cpu / self.calls

    @property
    def client_cpu_per_call(self) -> float | None:
        return self.client_cpu / self.calls if self.calls else None

    def merge(self, other: Rate) -> None:
        self.calls += other.calls
        self.client_cpu += other.client_cpu
        self.errors += other.errors
        self.elapsed += other.elapsed
        self.latencies.extend(other.latencies)
        self.first_error = self.first_error or other.first_error
        if other.server_cpu is not None:
            self.server_cpu = (self.server_cpu or 0.0) + other.server_cpu

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        return {
            "calls": self.calls,
            "errors": self.errors,
            "elapsed_s": round(self.elapsed, 4),
            "calls_per_s": round(self.calls_per_second, 2),
            "p50_ms": _ms(percentile(ordered, 50)),
            "p90_ms": _ms(percentile(ordered, 90)),
            "p99_ms": _ms(percentile(ordered, 99)),
            "max_ms": _ms(ordered[-1] if ordered else None),
            "client_cpu_ms_per_call": _ms(self.client_cpu_per_call),
            "server_cpu_s": None if self.server_cpu is None else round(self.server_cpu, 4),
            "server_cpu_ms_per_call": _ms(self.server_cpu_per_call),
            "first_error": self.first_error,
        }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def percentile(ordered: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not ordered:
        return None
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def measure(call: Call, *, seconds: float, max_calls: int | None = None, max_errors: int = 5) -> Rate:
    """Call back to back until `seconds` pass or `max_calls` calls are made, whichever comes first.

    A failing call is counted, not timed; after `max_errors` failures the loop stops early, since
    the rate of a target that answers with errors means nothing.
    """
    limit = max_calls if max_calls is not None else max(1, int(seconds * MAX_CALLS_PER_SECOND))
    rate = Rate()
    clock = time.perf_counter
    cpu_started = time.process_time()
    started = clock()
    deadline = started + seconds
    latencies = rate.latencies
    for _ in range(limit):
        before = clock()
        if before >= deadline:
            break
        try:
            call()
        except Exception as exc:  # any failure of the target is a measurement result, not a crash
            rate.errors += 1
            rate.first_error = rate.first_error or f"{type(exc).__name__}: {exc}"[:500]
            if rate.errors >= max_errors:
                break
            continue
        latencies.append(clock() - before)
    rate.elapsed = clock() - started
    rate.client_cpu = time.process_time() - cpu_started
    rate.calls = len(latencies)
    return rate


def warm_up(call: Call, *, calls: int = WARM_UP_CALLS, seconds: float = WARM_UP_SECONDS) -> str | None:
    """Make up to `calls` calls within `seconds` (connections, caches, lazy imports on both sides).

    Returns None when every call succeeded, else the first error: a target that fails here is left
    out of the measurement and reported as such.
    """
    deadline = time.perf_counter() + seconds
    for _ in range(calls):
        if time.perf_counter() >= deadline:
            break
        try:
            call()
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"[:500]
    return None


def compare(
    calls: dict[str, Call],
    *,
    seconds: float,
    rounds: int = 3,
    pids: dict[str, int] | None = None,
    before_slice: dict[str, Callable[[], None]] | None = None,
) -> dict[str, Rate]:
    """Measure several targets for `seconds` each, interleaved in `rounds` slices.

    Interleaving (a, b, c, then b, c, a, ...) spreads any drift of the machine (another process
    waking up, CPU frequency) over every target instead of charging it to whichever ran last.
    With `pids` (target -> server process), each target's server CPU time is measured over its own
    slices. `before_slice` (target -> function): run before each of that target's slices, outside
    the time and CPU measured (to start every slice from the same state, a fresh queue say).
    """
    names = list(calls)
    rates = {name: Rate() for name in names}
    if not names:
        return rates
    rounds = max(1, rounds)
    slice_seconds = seconds / rounds
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            if before_slice and name in before_slice:
                before_slice[name]()
            pid = (pids or {}).get(name)
            cpu_before = cpu_seconds(pid) if pid else None
            result = measure(calls[name], seconds=slice_seconds)
            cpu_after = cpu_seconds(pid) if pid else None
            if cpu_before is not None and cpu_after is not None:
                result.server_cpu = cpu_after - cpu_before
            rates[name].merge(result)
            if result.errors:
                # Leave a failing target out of the remaining rounds.
                calls = {key: value for key, value in calls.items() if key != name}
                names = [key for key in names if key != name]
    return rates


def peak_rss(pid: int, *, children: bool = True) -> int | None:
    """Peak resident set size in bytes (VmHWM from /proc), summed over the process's descendants
    when `children` is true (an upper bound for a forking server: their peaks need not coincide).

    Read it before the process exits; None when /proc has no such process.
    """
    total = 0
    found = False
    for member in [pid, *(_descendants(pid) if children else [])]:
        value = _status_kib(member, "VmHWM")
        if value is not None:
            total += value * 1024
            found = True
    return total if found else None


def cpu_seconds(pid: int, *, children: bool = True) -> float | None:
    """User + system CPU seconds of a process (and its live descendants) so far, from /proc."""
    total = 0.0
    found = False
    for member in [pid, *(_descendants(pid) if children else [])]:
        try:
            stat = Path(f"/proc/{member}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        # utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
        total += (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
        found = True
    return total if found else None


def current_rss(pid: int) -> int | None:
    value = _status_kib(pid, "VmRSS")
    return None if value is None else value * 1024


def _status_kib(pid: int, key: str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


def _descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in _proc_pids():
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may hold spaces and parentheses: the fields after it start
        # after the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(entry)
    found: list[int] = []
    stack = [pid]
    while stack and len(found) < 10_000:
        for child in parents.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _proc_pids() -> Iterable[int]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            yield int(entry.name)
