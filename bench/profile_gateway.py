"""Where a gateway call spends its time: cProfile over `sts get-caller-identity` calls (or S3's).

    python -m bench.profile_gateway [--server [--cpu-clock]] [--calls 2000] [--seconds 30] [--database sqlite|postgres]
                                    [--auth open|strict] [--top 25] [--out var/bench/gateway.prof]
                                    [--call sts|s3-put-1k|s3-get-1k|s3-put-8m|s3-get-8m|logs-put-1000|
                                            kinesis-put-500|kinesis-get-100|firehose-put-500|cloudwatch-put-20|
                                            sqs-send|sns-publish-1|lambda-invoke|sns-publish-10]

--call s3-*: in-process only, PutObject / GetObject (path style, boto3's default CRC32 header and
signed payload SHA-256) of a 1 KB (1,000-byte) or 8 MB (8,000,000-byte) body. An 8 MB put's body
reaches the gateway as Daphne hands it over, spooled to a file in SPOOL_DIR (written before each
call, outside the profile); a get's response body is a file Daphne would send without Python (closed here).
The summary also gives the CPU time per call without cProfile (time.process_time, this process).

--call logs-put-1000 / kinesis-put-500 / firehose-put-500: in-process only, the AWS JSON calls that
carry long lists, as the service benches send them: PutLogEvents of 1,000 events of about 120 B
of JSON into one stream; PutRecords of 500 x 1 KiB records with random partition keys over a
100-shard stream (the sandbox clock moved a second every two calls, outside the profile, to stay
within the shards' write limits); PutRecordBatch of 500 x 1 KiB records into a DirectPut delivery
stream with the default buffering hints (about every tenth call also writes a 5 MiB S3 object).

--call kinesis-get-100: in-process only, the kinesis bench's raw GetRecords: Limit 100 from each
shard's TRIM_HORIZON of a 100-shard stream holding 100 records of 1 KiB per shard, the shards read
in turn with the same iterators (the sandbox clock moved a second every 400 calls, outside the
profile, so no shard passes its 5 reads a second).

--call cloudwatch-put-20: the cloudwatch bench's call, PutMetricData of 20 metric data of one value
each (bench_cloudwatch.put_data), in the protocol boto3 resolves for CloudWatch (botocore 1.44: AWS
JSON 1.0 with x-amzn-query-mode, its preferred of the model's CBOR, JSON and query), serialized
and signed by botocore itself. In process or --server.

--call sqs-send / sns-publish-1: in-process only, the sqs bench's SendMessage of a 100-byte body
to a queue, and the sns bench's Publish of a 100-byte message to a topic with one SQS subscriber
(raw delivery); the queue, topic, policy and subscription are made first through the gateway.

--call lambda-invoke: --server only, the lambda bench's warm Invoke (RequestResponse of a handler
returning its event, the same payload): the profile is the server process's; the CPU its warm
execution environment (bubblewrap and the runtime, children of the server, which the bench counts
too) spent is measured from /proc and printed in the summary, per call.

--call sns-publish-10: --server only, the sns bench's Publish of a 100-byte message to a topic with
ten SQS subscribers (raw delivery): ten deliveries in the call's transaction.

In-process (default): one request signed once by botocore is handed to what the gateway's thread
does (ASGI scope -> AwsRequest -> handle -> response) in this process, on a fresh database of its
own, with the real Redis for live events. Daphne and the thread hop are not in the picture.

--server: our Daphne runs bench/profiled_asgi.py (cProfile on every thread of the server) and one
boto3 client calls it; the profile is what the server did, all threads merged, as the bench sees it.
Calls sts (the default), cloudwatch-put-20 or logs-put-1000 (the logs bench's raw PutLogEvents:
the request captured once and replayed, bench/raw.py, so the client costs little).

This is not a bench (it is not named bench_*): it prints a profile to read, not figures to compare.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import io
import os
import pstats
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

from bench.harness import BENCH_VAR, Harness, Options
from bench.timing import cpu_seconds, measure, warm_up

BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
HOST = "127.0.0.1:8000"


def _scope(signed: Any, method: str, path: str) -> dict[str, Any]:
    """The ASGI scope Daphne would hand the gateway for a signed botocore request."""
    headers = [(b"host", HOST.encode())] + [
        (name.lower().encode("latin-1"), str(value).encode("latin-1")) for name, value in signed.headers.items()
    ]
    return {
        "type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
        "headers": headers, "scheme": "http", "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_gateway", description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", action="store_true", help="profile a live Daphne of ours (all threads)")
    parser.add_argument("--calls", type=int, default=2000, help="profiled calls (default 2000)")
    parser.add_argument("--seconds", type=float, default=30.0, help="stop profiling after this long (default 30)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--auth", choices=("open", "strict"), default="open")
    parser.add_argument(
        "--cpu-clock", action="store_true",
        help="with --server: time each thread by its CPU time, not the wall clock (waits do not count)",
    )  # fmt: skip
    parser.add_argument("--top", type=int, default=25, help="rows per listing (default 25)")
    parser.add_argument("--out", type=Path, default=BENCH_VAR / "gateway.prof", help="pstats dump (snakeviz, pstats)")
    parser.add_argument(
        "--call", choices=("sts", *S3_CALLS, *BATCH_CALLS, *MODEL_CALLS, *SERVER_ONLY_CALLS), default="sts",
        help="the call profiled (default sts)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.server and args.call not in SERVER_CALLS:
        parser.error(f"--server profiles {', '.join(SERVER_CALLS)} only")
    if args.call in SERVER_ONLY_CALLS and not args.server:
        parser.error(f"--call {args.call} needs --server")

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
    if args.call == "sts":
        request_for, check, finish = _request_factory(), _check, _nothing
    elif args.call in BATCH_CALLS:
        request_for, check, finish = _batch_request_factory(args.call)
    elif args.call in MODEL_CALLS:
        request_for, check, finish = _model_request_factory(args.call)
    else:
        request_for, check, finish = _s3_request_factory(args.call)
    from playground.gateway.asgi import _handle_in_thread as handle

    def call(request: Any) -> Any:
        response = handle(request)
        finish(response)
        return response

    warm = 100 if args.call.endswith(("sts", "1k")) else 10 if args.call in S3_CALLS else 20
    for _ in range(warm):  # warm up: models, caches, connections
        check(call(request_for()))

    # CPU per call without the profiler, then the profile.
    cpu = 0.0
    timed = 0
    deadline = time.perf_counter() + args.seconds / 2
    while timed < args.calls // 2 and time.perf_counter() < deadline:
        request = request_for()
        before = time.process_time()
        call(request)
        cpu += time.process_time() - before
        timed += 1

    profiler = cProfile.Profile()
    deadline = time.perf_counter() + args.seconds / 2
    made = 0
    elapsed = 0.0
    for _ in range(args.calls // 2):
        if time.perf_counter() >= deadline:
            break
        request = request_for()
        started = time.perf_counter()
        profiler.enable()
        call(request)
        profiler.disable()
        elapsed += time.perf_counter() - started
        made += 1
    vendor = connection.vendor
    connections.close_all()
    summary = (
        f"in-process {args.call}: {cpu / max(timed, 1) * 1000:.2f} ms CPU per call over {timed} calls without "
        f"cProfile; {made} calls in {elapsed:.2f} s under cProfile, {elapsed / max(made, 1) * 1000:.2f} ms per call "
        f"(database {vendor}, auth {args.auth})"
    )
    return pstats.Stats(profiler), summary


def _profile_server(harness: Harness, args: argparse.Namespace) -> tuple[pstats.Stats, str]:
    out = harness.run_dir / "server.prof"
    server = harness.start_ours(
        "ours-profiled",
        app="bench.profiled_asgi:application",
        extra_env={"BENCH_PROFILE_OUT": str(out), "BENCH_PROFILE_CLOCK": "cpu" if args.cpu_clock else "wall"},
    )
    if args.call == "sts":
        call = server.client("sts").get_caller_identity
    elif args.call == "lambda-invoke":
        call = _lambda_invoker(server)
    elif args.call == "logs-put-1000":
        from bench.bench_logs import _raw_put

        call = _raw_put(server, harness.options)
    elif args.call == "sns-publish-10":
        from bench.bench_sns import _topic_with_queues

        topic, _ = _topic_with_queues(server, "profiled-fanout", 10)
        sns = server.client("sns")
        call = lambda: sns.publish(TopicArn=topic, Message="x" * 100)  # noqa: E731
    else:
        from bench.bench_cloudwatch import _put_call

        call = _put_call(server)
    error = warm_up(call)
    if error:
        sys.exit(f"the profiled server did not answer: {error}")
    own_before = cpu_seconds(server.pid, children=False) or 0.0
    all_before = cpu_seconds(server.pid) or 0.0
    rate = measure(call, seconds=args.seconds, max_calls=args.calls)
    own = (cpu_seconds(server.pid, children=False) or 0.0) - own_before
    children = (cpu_seconds(server.pid) or 0.0) - all_before - own
    harness.stop(server)  # Daphne exits cleanly on SIGTERM and writes the profile
    if not out.exists():
        sys.exit(f"the profiled server wrote no profile; see {server.log_path}")
    summary = (
        f"server: {rate.calls} calls ({rate.errors} errors) in {rate.elapsed:.2f} s from one boto3 client, "
        f"{rate.calls_per_second:.1f} calls/s under cProfile (database {args.database}, auth {args.auth}); "
        f"CPU per call: server process {own / max(rate.calls, 1) * 1000:.2f} ms (under cProfile), its child "
        f"processes {children / max(rate.calls, 1) * 1000:.2f} ms; the profile also holds start-up and warm-up"
    )
    return pstats.Stats(str(out)), summary


SERVER_ONLY_CALLS = ("lambda-invoke", "sns-publish-10")  # need --server


def _lambda_invoker(server: Any) -> Any:
    """The lambda bench's warm Invoke against a live server: its function made first."""
    from bench.bench_lambda import warm_invoker

    return warm_invoker(server, prefix="profile")[2]


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
    scope = _scope(signed, "POST", "/")

    def make() -> Any:
        return aws_request_from_scope(scope, BODY, oversized=False)

    return make


