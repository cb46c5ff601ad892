"""Our ASGI application with tracemalloc on, for `python -m bench.trace_memory`.

Every allocation made after the application is imported is traced (BENCH_TRACE_FRAMES frames
each, default 12): growth while serving is what this is for, and tracing the imports would make the
start too slow for the harness. On SIGUSR1
the server writes a snapshot to $BENCH_TRACE_DIR/snapshot-<n>.pickle (n = 0, 1, ...), then an empty
snapshot-<n>.done beside it, so the bench knows when the file is whole. Diagnostics only: tracing
slows every allocation and costs memory of its own (excluded from the snapshots).
"""

from __future__ import annotations

import itertools
import os
import signal
import tracemalloc
from pathlib import Path
from types import FrameType

from playground.asgi import application

tracemalloc.start(int(os.environ.get("BENCH_TRACE_FRAMES") or 12))

_numbers = itertools.count()


def _snapshot(signum: int, frame: FrameType | None) -> None:
    directory = Path(os.environ["BENCH_TRACE_DIR"])
    number = next(_numbers)
    snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
    snapshot.dump(str(directory / f"snapshot-{number}.pickle"))
    (directory / f"snapshot-{number}.done").touch()


signal.signal(signal.SIGUSR1, _snapshot)

__all__ = ["application"]
