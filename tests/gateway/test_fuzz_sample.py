"""A short, seeded sample of the hostile-input fuzzer (bench/fuzzing.py; the full run of 100,000
requests is `python -m bench fuzz`): requests for every emulated operation, valid by shape or
spoiled (wrong types, huge and deep values, bad encodings, truncated bodies, bad and expired
signatures), against the open and the strict server. No answer may be a 5xx, and botocore must
read every one as the operation's output or as a modeled or common AWS error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bench.fuzz_campaign import Results, campaign
from bench.fuzzing import Fuzzer, Keys, emulated_operations
from tests.conftest import SandboxInfo, Server

pytestmark = pytest.mark.live

SEED = 20261127
REQUESTS = 300


def _failures(results: Results) -> str:
    return "\n".join(
        f"#{failure.request.index} {failure.request.mutation} {failure.request.label} "
        f"{failure.request.operation}: {failure.reason}: {failure.body[:300]!r}"
        for failure in results.failures[:10]
    )


def test_a_seeded_sample_of_hostile_requests_gets_only_aws_answers(
    daphne: Server, strict_server: Server, make_sandbox: Callable[..., SandboxInfo], aws: Callable[..., Any]
) -> None:
    info = make_sandbox("fuzz")
    queue = aws("sqs", info=info).create_queue(QueueName="fuzz")["QueueUrl"]
    topic = aws("sns", info=info).create_topic(Name="fuzz")["TopicArn"]
    key = aws("kms", info=info).create_key()["KeyMetadata"]["KeyId"]
    servers = {"open": daphne, "strict": strict_server}
    fuzzer = Fuzzer(
        seed=SEED,
        operations=emulated_operations(),
        keys=Keys(info.access_key_id, info.secret_access_key, info.region),
        hosts={name: server.url.split("://", 1)[1] for name, server in servers.items()},
        known={"QueueUrl": [queue], "TopicArn": [topic], "KeyId": [key]},
    )

    results = campaign(fuzzer, {name: server.url for name, server in servers.items()}, total=REQUESTS, threads=4)

    assert results.sent >= REQUESTS  # replayed requests go twice
    assert results.server_errors == 0, _failures(results)
    assert results.unparseable == 0, _failures(results)
    assert len(results.by_mutation) > 20  # the sample spoils requests in most of the ways there are
