"""The diagram's SQS nodes and dead-letter edges, for queues made through the API."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo

pytestmark = pytest.mark.live


def test_graph_has_a_node_per_queue_and_an_edge_per_dead_letter_queue(
    sqs: Any, make_queue: Callable[..., str], sandbox: SandboxInfo, db_access: None
) -> None:
    from playground.sandboxes.models import Sandbox
    from services.sqs.graph import graph

    prefix = f"arn:aws:sqs:{sandbox.region}:{sandbox.account_id}"
    make_queue("dlq")
    url = make_queue("jobs", RedrivePolicy=json.dumps({"deadLetterTargetArn": f"{prefix}:dlq", "maxReceiveCount": 4}))
    sqs.send_message(QueueUrl=url, MessageBody="one")
    sqs.send_message(QueueUrl=url, MessageBody="two", DelaySeconds=60)
    sqs.receive_message(QueueUrl=url)
    sqs.send_message(QueueUrl=url, MessageBody="three")
    box = Sandbox.objects.select_related("clock").get(pk=sandbox.id)
    drawn = graph(sandbox=box, now=box.clock.now(), region=None)
    nodes = {node["id"]: node for node in drawn["nodes"]}
    assert set(nodes) == {f"{prefix}:dlq", f"{prefix}:jobs"}
    jobs = nodes[f"{prefix}:jobs"]
    assert (jobs["name"], jobs["type"], jobs["fifo"]) == ("jobs", "queue", False)
    assert (jobs["visible"], jobs["in_flight"], jobs["delayed"]) == (1, 1, 1)
    [edge] = drawn["edges"]
    assert (edge["source"], edge["target"], edge["type"], edge["max_receive_count"]) == (
        f"{prefix}:jobs", f"{prefix}:dlq", "dead-letter", 4,
    )  # fmt: skip


def test_graph_draws_an_encryption_edge_from_the_queues_key(
    sqs: Any, aws: Any, make_queue: Callable[..., str], sandbox: SandboxInfo, db_access: None
) -> None:
    from playground.sandboxes.models import Sandbox
    from services.sqs.graph import graph

    kms = aws("kms")
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/queue-key", TargetKeyId=key_arn)
    make_queue("by-alias", KmsMasterKeyId="alias/queue-key")
    make_queue("plain")
    box = Sandbox.objects.select_related("clock").get(pk=sandbox.id)
    [edge] = graph(sandbox=box, now=box.clock.now(), region=None)["edges"]
    assert (edge["source"], edge["target"], edge["type"]) == (
        key_arn,
        f"arn:aws:sqs:{sandbox.region}:{sandbox.account_id}:by-alias",
        "encryption",
    )
