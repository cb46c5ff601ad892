"""Shards: creating them over hash key ranges, finding the one a record goes to, resharding
(SplitShard, MergeShards, UpdateShardCount with uniform scaling) and listing them (ListShards with
its filters, DescribeStream's shard list).

Resharding closes the parent shards at once (they stay readable until their records pass the
retention period, then the tick removes them) and opens the children, whose `parents` name them;
the stream is UPDATING for UPDATE_SECONDS of sandbox time meanwhile.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.gateway.quotas import check_resource_quota
from services.kinesis import sequences
from services.kinesis.exceptions import (
    InvalidArgumentException,
    LimitExceededException,
    ResourceNotFoundException,
)
from services.kinesis.models import Shard, Stream

MAX_SHARDS_PER_STREAM = 10_000
SCALING_CALLS_PER_DAY = 10


def open_shards(stream: Stream) -> list[Shard]:
    return list(stream.shards.filter(closed_at__isnull=True).order_by("number"))


def live_shards(stream: Stream, *, now: dt.datetime) -> list[Shard]:
    """Open shards, and closed ones whose records are still within the retention period."""
    return [shard for shard in stream.shards.order_by("number") if shard.expires_at is None or shard.expires_at > now]


def add_shards(
    stream: Stream, ranges: list[tuple[int, int]], *, parents: list[list[str]], now: dt.datetime
) -> list[Shard]:
    check_resource_quota(sandbox_id=stream.sandbox_id, model=Shard, adding=len(ranges))
    shards = []
    for (start, end), lineage in zip(ranges, parents, strict=True):
        shards.append(
            Shard(
                sandbox=stream.sandbox,
                stream=stream,
                number=stream.next_shard_number,
                starting_hash_key=str(start),
                ending_hash_key=str(end),
                parents=lineage,
                created_at=now,
            )
        )
        stream.next_shard_number += 1
    Shard.objects.bulk_create(shards)
    stream.save(update_fields=["next_shard_number"])
    return shards


def close(shard: Shard, *, retention_hours: int, now: dt.datetime) -> None:
    shard.closed_at = now
    shard.ending_counter = shard.last_counter
    shard.expires_at = now + dt.timedelta(hours=retention_hours)
    shard.save(update_fields=["closed_at", "ending_counter", "expires_at"])


def shard_for(shards: list[Shard], key: int) -> Shard:
    for shard in shards:
        if shard.start <= key <= shard.end:
            return shard
    raise LookupError(key)  # the open shards always cover the whole space


def find_shard(stream: Stream, shard_id: str, *, now: dt.datetime) -> Shard:
    number = shard_number(shard_id)
    shard = None if number is None else stream.shards.filter(number=number).first()
    if shard is None or (shard.expires_at is not None and shard.expires_at <= now):
        raise ResourceNotFoundException(
            f"Shard {shard_id} in stream {stream.name} under account {stream.sandbox.account_id} does not exist"
        )
    return shard


def shard_number(shard_id: str) -> int | None:
    """The number a shard id (`shardId-000000000003`, or its digits) names; None for no shard id."""
    prefix = "shardId-"
    digits = shard_id[len(prefix) :] if shard_id.startswith(prefix) else shard_id
    return int(digits) if digits.isdigit() and len(digits) <= 12 else None


# --- resharding --------------------------------------------------------------------------------


def split(stream: Stream, *, shard_id: str, new_starting_hash_key: str, now: dt.datetime) -> list[Shard]:
    shard = find_shard(stream, shard_id, now=now)
    account = stream.sandbox.account_id
    if not shard.is_open:
        raise InvalidArgumentException(
            f"Shard {shard_id} in stream {stream.name} under account {account} has already been merged or split, "
            "and thus is not eligible for merging or splitting."
        )
    key = int(new_starting_hash_key)
    if not shard.start + 1 <= key <= shard.end:
        raise InvalidArgumentException(
            f"NewStartingHashKey {new_starting_hash_key} used in SplitShard() on shard {shard_id} in stream "
            f"{stream.name} under account {account} is not both greater than one plus the shard's "
            f"StartingHashKey {shard.start} and less than the shard's EndingHashKey {shard.end}."
        )
    _check_shard_room(stream, added=1)
    close(shard, retention_hours=stream.retention_hours, now=now)
    ranges = [(shard.start, key - 1), (key, shard.end)]
    return add_shards(stream, ranges, parents=[[shard.shard_id], [shard.shard_id]], now=now)


def merge(stream: Stream, *, shard_id: str, adjacent_shard_id: str, now: dt.datetime) -> Shard:
    first = find_shard(stream, shard_id, now=now)
    second = find_shard(stream, adjacent_shard_id, now=now)
    account = stream.sandbox.account_id
    for shard in (first, second):
        if not shard.is_open:
            raise InvalidArgumentException(
                f"Shard {shard.shard_id} in stream {stream.name} under account {account} has already been merged "
                "or split, and thus is not eligible for merging or splitting."
            )
    low, high = sorted((first, second), key=lambda shard: shard.start)
    if first.pk == second.pk or low.end + 1 != high.start:
        raise InvalidArgumentException(
            f"Shards {shard_id} and {adjacent_shard_id} in stream {stream.name} under account {account} are not "
            "an adjacent pair of shards eligible for merging"
        )
    for shard in (first, second):
        close(shard, retention_hours=stream.retention_hours, now=now)
    [child] = add_shards(stream, [(low.start, high.end)], parents=[[first.shard_id, second.shard_id]], now=now)
    return child


def scale_uniformly(stream: Stream, *, target: int, now: dt.datetime) -> int:
    """UpdateShardCount: close every open shard and open `target` shards over even ranges, each
    naming the closed shards its range overlaps as parents. Returns the count before."""
    current = open_shards(stream)
    count = len(current)
    account = stream.sandbox.account_id
    if target > count * 2 or target * 2 < count:
        raise LimitExceededException(
            f"UpdateShardCount request for stream {stream.name} under account {account} with target shard count "
            f"{target} is not within the allowed range: a stream can be scaled to between half and double its "
            f"current open shard count ({count}) in one call."
        )
    if target > MAX_SHARDS_PER_STREAM:
        raise LimitExceededException(
            f"UpdateShardCount request for stream {stream.name} under account {account} would exceed the maximum "
            f"of {MAX_SHARDS_PER_STREAM} shards per stream."
        )
    day_ago = now - dt.timedelta(hours=24)
    recent = [stamp for stamp in stream.scaling_calls if dt.datetime.fromisoformat(stamp) > day_ago]
    if len(recent) >= SCALING_CALLS_PER_DAY:
        raise LimitExceededException(
            f"Stream {stream.name} under account {account} has already been scaled {SCALING_CALLS_PER_DAY} times in "
            "the last 24 hours, the maximum for UpdateShardCount."
        )
    stream.scaling_calls = [*recent, now.isoformat()]
    stream.save(update_fields=["scaling_calls"])
    if target == count:
        return count
    reshape(stream, current, target=target, now=now)
    return count


def reshape(stream: Stream, current: list[Shard], *, target: int, now: dt.datetime) -> None:
    """Close the `current` open shards and open `target` over even ranges, each naming the closed
    shards its range overlaps as parents (UpdateShardCount, and on-demand scaling)."""
    _check_shard_room(stream, added=target - len(current))
    ranges = sequences.uniform_ranges(target)
    lineage = [[old.shard_id for old in current if old.start <= end and start <= old.end] for start, end in ranges]
    for shard in current:
        close(shard, retention_hours=stream.retention_hours, now=now)
    add_shards(stream, ranges, parents=lineage, now=now)


def _check_shard_room(stream: Stream, *, added: int) -> None:
    from services.kinesis.streams import check_account_shards

    check_account_shards(sandbox=stream.sandbox, region=stream.region, added=added)


# --- listing -----------------------------------------------------------------------------------


def shard_output(shard: Shard) -> dict[str, Any]:
    output: dict[str, Any] = {
        "ShardId": shard.shard_id,
        "HashKeyRange": {"StartingHashKey": shard.starting_hash_key, "EndingHashKey": shard.ending_hash_key},
        "SequenceNumberRange": {"StartingSequenceNumber": sequences.sequence_number(shard.number, 0)},
    }
    if shard.parents:
        output["ParentShardId"] = shard.parents[0]
    if len(shard.parents) > 1:
        output["AdjacentParentShardId"] = shard.parents[1]
    if shard.ending_counter is not None:
        output["SequenceNumberRange"]["EndingSequenceNumber"] = sequences.sequence_number(
            shard.number, shard.ending_counter
        )
    return output


def filter_shards(shards: list[Shard], shard_filter: dict[str, Any] | None, *, now: dt.datetime) -> list[Shard]:
    """ListShards' ShardFilter."""
    if not shard_filter:
        return shards
    kind = shard_filter["Type"]
    if kind == "AFTER_SHARD_ID":
        if "ShardId" not in shard_filter:
            raise InvalidArgumentException("ShardId must be provided with ShardFilter of type AFTER_SHARD_ID.")
        after = shard_number(shard_filter["ShardId"])
        return [shard for shard in shards if after is None or shard.number > after]
    if kind == "AT_LATEST":
        return [shard for shard in shards if shard.is_open]
    if kind == "FROM_TRIM_HORIZON":
        return shards
    if kind == "AT_TRIM_HORIZON":
        present = {shard.shard_id for shard in shards}
        return [shard for shard in shards if not any(parent in present for parent in shard.parents)]
    if "Timestamp" not in shard_filter:
        raise InvalidArgumentException(f"Timestamp must be provided with ShardFilter of type {kind}.")
    moment = shard_filter["Timestamp"]
    if kind == "AT_TIMESTAMP":
        return [
            shard
            for shard in shards
            if (shard.created_at <= moment or not shard.parents)
            and (shard.closed_at is None or shard.closed_at > moment)
        ]
    return [shard for shard in shards if shard.closed_at is None or shard.closed_at > moment]  # FROM_TIMESTAMP