S3_CALLS = ("s3-put-1k", "s3-get-1k", "s3-put-8m", "s3-get-8m")
S3_SIZES = {"1k": 1000, "8m": 8_000_000}
S3_KEYS = 8


def _s3_request_factory(name: str) -> tuple[Any, Any, Any]:
    """(make a fresh request, check a response, finish a response) for an S3 call named by --call;
    the bucket and, for a get, its objects are made first through the same gateway."""
    import base64
    import itertools
    import zlib

    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from django.conf import settings

    from playground.gateway.asgi import _handle_in_thread as handle
    from playground.gateway.asgi import aws_request_from_scope
    from playground.sandboxes.services import sandbox_create
    from playground.streaming import SPOOL_THRESHOLD_BYTES

    _, key, secret = sandbox_create(name="profile-s3")
    credentials = Credentials(key.access_key_id, secret)
    _, kind, size_name = name.split("-")
    body = os.urandom(S3_SIZES[size_name])
    crc32 = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    bucket = "profile-bucket"

    def request(method: str, path: str, data: bytes, extra: dict[str, str]) -> Any:
        signed = AWSRequest(
            method=method, url=f"http://{HOST}{path}", data=data, headers={"User-Agent": "bench-profile", **extra}
        )
        S3SigV4Auth(credentials, "s3", "us-east-1").add_auth(signed)
        scope = _scope(signed, method, path)
        if len(data) <= SPOOL_THRESHOLD_BYTES:
            return aws_request_from_scope(scope, data, oversized=False)
        # As Daphne hands a large body over (playground/streaming.py): a file in SPOOL_DIR.
        folder = Path(settings.SPOOL_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        path_on_disk = folder / f"body-profile-{next(counter)}"
        path_on_disk.write_bytes(data)
        body_file = open(path_on_disk, "rb")  # noqa: SIM115  (closed and removed by finish)
        return aws_request_from_scope(scope, b"", oversized=False, body_file=body_file)

    counter = itertools.count()
    opened: list[Any] = []

    def put_request(object_key: str) -> Any:
        put_headers = {
            "Content-Type": "binary/octet-stream",
            "Content-Length": str(len(body)),
            "x-amz-checksum-crc32": crc32,
            "x-amz-sdk-checksum-algorithm": "CRC32",
        }
        made = request("PUT", f"/{bucket}/{object_key}", body, put_headers)
        if made.body_file is not None:
            opened.append(made.body_file)
        return made

    def finish(response: Any) -> None:
        stream = getattr(response, "stream", None)
        if stream is not None:  # Daphne sends it from the file (zero-copy, outside Python): close it
            stream.file.close()
        while opened:
            spooled = opened.pop()
            spooled.close()
            Path(spooled.name).unlink(missing_ok=True)

    def check(response: Any) -> None:
        if response.status not in (200, 206):
            sys.exit(f"the gateway did not answer the call: {response.status} {response.body[:500]!r}")

    response = handle(request("PUT", f"/{bucket}", b"", {}))
    if response.status != 200:
        sys.exit(f"CreateBucket failed: {response.status} {response.body[:500]!r}")
    keys = [f"{size_name}-{index}" for index in range(S3_KEYS)]
    if kind == "get":
        for object_key in keys:
            made = put_request(object_key)
            response = handle(made)
            finish(response)
            check(response)
    cycle = itertools.cycle(keys)
    if kind == "put":
        return (lambda: put_request(next(cycle))), check, finish
    return (lambda: request("GET", f"/{bucket}/{next(cycle)}", b"", {})), check, finish


BATCH_CALLS = ("logs-put-1000", "kinesis-put-500", "kinesis-get-100", "firehose-put-500")
KIB_RECORD = base64.b64encode(os.urandom(1024)).decode()


def _json_sender(service: str, access_key: str, secret: str) -> Any:
    """send(operation, params) -> a fresh AwsRequest: one AWS JSON call signed by botocore."""
    import json

    import botocore.session
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from playground.gateway.asgi import aws_request_from_scope

    metadata = botocore.session.get_session().get_service_model(service).metadata
    credentials = Credentials(access_key, secret)

    def send(operation: str, params: dict[str, Any]) -> Any:
        body = json.dumps(params).encode()
        signed = AWSRequest(
            method="POST",
            url=f"http://{HOST}/",
            data=body,
            headers={
                "Content-Type": f"application/x-amz-json-{metadata.get('jsonVersion', '1.0')}",
                "X-Amz-Target": f"{metadata['targetPrefix']}.{operation}",
                "User-Agent": "bench-profile",
            },
        )
        SigV4Auth(credentials, metadata.get("signingName", metadata["endpointPrefix"]), "us-east-1").add_auth(signed)
        scope = _scope(signed, "POST", "/")
        return aws_request_from_scope(scope, body, oversized=False)

    return send


def _batch_request_factory(name: str) -> tuple[Any, Any, Any]:
    """(make a fresh request, check a response, finish a response) for a list-carrying JSON call
    named by --call; its log stream, stream or delivery stream is made first through the gateway."""
    import itertools
    import json
    import uuid

    from playground.gateway.asgi import _handle_in_thread as handle
    from playground.sandboxes.services import clock_advance, sandbox_create

    sandbox, key, secret = sandbox_create(name=f"profile-{name}")
    service = name.split("-")[0]
    send = _json_sender(service, key.access_key_id, secret)

    def check(response: Any) -> None:
        if response.status != 200:
            sys.exit(f"the gateway did not answer the call: {response.status} {response.body[:500]!r}")
        answer = json.loads(response.body)
        if answer.get("FailedRecordCount") or answer.get("FailedPutCount") or answer.get("rejectedLogEventsInfo"):
            sys.exit(f"the call was answered with failed items: {response.body[:500]!r}")

    def setup(operation: str, params: dict[str, Any]) -> None:
        response = handle(send(operation, params))
        if response.status != 200:
            sys.exit(f"{operation} failed: {response.status} {response.body[:500]!r}")

    if service == "logs":
        from bench.bench_logs import _messages

        messages = _messages(1000, seed=1)  # the same events the logs bench puts
        setup("CreateLogGroup", {"logGroupName": "/profile/put"})
        setup("CreateLogStream", {"logGroupName": "/profile/put", "logStreamName": "s"})

        def put_log_events() -> Any:
            stamp = int(sandbox.clock.now().timestamp() * 1000)
            events = [{"timestamp": stamp, "message": text} for text in messages]
            return send("PutLogEvents", {"logGroupName": "/profile/put", "logStreamName": "s", "logEvents": events})

        return put_log_events, check, _nothing

    if name == "kinesis-get-100":
        return _get_records_request(sandbox, send, setup), check, _nothing

    if service == "kinesis":
        setup("CreateStream", {"StreamName": "profile", "ShardCount": 100})
        clock_advance(sandbox=sandbox, seconds=11)
        step = itertools.count()

        def put_records() -> Any:
            if next(step) % 2 == 0:
                clock_advance(sandbox=sandbox, seconds=1)  # each shard's write limit: a second per two calls
            records = [{"Data": KIB_RECORD, "PartitionKey": uuid.uuid4().hex} for _ in range(500)]
            return send("PutRecords", {"StreamName": "profile", "Records": records})

        return put_records, check, _nothing

    bucket = "profile-firehose"
    _s3_create_bucket(key.access_key_id, secret, bucket)
    setup(
        "CreateDeliveryStream",
        {
            "DeliveryStreamName": "profile",
            "DeliveryStreamType": "DirectPut",
            "ExtendedS3DestinationConfiguration": {
                "RoleARN": "arn:aws:iam::123456789012:role/firehose-delivery",
                "BucketARN": f"arn:aws:s3:::{bucket}",
            },
        },
    )
    clock_advance(sandbox=sandbox, seconds=6)
    records = [{"Data": KIB_RECORD} for _ in range(500)]

    def put_record_batch() -> Any:
        return send("PutRecordBatch", {"DeliveryStreamName": "profile", "Records": records})

    return put_record_batch, check, _nothing


def _get_records_request(sandbox: Any, send: Any, setup: Any) -> Any:
    """The kinesis bench's raw GetRecords, in turn over the shards of a stream filled for it."""
    import itertools
    import json

    from bench.bench_kinesis import READ_LIMIT, SHARDS, _balanced_keys
    from playground.gateway.asgi import _handle_in_thread as handle
    from playground.sandboxes.services import clock_advance

    setup("CreateStream", {"StreamName": "profile", "ShardCount": SHARDS})
    clock_advance(sandbox=sandbox, seconds=11)
    for seed in range(READ_LIMIT * SHARDS // 500):  # 100 records a shard, 5 a shard a call
        setup("PutRecords", {"StreamName": "profile", "Records": [
            {"Data": KIB_RECORD, "PartitionKey": key} for key in _balanced_keys(seed)
        ]})  # fmt: skip
        clock_advance(sandbox=sandbox, seconds=1)
    iterators = []
    for shard in range(SHARDS):
        answer = handle(send("GetShardIterator", {
            "StreamName": "profile", "ShardId": f"shardId-{shard:012d}", "ShardIteratorType": "TRIM_HORIZON",
        }))  # fmt: skip
        iterators.append(json.loads(answer.body)["ShardIterator"])
    step = itertools.count()

    def get_records() -> Any:
        made = next(step)
        if made and made % (4 * SHARDS) == 0:
            clock_advance(sandbox=sandbox, seconds=1)  # each shard read at most 4 times a second
        return send("GetRecords", {"ShardIterator": iterators[made % SHARDS], "Limit": READ_LIMIT})

    return get_records


MODEL_CALLS = ("cloudwatch-put-20", "sqs-send", "sns-publish-1")
SERVER_CALLS = ("sts", "cloudwatch-put-20", "logs-put-1000", *SERVER_ONLY_CALLS)  # what --server profiles


def _model_request_factory(name: str) -> tuple[Any, Any, Any]:
    """(make a fresh request, check a response, finish a response) for a call named by --call, in
    the protocol boto3 resolves for its service, serialized by botocore's serializer for that
    protocol and signed by botocore. What the call needs (a queue, a topic subscribed by a queue)
    is made first through the same path."""
    import botocore.session
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from botocore.serialize import create_serializer

    from playground.gateway.asgi import _handle_in_thread as handle
    from playground.gateway.asgi import aws_request_from_scope
    from playground.sandboxes.services import sandbox_create

    _, key, secret = sandbox_create(name=f"profile-{name}")
    session = botocore.session.get_session()

    def request(service: str, operation: str, params: dict[str, Any]) -> Any:
        model = session.get_service_model(service)
        made = create_serializer(model.resolved_protocol).serialize_to_request(params, model.operation_model(operation))
        if isinstance(made["body"], dict):  # the query protocol's form fields
            made["body"] = urllib.parse.urlencode(made["body"], doseq=True)
        signed = AWSRequest(
            method=made["method"], url=f"http://{HOST}{made['url_path']}", data=made["body"],
            headers={**made["headers"], "User-Agent": "bench-profile"},
        )  # fmt: skip
        SigV4Auth(Credentials(key.access_key_id, secret), model.signing_name, "us-east-1").add_auth(signed)
        scope = _scope(signed, "POST", made["url_path"])
        body = made["body"] if isinstance(made["body"], bytes) else made["body"].encode()
        return lambda: aws_request_from_scope(scope, body, oversized=False)

    def setup(service: str, operation: str, params: dict[str, Any]) -> Any:
        from botocore.parsers import create_parser

        response = handle(request(service, operation, params)())
        if response.status != 200:
            sys.exit(f"{operation} failed: {response.status} {response.body[:500]!r}")
        model = session.get_service_model(service)
        parsed = create_parser(model.resolved_protocol).parse(
            {"body": response.body, "headers": dict(response.headers), "status_code": 200},
            model.operation_model(operation).output_shape,
        )
        return parsed

    if name == "cloudwatch-put-20":
        from bench.bench_cloudwatch import put_data

        made = request("cloudwatch", "PutMetricData", {"Namespace": "ProfilePut", "MetricData": put_data()})
    elif name == "sqs-send":
        from bench.bench_sqs import BODY

        url = setup("sqs", "CreateQueue", {"QueueName": "profiled-send"})["QueueUrl"]
        made = request("sqs", "SendMessage", {"QueueUrl": url, "MessageBody": BODY})
    else:
        from bench.bench_sns import _queue_policy

        topic = setup("sns", "CreateTopic", {"Name": "profiled-topic"})["TopicArn"]
        url = setup("sqs", "CreateQueue", {"QueueName": "profiled-subscriber"})["QueueUrl"]
        arn = setup("sqs", "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["QueueArn"]})
        queue_arn = arn["Attributes"]["QueueArn"]
        setup("sqs", "SetQueueAttributes", {"QueueUrl": url, "Attributes": {"Policy": _queue_policy(queue_arn, topic)}})
        setup("sns", "Subscribe", {
            "TopicArn": topic, "Protocol": "sqs", "Endpoint": queue_arn, "Attributes": {"RawMessageDelivery": "true"},
        })  # fmt: skip
        made = request("sns", "Publish", {"TopicArn": topic, "Message": "x" * 100})

    def check(response: Any) -> None:
        if response.status != 200:
            sys.exit(f"the gateway did not answer the call: {response.status} {response.body[:500]!r}")

    return made, check, _nothing


def _s3_create_bucket(access_key: str, secret: str, bucket: str) -> None:
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from playground.gateway.asgi import _handle_in_thread as handle
    from playground.gateway.asgi import aws_request_from_scope

    signed = AWSRequest(method="PUT", url=f"http://{HOST}/{bucket}", data=b"", headers={"User-Agent": "bench-profile"})
    S3SigV4Auth(Credentials(access_key, secret), "s3", "us-east-1").add_auth(signed)
    scope = _scope(signed, "PUT", f"/{bucket}")
    response = handle(aws_request_from_scope(scope, b"", oversized=False))
    if response.status != 200:
        sys.exit(f"CreateBucket failed: {response.status} {response.body[:500]!r}")


def _nothing(response: Any) -> None:
    pass


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
