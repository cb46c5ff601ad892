"""The hostile-input fuzzer: at least 100,000 generated requests (bench/fuzzing.py) against our
server in open auth mode and a second one in strict mode on the same database, every answer
checked; the servers' memory sampled along the way.

    .venv/bin/python -m bench fuzz [--database postgres]
    FUZZ_REQUESTS=5000 FUZZ_SEED=3 FUZZ_THREADS=6 .venv/bin/python -m bench fuzz
    .venv/bin/python -m bench.bench_fuzz --replay var/bench/fuzz/<run>/failure-0000-deep.json --url http://127.0.0.1:8000

Targets: zero 5xx and zero answers botocore cannot read as the operation's output or as a modeled
or common AWS error; resident memory flat after warm-up (the first 10% of the requests). Every
failing case is written to var/bench/fuzz/<run id>/ with the request as sent and the answer.
The fuzz sandbox has no request-rate quota, so nearly every request reaches the services.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import subprocess
import sys
from typing import Any

from bench.fuzz_campaign import Results, campaign, write_failures
from bench.fuzzing import Fuzzer, Keys
from bench.harness import BENCH_VAR, ROOT, Harness, Options, Report, Server, bench
from bench.timing import current_rss

MIB = 1024 * 1024
STRICT_ENV = {
    "PLAYGROUND_AUTH_MODE": "strict",
    # The classroom quotas would throttle the fuzzer: the rate is off, stored bytes and resources are high.
    "PLAYGROUND_QUOTA_REQUESTS_PER_SECOND": "0",
    "PLAYGROUND_QUOTA_STORED_BYTES": "0",
    "PLAYGROUND_QUOTA_RESOURCES": "sqs.Queue=1000000",
}
EMULATED = "import json; from bench.fuzzing import emulated_operations; print(json.dumps(emulated_operations()))"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None


def known_resources(server: Server) -> dict[str, list[str]]:
    """A few queues, topics and keys for valid requests to name, so they reach past the lookups."""
    sqs, sns, kms = server.client("sqs"), server.client("sns"), server.client("kms")
    queues = [sqs.create_queue(QueueName=f"fuzz-{n}")["QueueUrl"] for n in range(4)]
    queues.append(sqs.create_queue(QueueName="fuzz.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"])
    arns = [
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"] for url in queues
    ]
    topics = [sns.create_topic(Name=f"fuzz-{n}")["TopicArn"] for n in range(3)]
    topics.append(sns.create_topic(Name="fuzz.fifo", Attributes={"FifoTopic": "true"})["TopicArn"])
    subscriptions = [
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True)["SubscriptionArn"]
        for topic, arn in zip(topics, arns, strict=False)
    ]
    keys = [kms.create_key(Description="fuzz")["KeyMetadata"]["KeyId"] for _ in range(3)]
    keys.append(kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"])
    keys.append(kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"])
    kms.create_alias(AliasName="alias/fuzz", TargetKeyId=keys[0])
    blob = kms.encrypt(KeyId=keys[0], Plaintext=b"fuzz")["CiphertextBlob"]
    return {
        "QueueUrl": queues,
        "QueueName": [url.rsplit("/", 1)[1] for url in queues],
        "TopicArn": topics,
        "TargetArn": topics,
        "ResourceArn": topics,
        "SubscriptionArn": subscriptions,
        "Endpoint": arns,
        "KeyId": [*keys, "alias/fuzz"],
        "TargetKeyId": keys,
        "DestinationKeyId": keys,
        "AliasName": ["alias/fuzz"],
        "CiphertextBlob": [blob],
    }


def _emulated(harness: Harness) -> dict[str, list[str]]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", EMULATED],
        cwd=ROOT,
        env=harness.ours_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def _rss(servers: dict[str, Server]) -> dict[str, float | None]:
    return {name: _mib(current_rss(server.pid)) for name, server in servers.items()}


def _mib(value: int | None) -> float | None:
    return None if value is None else value / MIB


@bench("fuzz", "hostile requests from the botocore models (>= 100,000): zero 5xx, all parseable, flat memory")
def run(harness: Harness, options: Options) -> Report:
    total = _env_int("FUZZ_REQUESTS", 100_000)
    seed = _env_int("FUZZ_SEED", 1)
    threads = _env_int("FUZZ_THREADS", 6)
    seconds = _env_int("FUZZ_SECONDS", 0) or None  # a time limit, for a loaded machine
    servers = {
        "open": harness.ours(),
        "strict": harness.start_ours("strict", extra_env={**STRICT_ENV, "SECRET_KEY": secrets.token_urlsafe(40)}),
    }
    known = known_resources(servers["open"])
    keys = servers["open"].keys
    fuzzer = Fuzzer(
        seed=seed,
        operations=_emulated(harness),
        keys=Keys(keys.access_key_id, keys.secret_access_key, keys.region),
        hosts={name: server.url.split("://", 1)[1] for name, server in servers.items()},
        known=known,
    )
    samples: list[tuple[int, dict[str, float | None]]] = [(0, _rss(servers))]
    every = max(total // 100, 1)

    def sample(done: int) -> None:
        samples.append((done, _rss(servers)))
        if done % (every * 10) == 0:
            print(f"  {done} requests, RSS MiB {samples[-1][1]}", flush=True)

    results = campaign(
        fuzzer, {name: server.url for name, server in servers.items()}, total=total, threads=threads,
        seconds=seconds, every=every, on_progress=sample,
    )  # fmt: skip
    samples.append((total, _rss(servers)))
    failure_dir = BENCH_VAR / "fuzz" / harness.run_id
    written = write_failures(results, failure_dir, seed=seed) if results.failures else []
    written_paths = [str(path) for path in written]
    return _report(results, samples, options, seed=seed, threads=threads, total=total, written=written_paths)


def _slowest(seconds: dict[str, float], count: int = 8) -> list[tuple[str, float]]:
    return sorted(seconds.items(), key=lambda item: -item[1])[:count]


def _report(
    results: Results,
    samples: list[tuple[int, dict[str, float | None]]],
    options: Options,
    *,
    seed: int,
    threads: int,
    total: int,
    written: list[str],
) -> Report:
    warm = next((rss for done, rss in samples if done >= results.sent // 10), samples[-1][1])
    start, end = samples[0][1], samples[-1][1]
    peak = {name: max((rss[name] or 0.0) for _, rss in samples) for name in start}
    report = Report(
        "fuzz",
        f"fuzz: {results.sent} hostile requests (seed {seed}, {threads} client threads) to our server, "
        f"open and strict auth (database: {options.database})",
        columns=list(start),
    )
    report.rows = {
        "RSS MiB at start": start,
        "RSS MiB after warm-up (10%)": warm,
        "RSS MiB at end": end,
        "RSS MiB peak": dict(peak),
        "RSS growth after warm-up MiB": {
            name: None if end[name] is None or warm[name] is None else end[name] - warm[name]  # type: ignore[operator]
            for name in start
        },
    }
    report.notes = [
        f"requests sent: {results.sent} in {results.seconds:.0f} s ({results.requests_per_second:.0f}/s)"
        + (f"; stopped by FUZZ_SECONDS after {results.generated} of {total}" if results.generated < total else ""),
        f"5xx answers: {results.server_errors} (target 0); unparseable or unexpected: {results.unparseable} (target 0)",
        f"bare 400s from Twisted for unparseable multipart bodies (before our code): {results.refused_by_http_server}",
        "statuses: " + ", ".join(f"{status}: {count}" for status, count in sorted(results.statuses.items())),
        "mutations: " + ", ".join(f"{name} {count}" for name, count in results.by_mutation.most_common()),
        "error codes: " + ", ".join(f"{code} {count}" for code, count in results.error_codes.most_common(25)),
        f"operations reached: {len(results.by_operation)}",
        "most time: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in _slowest(results.slow)),
    ]
    if written:
        report.notes.append(f"{len(written)} failing cases written, first: {written[0]}")
        for failure in results.failures[:5]:
            request = failure.request
            report.notes.append(
                f"  #{request.index} {request.mutation} {request.label} {request.operation}: {failure.reason}"
            )
    report.details = {
        "seed": seed,
        "threads": threads,
        "requests": results.sent,
        "generated": results.generated,
        "seconds": results.seconds,
        "requests_per_second": results.requests_per_second,
        "server_errors": results.server_errors,
        "unparseable": results.unparseable,
        "refused_by_http_server": results.refused_by_http_server,
        "statuses": dict(results.statuses),
        "error_codes": dict(results.error_codes),
        "by_mutation": dict(results.by_mutation),
        "by_operation": dict(sorted(results.by_operation.items())),
        "rss_mib_samples": samples,
        "failure_files": written,
    }
    return report


def replay(path: str, url: str) -> int:
    """Send a failing case again, exactly as it was sent, and print the answer."""
    import http.client
    from urllib.parse import urlsplit

    case: dict[str, Any] = json.loads(open(path).read())  # noqa: SIM115 (a one-off read)
    request = case["request"]
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)
    headers = dict(request["headers"])
    headers["Host"] = parts.netloc
    connection.request(request["method"], request["path"], base64.b64decode(request["body_base64"]), headers)
    response = connection.getresponse()
    print(response.status, response.reason)
    for name, value in response.getheaders():
        print(f"{name}: {value}")
    print()
    print(response.read().decode("utf-8", "replace"))
    return 0 if response.status < 500 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.bench_fuzz", description="replay a failing fuzz case")
    parser.add_argument("--replay", required=True, metavar="FILE")
    parser.add_argument("--url", required=True, help="a running server of ours, e.g. http://127.0.0.1:8000")
    args = parser.parse_args()
    sys.exit(replay(args.replay, args.url))