def children_of(shard: Shard) -> list[Shard]:
    return [child for child in shard.stream.shards.filter(number__gt=shard.number) if shard.shard_id in child.parents]


TOKEN_SECONDS = 300


def shard_list(
    stream: Stream,
    *,
    exclusive_start_shard_id: str | None,
    max_results: int | None,
    shard_filter: dict[str, Any] | None,
    after_number: int | None = None,
    now: dt.datetime,
) -> dict[str, Any]:
    listed = filter_shards(live_shards(stream, now=now), shard_filter, now=now)
    if exclusive_start_shard_id:
        start = shard_number(exclusive_start_shard_id)
        listed = [shard for shard in listed if start is None or shard.number > start]
    if after_number is not None:
        listed = [shard for shard in listed if shard.number > after_number]
    page = listed[: max_results or 1000]
    output: dict[str, Any] = {"Shards": [shard_output(shard) for shard in page]}
    if len(listed) > len(page):
        output["NextToken"] = _list_token(stream, page[-1].number, now=now)
    return output


def _list_token(stream: Stream, after: int, *, now: dt.datetime) -> str:
    import base64
    import json

    text = json.dumps({"s": stream.name, "a": after, "t": int(now.timestamp())}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode()


def read_list_token(token: str, *, now: dt.datetime) -> tuple[str, int]:
    """(stream name, shard number to list after) from ListShards' NextToken."""
    import base64
    import binascii
    import json

    try:
        document = json.loads(base64.urlsafe_b64decode(token.encode()))
        name, after, made = str(document["s"]), int(document["a"]), int(document["t"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidArgumentException(f"Invalid ShardId-based NextToken {token}.") from None
    if now.timestamp() - made > TOKEN_SECONDS:
        from services.kinesis.exceptions import ExpiredNextTokenException

        raise ExpiredNextTokenException(
            f"The timestamp of the NextToken is older than the maximum allowed time of {TOKEN_SECONDS} seconds."
        )
    return name, after
