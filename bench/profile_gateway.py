"""Where a gateway call spends its time: cProfile over `sts get-caller-identity` calls.

    python -m bench.profile_gateway [--server] [--calls 2000] [--seconds 30] [--database sqlite|postgres]
                                    [--auth open|strict] [--top 25] [--out var/bench/gateway.prof]

In-process (default): one request signed once by botocore is handed to what the gateway's thread
does (ASGI scope -> AwsRequest -> handle -> response) in this process, on a fresh database of its
own, with the real Redis for live events. Daphne and the thread hop are not in the picture.

--server: our Daphne runs bench/profiled_asgi.py (cProfile on every thread of the server) and one
boto3 client calls it; the profile is what the server did, all threads merged, as the bench sees it.

This is not a bench (it is not named bench_*): it prints a profile to read, not figures to compare.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

from bench.harness import BENCH_VAR, Harness, Options
from bench.timing import measure, warm_up

BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
HOST = "127.0.0.1:8000"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_gateway", description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", action="store_true", help="profile a live Daphne of ours (all threads)")
    parser.add_argument("--calls", type=int, default=2000, help="profiled calls (default 2000)")
    parser.add_argument("--seconds", type=float, default=30.0, help="stop profiling after this long (default 30)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--auth", choices=("open", "strict"), default="open")
    parser.add_argument("--top", type=int, default=25, help="rows per listing (default 25)")
    parser.add_argument("--out", type=Path, default=BENCH_VAR / "gateway.prof", help="pstats dump (snakeviz, pstats)")
    args = parser.parse_args(argv)

    with Harness(Options(database=args.database, auth=args.auth)) as harness:
        if args.server:
            stats, summary = _profile_server(harness, args)
        else:
            stats, summary = _profile_in_process(harness, args)
    print(summary + "\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    stats.dump_stats(str(args.out))
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        stats.stream = text  # type: ignore[attr-defined]
        stats.strip_dirs().sort_stats(order).print_stats(args.top)
        print(f"--- top {args.top} by {order} ---")
        print(_trim(text.getvalue()))
    print(f"full profile: {args.out}")
    return 0


def _profile_in_process(harness: Harness, args: argparse.Namespace) -> tuple[pstats.Stats, str]:
    os.environ.update(harness.ours_env())
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", "--no-input", verbosity=0)
    request_for = _request_factory()
    from playground.gateway.asgi import _handle_in_thread as call

    for _ in range(100):  # warm up: models, caches, connections
        _check(call(request_for()))

    profiler = cProfile.Profile()
    deadline = time.perf_counter() + args.seconds
    made = 0
    started = time.perf_counter()
    profiler.enable()
    for _ in range(args.calls):
        if time.perf_counter() >= deadline:
            break
        call(request_for())
        made += 1
    profiler.disable()
    elapsed = time.perf_counter() - started
    vendor = connection.vendor
    connections.close_all()
    summary = (
        f"in-process: {made} calls in {elapsed:.2f} s under cProfile, {elapsed / max(made, 1) * 1000:.2f} ms per call "
        f"(database {vendor}, auth {args.auth})"
    )
    return pstats.Stats(profiler), summary


def _profile_server(harness: Harness, args: argparse.Namespace) -> tuple[pstats.Stats, str]:
    out = harness.run_dir / "server.prof"
    server = harness.start_ours(
        "ours-profiled", app="bench.profiled_asgi:application", extra_env={"BENCH_PROFILE_OUT": str(out)}
    )
    call = server.client("sts").get_caller_identity
    error = warm_up(call)
    if error:
        sys.exit(f"the profiled server did not answer: {error}")
    rate = measure(call, seconds=args.seconds, max_calls=args.calls)
    harness.stop(server)  # Daphne exits cleanly on SIGTERM and writes the profile
    if not out.exists():
        sys.exit(f"the profiled server wrote no profile; see {server.log_path}")
    summary = (
        f"server: {rate.calls} calls ({rate.errors} errors) in {rate.elapsed:.2f} s from one boto3 client, "
        f"{rate.calls_per_second:.1f} calls/s under cProfile (database {args.database}, auth {args.auth}); "
        "the profile also holds start-up and warm-up"
    )
    return pstats.Stats(str(out)), summary


def _request_factory() -> Any:
    """A function making a fresh AwsRequest carrying one botocore-signed STS call, as the gateway's
    ASGI front door builds it from Daphne's scope."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from playground.gateway.asgi import aws_request_from_scope
    from playground.sandboxes.services import sandbox_create

    _, key, secret = sandbox_create(name="profile")
    signed = AWSRequest(
        method="POST",
        url=f"http://{HOST}/",
        data=BODY,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "User-Agent": "bench-profile"},
    )
    SigV4Auth(Credentials(key.access_key_id, secret), "sts", "us-east-1").add_auth(signed)
    headers = [(b"host", HOST.encode())] + [
        (name.lower().encode("latin-1"), str(value).encode("latin-1")) for name, value in signed.headers.items()
    ]
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": headers,
        "scheme": "http",
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }

    def make() -> Any:
        return aws_request_from_scope(scope, BODY, oversized=False)

    return make


def _check(response: Any) -> None:
    if response.status != 200 or b"GetCallerIdentityResult" not in response.body:
        sys.exit(f"the gateway did not answer the call: {response.status} {response.body[:500]!r}")


def _trim(text: str) -> str:
    """pstats output without its preamble lines."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    return "\n".join(lines[start:])


if __name__ == "__main__":
    raise SystemExit(main())
