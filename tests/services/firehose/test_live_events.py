"""What the diagram reads: the delivery stream's node with its buffer filling by size and time and
its next flush time, the edge to its bucket, the flow events of a put and a flush, and the public
door other services put records through."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo
from tests.services.firehose.conftest import sandbox_now
from tests.waiting import wait_until

pytestmark = pytest.mark.live


def _flows(sandbox: SandboxInfo, count: int) -> list[dict[str, Any]]:
    """Firehose's flow events of the sandbox, once `count` of them are stored (they are stored as
    their transaction commits, by the process that made them)."""
    from playground.live.models import LiveEvent

    flows: list[dict[str, Any]] = []

    def stored() -> bool:
        nonlocal flows
        rows = LiveEvent.objects.filter(sandbox_id=sandbox.id, type="flow").order_by("seq")
        flows = [row.payload for row in rows if row.payload.get("service") == "firehose"]
        return len(flows) >= count

    wait_until(stored, timeout=10)
    return flows


def test_the_node_shows_the_buffer_and_flows_follow_records(
    firehose: Any, bucket: str, make_stream: Callable[..., str], advance: Callable[[float], None],
    sandbox: SandboxInfo,
) -> None:  # fmt: skip
    from playground.graph import sandbox_graph
    from playground.sandboxes.models import Sandbox

    name = make_stream(bucket, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 100})
    arrived = sandbox_now(sandbox)
    firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"z" * 1024} for _ in range(256)])
    advance(25)
    box = Sandbox.objects.get(pk=sandbox.id)
    drawn = sandbox_graph(sandbox=box, now=box.clock.now(), region=None)
    [node] = [n for n in drawn["nodes"] if n.get("service") == "firehose"]
    assert (node["buffer_records"], node["buffer_bytes"], node["buffer_fill"]) == (256, 262144, 0.25)
    assert node["buffer_elapsed"] == pytest.approx(0.25)
    assert node["next_flush_at"] == (arrived + dt.timedelta(seconds=100)).isoformat()
    [edge] = [e for e in drawn["edges"] if e["source"] == node["id"]]
    assert (edge["target"], edge["type"]) == (f"arn:aws:s3:::{bucket}", "delivery")
    advance(75)
    flows = _flows(sandbox, 2)
    assert [f["kind"] for f in flows] == ["put", "delivered"]
    assert flows[1]["target"] == f"arn:aws:s3:::{bucket}"
    assert flows[1]["detail"]["records"] == 256
    assert flows[1]["detail"]["reason"] == "interval"


def test_the_public_door_puts_records(
    firehose: Any, bucket: str, make_stream: Callable[..., str], advance: Callable[[float], None],
    sandbox: SandboxInfo, s3: Any,
) -> None:  # fmt: skip
    from playground.sandboxes.models import Sandbox
    from services.firehose.public import ResourceNotFoundException, records_put

    name = make_stream(bucket, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60})
    box = Sandbox.objects.get(pk=sandbox.id)
    arn = f"arn:aws:firehose:{sandbox.region}:{sandbox.account_id}:deliverystream/{name}"
    ids = records_put(sandbox=box, region=sandbox.region, delivery_stream=arn,
                      records=[f"{i}\n".encode() for i in range(600)], now=box.clock.now())  # fmt: skip
    assert len(ids) == 600
    with pytest.raises(ResourceNotFoundException):
        records_put(sandbox=box, region=sandbox.region, delivery_stream="nope", records=[b"x"], now=box.clock.now())
    advance(60)
    [item] = s3.list_objects_v2(Bucket=bucket)["Contents"]
    body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    assert body == b"".join(f"{i}\n".encode() for i in range(600))
