"""Where Kinesis's PutRecords (500 x 1 KiB) and GetRecords (Limit 100) spend their time: cProfile
over what the gateway's thread does (ASGI scope -> AwsRequest -> handle -> response), in process,
on a fresh database of its own, with the real Redis for live events (bench/profile_gateway.py's
in-process mode, for these two calls).

    python -m bench.profile_kinesis [--call put|get] [--calls 200] [--database sqlite|postgres] [--top 30]

The summary gives the CPU time per call without cProfile (time.process_time): the figure to
compare before and after a change. Not a bench: it prints a profile to read.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import io
import itertools
import json
import os
import pstats
import time
import uuid
from pathlib import Path
from typing import Any

from bench.harness import BENCH_VAR, Harness, Options
from bench.profile_gateway import _trim

HOST = "127.0.0.1:8000"
SHARDS = 100
BATCH = 500
RECORD = base64.b64encode(os.urandom(1024)).decode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_kinesis", description=__doc__.split("\n\n")[0])
    parser.add_argument("--call", choices=("put", "get"), default="put")
    parser.add_argument("--calls", type=int, default=200, help="calls timed, and as many profiled (default 200)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--out", type=Path, default=BENCH_VAR / "kinesis.prof")
    args = parser.parse_args(argv)
    with Harness(Options(database=args.database)) as harness:
        stats, summary = _profile(harness, args)
    print(summary + "\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    stats.dump_stats(str(args.out))
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        stats.stream = text  # type: ignore[attr-defined]
        stats.strip_dirs().sort_stats(order).print_stats(args.top)
        print(f"--- top {args.top} by {order} ---")
        print(_trim(text.getvalue()))
    return 0


def _profile(harness: Harness, args: argparse.Namespace) -> tuple[pstats.Stats, str]:
    os.environ.update(harness.ours_env())
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", "--no-input", verbosity=0)
    from playground.gateway.asgi import _handle_in_thread as handle
    from playground.sandboxes.services import clock_advance, sandbox_create

    sandbox, key, secret = sandbox_create(name="profile-kinesis")
    send = _sender(key.access_key_id, secret)
    name = f"bench-{uuid.uuid4().hex[:8]}"
    _ok(handle(send("CreateStream", {"StreamName": name, "ShardCount": SHARDS})))
    clock_advance(sandbox=sandbox, seconds=11)
    shard_ids = [f"shardId-{number:012d}" for number in range(SHARDS)]
    iterators: dict[str, str] = {}
    turn = itertools.cycle(shard_ids)
    step = itertools.count()

    def put() -> Any:
        if next(step) % 2 == 0:
            clock_advance(sandbox=sandbox, seconds=1)  # each shard's write limit: a second per two calls
        records = [{"Data": RECORD, "PartitionKey": uuid.uuid4().hex} for _ in range(BATCH)]
        return send("PutRecords", {"StreamName": name, "Records": records})

    current = [shard_ids[0]]

    def get() -> Any:
        shard = current[0] = next(turn)
        if shard == shard_ids[0]:
            clock_advance(sandbox=sandbox, seconds=1)  # each shard's read limit: 5 calls a second
        if shard not in iterators:
            answer = _ok(handle(send("GetShardIterator", {"StreamName": name, "ShardId": shard,
                                                          "ShardIteratorType": "TRIM_HORIZON"})))  # fmt: skip
            iterators[shard] = answer["ShardIterator"]
        return send("GetRecords", {"ShardIterator": iterators[shard], "Limit": 100})

    for _ in range(40):  # records to read, and the warm-up
        _ok(handle(put()))
    next_request = put if args.call == "put" else get

    def call(request: Any) -> None:
        answer = _ok(handle(request))
        if args.call == "get":
            iterators[current[0]] = answer.get("NextShardIterator") or iterators[current[0]]

    cpu = 0.0
    for _ in range(args.calls):
        request = next_request()
        before = time.process_time()
        call(request)
        cpu += time.process_time() - before
    profiler = cProfile.Profile()
    for _ in range(args.calls):
        request = next_request()
        profiler.enable()
        call(request)
        profiler.disable()
    vendor = connection.vendor
    connections.close_all()
    summary = (
        f"in-process {args.call}: {cpu / args.calls * 1000:.2f} ms CPU per call over {args.calls} calls "
        f"(database {vendor})"
    )
    return pstats.Stats(profiler), summary


def _sender(access_key: str, secret: str) -> Any:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from playground.gateway.asgi import aws_request_from_scope

    credentials = Credentials(access_key, secret)

    def send(operation: str, params: dict[str, Any]) -> Any:
        body = json.dumps(params).encode()
        signed = AWSRequest(
            method="POST", url=f"http://{HOST}/", data=body,
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"Kinesis_20131202.{operation}",
                     "User-Agent": "bench-profile"},
        )  # fmt: skip
        SigV4Auth(credentials, "kinesis", "us-east-1").add_auth(signed)
        headers = [(b"host", HOST.encode())] + [
            (key.lower().encode("latin-1"), str(value).encode("latin-1")) for key, value in signed.headers.items()
        ]
        scope = {
            "type": "http", "method": "POST", "path": "/", "raw_path": b"/", "query_string": b"", "headers": headers,
            "scheme": "http", "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
        }  # fmt: skip
        return aws_request_from_scope(scope, body, oversized=False)

    return send


def _ok(response: Any) -> Any:
    status = getattr(response, "status", None)
    body = getattr(response, "body", b"")
    if status != 200:
        raise RuntimeError(f"{status}: {body[:300]!r}")
    return json.loads(body)


if __name__ == "__main__":
    raise SystemExit(main())
