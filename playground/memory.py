"""How many malloc arenas a server process may have.

glibc gives each thread that contends for the heap an arena of its own, up to 8 per core. A Daphne
process serves AWS calls on a pool of threads (PLAYGROUND_GATEWAY_THREADS, 32), so it ends up
with 16 arenas on a 2-core machine, and memory freed in one arena is never reused by another
thread's allocations: the resident size kept climbing although Python's own objects did not.
Measured with the fuzz bench (10,163 hostile requests, 6 client threads, SQLite, a loaded
machine, 75-81 requests/s in every run): with glibc's default the open server grew 109 MiB after
warm-up and peaked at 685 MiB; with two arenas (this cap, or MALLOC_ARENA_MAX=2, four runs) it
moved between -33 and +37 MiB and peaked at 280-429 MiB. bench/trace_memory.py showed the traced
Python heap flat (43 MiB) over such a run while the RSS climbed.

MALLOC_ARENA_MAX in the environment, when set, is glibc's own answer and is left alone. On a C
library without mallopt (musl, macOS) nothing is done.
"""

from __future__ import annotations

import ctypes
import os

M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h
ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap this process's malloc arenas (call it before the server starts its threads); True when
    the cap was set here."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))
