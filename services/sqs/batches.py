"""The batch actions' shared rules (SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch).

The request as a whole is refused when it has no entry (EmptyBatchRequest), more than 10
(TooManyEntriesInBatchRequest), an entry id that is not 1-80 of [A-Za-z0-9_-] (InvalidBatchEntryId)
or an id twice (BatchEntryIdsNotDistinct); SendMessageBatch also when its messages together exceed
1 MiB (BatchRequestTooLong). Otherwise each entry succeeds or fails on its own: a failed entry is
reported in Failed with the error code and message a single call would have given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from services.sqs.exceptions import (
    BatchEntryIdsNotDistinct,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    SqsError,
    TooManyEntriesInBatchRequest,
)

MAX_ENTRIES = 10
MAX_BATCH_BYTES = 1_048_576
ENTRY_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
T = TypeVar("T")


@dataclass(frozen=True)
class EntryFailure:
    id: str
    code: str
    message: str
    sender_fault: bool = True

    @classmethod
    def of(cls, entry_id: str, error: SqsError) -> EntryFailure:
        return cls(entry_id, error.code, error.message, error.status < 500)

    def as_output(self) -> dict[str, Any]:
        return {"Id": self.id, "SenderFault": self.sender_fault, "Code": self.code, "Message": self.message}


def check_entries(entries: Sequence[dict[str, Any]] | None, *, entry_shape: str) -> list[dict[str, Any]]:
    """The batch-level checks; the entries when they pass."""
    entries = list(entries or [])
    if not entries:
        raise EmptyBatchRequest(f"There should be at least one {entry_shape} in the request.")
    if len(entries) > MAX_ENTRIES:
        raise TooManyEntriesInBatchRequest(
            f"Maximum number of entries per request are {MAX_ENTRIES}. You have sent {len(entries)}."
        )
    seen: set[str] = set()
    for entry in entries:
        entry_id = str(entry.get("Id") or "")
        if not ENTRY_ID.match(entry_id):
            raise InvalidBatchEntryId(
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
                "It can be at most 80 letters long."
            )
        if entry_id in seen:
            raise BatchEntryIdsNotDistinct(f"Id {entry_id} repeated.")
        seen.add(entry_id)
    return entries


def each_entry(
    entries: list[dict[str, Any]], act: Callable[[dict[str, Any]], T]
) -> tuple[list[tuple[str, T]], list[EntryFailure]]:
    """Run `act` on each entry; (entry id, result) for the ones that succeeded and the failures."""
    done: list[tuple[str, T]] = []
    failed: list[EntryFailure] = []
    for entry in entries:
        try:
            done.append((entry["Id"], act(entry)))
        except SqsError as error:
            failed.append(EntryFailure.of(entry["Id"], error))
    return done, failed


def batch_output(successful: list[dict[str, Any]], failed: list[EntryFailure]) -> dict[str, Any]:
    return {"Successful": successful, "Failed": [failure.as_output() for failure in failed]}
