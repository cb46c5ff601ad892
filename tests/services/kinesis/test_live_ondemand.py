"""On-demand streams scale with their traffic on the sandbox clock: writes past half the open
shards' capacity in one second double the open shards (the old ones close and name their
children), the stream is UPDATING meanwhile, and twice the traffic then fits. A provisioned stream
with the same traffic keeps its shards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.live

KIB = 1024


def _batch(prefix: str) -> list[dict[str, Any]]:
    """500 records of 5 KiB (2.5 MiB), partition keys spread over the hash key space."""
    return [{"Data": b"x" * (5 * KIB), "PartitionKey": f"{prefix}-{index}"} for index in range(500)]


def _open_shards(kinesis: Any, name: str) -> list[dict[str, Any]]:
    listed = kinesis.list_shards(StreamName=name)["Shards"]
    return [shard for shard in listed if "EndingSequenceNumber" not in shard["SequenceNumberRange"]]


def test_on_demand_doubles_its_shards_on_traffic(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None
) -> None:
    name = make_stream(None, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    assert len(_open_shards(kinesis, name)) == 4
    small = kinesis.put_records(StreamName=name, Records=_batch("a")[:100])  # 0.5 MiB: under half of 4 MiB
    assert small["FailedRecordCount"] == 0
    assert len(_open_shards(kinesis, name)) == 4

    advance(1)
    first = kinesis.put_records(StreamName=name, Records=_batch("b"))  # 2.5 MiB: past half of 4 MiB
    assert first["FailedRecordCount"] == 0
    opened = _open_shards(kinesis, name)
    assert len(opened) == 8
    assert all(shard.get("ParentShardId") for shard in opened)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert (summary["StreamStatus"], summary["OpenShardCount"]) == ("UPDATING", 8)

    advance(10)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "ACTIVE"
    # 5 MiB in one second now fits in 8 MiB of capacity (and scales again, to 16).
    results = [kinesis.put_records(StreamName=name, Records=_batch(p)) for p in ("c", "d")]
    assert [r["FailedRecordCount"] for r in results] == [0, 0]
    assert len(_open_shards(kinesis, name)) == 16


def test_a_provisioned_stream_keeps_its_shards(
    kinesis: Any, make_stream: Callable[..., str], advance: Callable[[float], None], paused: None
) -> None:
    name = make_stream(4)
    kinesis.put_records(StreamName=name, Records=_batch("b"))
    assert len(_open_shards(kinesis, name)) == 4
