"""Sequence numbers and hash keys, as AWS shapes them.

A sequence number is 56 decimal digits, like AWS's: "49", the shard's number (14 digits) and the
record's counter in the shard (40 digits). Numbers therefore increase with every record put to a
shard, and a number tells which shard it came from (GetShardIterator refuses one from another
shard, as AWS does). The shard's StartingSequenceNumber is its counter 0.

A partition key maps to the 128-bit integer its MD5 digest spells (big-endian), and the record
goes to the open shard whose hash key range holds it; ExplicitHashKey gives the integer directly.
"""

from __future__ import annotations

import hashlib

HASH_SPACE = 2**128
MAX_HASH_KEY = HASH_SPACE - 1
_PREFIX = "49"


def sequence_number(shard_number: int, counter: int) -> str:
    return f"{_PREFIX}{shard_number:014d}{counter:040d}"


def shard_prefix(shard_number: int) -> str:
    """What every sequence number of the shard starts with: sequence_number(n, c) is
    shard_prefix(n) + counter_digits(c), for a put that numbers many records of one shard."""
    return f"{_PREFIX}{shard_number:014d}"


def counter_digits(counter: int) -> str:
    return f"{counter:040d}"


def parse_sequence_number(value: str) -> tuple[int, int] | None:
    """(shard number, counter) of a sequence number this emulator issued, else None."""
    if len(value) != 56 or not value.isdigit() or not value.startswith(_PREFIX):
        return None
    return int(value[2:16]), int(value[16:])


def hash_key(partition_key: str) -> int:
    return int.from_bytes(hash_digest(partition_key), "big")


def hash_digest(partition_key: str) -> bytes:
    """The hash key as its 16 big-endian bytes: digests compare as the integers they spell, so a
    put routes 500 records without making 500 integers (key_bytes turns an integer into this form)."""
    return hashlib.md5(partition_key.encode()).digest()  # noqa: S324 (AWS's mapping)


def key_bytes(key: int) -> bytes:
    return key.to_bytes(16, "big")


def uniform_ranges(count: int) -> list[tuple[int, int]]:
    """The hash key ranges of `count` shards splitting the space evenly, as CreateStream and
    UpdateShardCount (UNIFORM_SCALING) lay them out."""
    starts = [HASH_SPACE * index // count for index in range(count)]
    ends = [start - 1 for start in starts[1:]] + [MAX_HASH_KEY]
    return list(zip(starts, ends, strict=True))
