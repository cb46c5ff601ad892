"""Our ASGI application with cProfile running on every thread of the server process, for
`python -m bench.profile_gateway --server`.

Daphne's reactor and Django's async handler run on the main thread, the gateway's work on its
executor threads and asgiref's thread hops on theirs: a profile of one thread alone would miss
most of a call. Each thread gets a profiler of its own when it starts (threading.setprofile); all
of them are merged and written to $BENCH_PROFILE_OUT when the process exits (Daphne exits cleanly
on SIGTERM). Diagnostics only: cProfile slows pure-Python code roughly twofold.

BENCH_PROFILE_CLOCK=cpu times each thread by its own CPU time (time.thread_time) instead of the
wall clock, so that waiting (for SQLite's write lock, a disk flush, a child process) does not
count: the profile then shows what the bench's server CPU figure counts. It slows the profile more.
"""

from __future__ import annotations

import atexit
import cProfile
import os
import pstats
import threading
import time
from types import FrameType
from typing import Any

_profiles: list[cProfile.Profile] = []
_CLOCK: dict[str, Any] = {"cpu": {"timer": time.thread_time}}.get(os.environ.get("BENCH_PROFILE_CLOCK", ""), {})
_lock = threading.Lock()


def _profile_this_thread(frame: FrameType, event: str, arg: Any) -> None:
    """The first profile event of a new thread: replace this hook by a profiler of its own."""
    profiler = cProfile.Profile(**_CLOCK)
    with _lock:
        _profiles.append(profiler)
    profiler.enable()


def _write() -> None:
    out = os.environ.get("BENCH_PROFILE_OUT")
    with _lock:
        profiles = list(_profiles)
    if not out or not profiles:
        return
    stats = pstats.Stats(profiles[0])
    for profiler in profiles[1:]:
        try:
            stats.add(profiler)
        except TypeError:  # a thread that never recorded a call has no stats to add
            continue
    stats.dump_stats(out)


_main = cProfile.Profile(**_CLOCK)
_profiles.append(_main)
threading.setprofile(_profile_this_thread)
atexit.register(_write)
_main.enable()

from playground.asgi import application  # noqa: E402

__all__ = ["application"]
