"""Where a server's memory goes as it serves: the fuzz campaign (bench/fuzzing.py) against our
Daphne running bench/traced_asgi.py, a tracemalloc snapshot after the warm-up and another after
the rest, and what grew between them, by the line that allocated it.

    python -m bench.trace_memory [--warm-up 10000] [--requests 50000] [--database sqlite|postgres]
                                 [--top 25] [--group-by lineno|traceback]

This is not a bench (it is not named bench_*): it prints allocations to read, not figures to
compare. The RSS figures beside them come from /proc; tracemalloc's own bookkeeping is excluded
from the snapshots but not from RSS.
"""

from __future__ import annotations

import argparse
import os
import signal
import time
import tracemalloc
from pathlib import Path

from bench.bench_fuzz import _emulated, known_resources
from bench.fuzz_campaign import campaign
from bench.fuzzing import Fuzzer, Keys
from bench.harness import Harness, Options, Server
from bench.timing import current_rss

MIB = 1024 * 1024


def _snapshot(server: Server, directory: Path, number: int) -> tracemalloc.Snapshot:
    os.kill(server.pid, signal.SIGUSR1)
    done = directory / f"snapshot-{number}.done"
    deadline = time.monotonic() + 300
    while not done.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"the traced server wrote no snapshot {number} in 300 s")
        time.sleep(0.2)
    return tracemalloc.Snapshot.load(str(directory / f"snapshot-{number}.pickle"))


def _rss_mib(server: Server) -> float:
    return (current_rss(server.pid) or 0) / MIB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.trace_memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm-up", type=int, default=10_000, help="requests before the first snapshot")
    parser.add_argument("--requests", type=int, default=50_000, help="requests between the two snapshots")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--group-by", choices=("lineno", "traceback"), default="lineno")
    args = parser.parse_args(argv)
    with Harness(Options(database=args.database)) as harness:
        directory = harness.run_dir / "trace"
        directory.mkdir(parents=True, exist_ok=True)
        server = harness.start_ours(
            "ours-traced", app="bench.traced_asgi:application", extra_env={"BENCH_TRACE_DIR": str(directory)}
        )
        keys = server.keys
        fuzzer = Fuzzer(
            seed=args.seed,
            operations=_emulated(harness),
            keys=Keys(keys.access_key_id, keys.secret_access_key, keys.region),
            hosts={"open": server.url.split("://", 1)[1]},
            known=known_resources(server),
        )
        urls = {"open": server.url}
        campaign(fuzzer, urls, total=args.warm_up, threads=args.threads)
        rss_before = _rss_mib(server)
        before = _snapshot(server, directory, 0)
        fuzzer.seed = args.seed + 1
        results = campaign(fuzzer, urls, total=args.requests, threads=args.threads)
        rss_after = _rss_mib(server)
        after = _snapshot(server, directory, 1)
    traced_before = sum(stat.size for stat in before.statistics("filename")) / MIB
    traced_after = sum(stat.size for stat in after.statistics("filename")) / MIB
    print(
        f"{results.sent} requests after a warm-up of {args.warm_up}: RSS {rss_before:.1f} -> {rss_after:.1f} MiB, "
        f"traced Python memory {traced_before:.1f} -> {traced_after:.1f} MiB"
    )
    print(f"--- top {args.top} growth by {args.group_by} ---")
    for stat in after.compare_to(before, args.group_by)[: args.top]:
        print(f"{stat.size_diff / 1024:+10.1f} KiB {stat.count_diff:+8d} blocks  now {stat.size / 1024:.1f} KiB")
        for line in stat.traceback.format(limit=12 if args.group_by == "traceback" else 1):
            print(f"      {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
