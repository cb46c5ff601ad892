"""The floor of the batch calls' targets: how close to moto's calls/s the least durable server
could come, next to ours, in one run.

    python -m bench.floor [--seconds 5] [--rounds 3]

Each batch bench's raw request (Logs PutLogEvents of 1,000 events, Kinesis PutRecords and Firehose
PutRecordBatch of 500 x 1 KiB, Kinesis GetRecords of 100) is captured once from moto and replayed
(bench/raw.py) to three servers: moto, ours and the floor (bench/floor_asgi.py: Daphne, json.loads, the per-item checks
and one SQLite row per call, nothing else). The floor/moto ratio is the most a Daphne + SQLite
server can show against the targets of issues 16, 19 and 20 (2x, 3x, 3x) on this machine; ours/floor
is how much of what ours costs the floor does not.

Then SQS SendMessage of a 100-byte body, issue 22's per-call target (2.5x), as bench/bench_sqs.py
measures it: one boto3 client, each of moto's and ours' slices sending into a fresh queue (moto
slows down as its queue grows). The floor stores one message row and answers the body's MD5.

A diagnostic, not a bench: `make bench` does not run it, and it prints rather than records.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench import bench_firehose, bench_kinesis, bench_logs, bench_sqs
from bench.harness import Harness, Options, Server
from bench.raw import Captured, Replayer, capture
from bench.timing import Call, compare, warm_up

TARGETS = {"PutLogEvents": 2.0, "PutRecords": 3.0, "GetRecords": 3.0, "PutRecordBatch": 3.0, "SendMessage": 2.5}


def _captured(moto: Server) -> dict[str, tuple[Any, list[Captured]]]:
    """Each operation's request as botocore sends it, with the client that parses its answers."""
    logs = moto.client("logs")
    logs.create_log_group(logGroupName="/floor")
    logs.create_log_stream(logGroupName="/floor", logStreamName="s")
    stamp = int(time.time() * 1000)
    events = [{"timestamp": stamp, "message": text} for text in bench_logs._messages(bench_logs.BATCH, seed=1)]
    kinesis = moto.client("kinesis")
    kinesis.create_stream(StreamName="floor", ShardCount=bench_kinesis.SHARDS)
    kinesis.get_waiter("stream_exists").wait(StreamName="floor", WaiterConfig={"Delay": 1})
    firehose = moto.client("firehose")
    moto.client("s3").create_bucket(Bucket="floor")
    firehose.create_delivery_stream(
        DeliveryStreamName="floor",
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/floor", "BucketARN": "arn:aws:s3:::floor",
        },
    )  # fmt: skip
    records = [
        [{"Data": bench_kinesis.RECORD, "PartitionKey": key} for key in bench_kinesis._balanced_keys(seed)]
        for seed in range(4)
    ]
    for batch in records:
        kinesis.put_records(StreamName="floor", Records=batch)
    shards = [shard["ShardId"] for shard in kinesis.list_shards(StreamName="floor")["Shards"]]
    iterators = [
        kinesis.get_shard_iterator(StreamName="floor", ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        for shard in shards
    ]
    reads = [{"ShardIterator": iterator, "Limit": bench_kinesis.READ_LIMIT} for iterator in iterators]
    return {
        "PutLogEvents": (
            logs,
            capture(logs, "put_log_events", [{"logGroupName": "/floor", "logStreamName": "s", "logEvents": events}]),
        ),
        "PutRecords": (
            kinesis,
            capture(kinesis, "put_records", [{"StreamName": "floor", "Records": batch} for batch in records]),
        ),
        "GetRecords": (kinesis, capture(kinesis, "get_records", reads)),
        "PutRecordBatch": (
            firehose,
            capture(
                firehose,
                "put_record_batch",
                [{"DeliveryStreamName": "floor", "Records": [{"Data": bench_firehose.RECORD}] * bench_firehose.BATCH}],
            ),
        ),
    }


def _ours_requests(ours: Server) -> dict[str, list[Captured]]:
    """The same calls captured against ours (its own stream and group names: ours refuses a put to
    a stream it does not hold)."""
    kinesis = bench_kinesis._raw_calls(ours, Options())
    calls = {
        "PutLogEvents": bench_logs._raw_put(ours, Options()),
        "PutRecords": kinesis["raw_put_records"],
        "GetRecords": kinesis["raw_get_records"],
        "PutRecordBatch": bench_firehose._raw_call(ours, Options()),
    }
    replayers = {operation: call for operation, call in calls.items() if isinstance(call, Replayer)}
    assert len(replayers) == len(calls), "each bench's raw call is a Replayer"
    return {operation: call.captured for operation, call in replayers.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured time per server and operation")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved slices of it")
    args = parser.parse_args(argv)
    with Harness(Options(seconds=args.seconds, rounds=args.rounds)) as harness:
        moto, ours = harness.moto(), harness.ours()
        floor = harness.floor()
        from_moto = _captured(moto)
        from_ours = _ours_requests(ours)
        print(f"raw calls replayed, {args.seconds:g} s per server in {args.rounds} rounds; server CPU per call\n")
        print(f"{'operation':16} {'moto':>18} {'ours':>18} {'floor':>18}   ours/moto  floor/moto  target")
        pids = {"moto": moto.pid, "ours": ours.pid, "floor": floor.pid}
        for operation, (client, requests) in from_moto.items():
            callers: dict[str, Call] = {
                "moto": Replayer(moto.url, client, requests),
                "ours": Replayer(ours.url, client, from_ours[operation]),
                "floor": Replayer(floor.url, client, requests),
            }
            _row(operation, callers, args, pids)
        print("\nboto3, one client (moto's and ours' slices each into a fresh queue)\n")
        targets = {name: {"url": ""} for name in ("moto", "ours")}
        fresh = {
            name: bench_sqs._fresh_queues(server, "send", targets[name])
            for name, server in (("moto", moto), ("ours", ours))
        }
        for make in fresh.values():
            make()
        sends: dict[str, Call] = {
            "moto": bench_sqs._operation(moto.client("sqs"), "", "send", target=targets["moto"]),
            "ours": bench_sqs._operation(ours.client("sqs"), "", "send", target=targets["ours"]),
            "floor": bench_sqs._operation(floor.client("sqs"), f"{floor.url}/123456789012/floor", "send"),
        }
        _row("SendMessage", sends, args, pids, before_slice=fresh)
    return 0


def _row(
    operation: str, callers: dict[str, Call], args: argparse.Namespace, pids: dict[str, int], **extra: Any
) -> None:
    for call in callers.values():
        warm_up(call)
    rates = compare(callers, seconds=args.seconds, rounds=args.rounds, pids=pids, **extra)
    per_second = {name: rate.calls_per_second for name, rate in rates.items()}
    cells = " ".join(
        f"{rate.calls_per_second:7.1f}/s {(rate.server_cpu_per_call or 0.0) * 1000:6.2f} ms" for rate in rates.values()
    )
    print(
        f"{operation:16} {cells}   {per_second['ours'] / per_second['moto']:9.2f}  "
        f"{per_second['floor'] / per_second['moto']:10.2f}  {TARGETS[operation]:6g}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
