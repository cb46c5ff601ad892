"""Log events in and out: PutLogEvents with AWS's limits and rejection rules, GetLogEvents with
forward and backward tokens, FilterLogEvents across a group's streams.

PutLogEvents refuses the whole batch for its own problems (too large, out of order, spanning more
than 24 hours) and, among valid batches, stores what it can: events more than 2 hours in the
future, more than 14 days old, or older than the group's retention are left out and reported in
rejectedLogEventsInfo by index, as AWS reports them. Sequence tokens are accepted and ignored, as
AWS has done since January 2023 (no InvalidSequenceTokenException, no DataAlreadyAcceptedException).
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import heapq
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from django.db import connection

from playground.db import update_many

from . import delivery, events, metrics
from .exceptions import InvalidParameterException
from .groups import epoch_ms, oldest_kept, sequence_token
from .models import EVENTS_PER_CHUNK, LogChunk, LogGroup, LogStream, MetricFilter, SubscriptionFilter
from .patterns import Pattern, PatternError, compile_pattern

MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
MAX_EVENT_BYTES = 1_048_576
MAX_PAST_MS = 14 * 86_400_000
MAX_FUTURE_MS = 2 * 3_600_000
MAX_SPAN_MS = 24 * 3_600_000
MAX_RESPONSE_BYTES = 1_048_576
DEFAULT_LIMIT = 10_000


class Stored(NamedTuple):
    """An event as the readers need it."""

    pk: int
    stream_name: str
    timestamp: int
    ingested: int
    message: str

    @property
    def event_id(self) -> str:
        return f"{self.pk:056d}"

    def size(self) -> int:
        return event_size(self.message)


def event_size(message: str) -> int:
    return (len(message) if message.isascii() else len(message.encode())) + EVENT_OVERHEAD


def put_events(
    stream: LogStream, *, log_events: list[dict[str, Any]], now: dt.datetime, writer: str | None = None
) -> dict[str, Any]:
    group = stream.group
    now_ms = epoch_ms(now)
    newest_allowed, oldest_allowed = now_ms + MAX_FUTURE_MS, now_ms - MAX_PAST_MS
    kept_from = oldest_kept(group, now=now)
    expires_after = group.retention_days * 86_400_000 if group.retention_days is not None else None
    # The batch's own problems first, in AWS's order (each refuses the whole batch); the checks
    # run over whole lists (10,000 events at most) in the interpreter's own loops.
    stamps = [int(event["timestamp"]) for event in log_events]
    messages = [event["message"] for event in log_events]
    sizes = [event_size(message) for message in messages]
    too_large = next((size for size in sizes if size > MAX_EVENT_BYTES), 0)
    if too_large:
        raise InvalidParameterException(f"Log event too large: {too_large} bytes exceeds limit of {MAX_EVENT_BYTES}")
    total = sum(sizes)
    if total > MAX_BATCH_BYTES:
        raise InvalidParameterException(f"Upload too large: {total} bytes exceeds limit of {MAX_BATCH_BYTES}")
    if stamps != sorted(stamps):
        raise InvalidParameterException("Log events in a single PutLogEvents request must be in chronological order.")
    if stamps and stamps[-1] - stamps[0] > MAX_SPAN_MS:
        raise InvalidParameterException(
            "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
        )
    # Then the events left out, by index: in a batch in time order, the too old and the expired
    # are at its start, the too new at its end.
    rejected: dict[str, int] = {}
    too_old = bisect.bisect_left(stamps, oldest_allowed)
    if too_old:
        rejected["tooOldLogEventEndIndex"] = too_old - 1
    keep_from = too_old
    if kept_from is not None and kept_from > oldest_allowed:
        keep_from = bisect.bisect_left(stamps, kept_from)
        if keep_from > too_old:
            rejected["expiredLogEventEndIndex"] = keep_from - 1
    keep_to = bisect.bisect_right(stamps, newest_allowed)
    if keep_to < len(stamps):
        rejected["tooNewLogEventStartIndex"] = keep_to
    if keep_from or keep_to < len(stamps):
        stamps, messages = stamps[keep_from:keep_to], messages[keep_from:keep_to]
        sizes = sizes[keep_from:keep_to]
    kept_size = sum(sizes)
    stream.uploads += 1
    if stamps:
        chunk = LogChunk.objects.create(
            sandbox_id=group.sandbox_id,
            group_id=group.pk,
            stream_id=stream.pk,
            first_timestamp=stamps[0],
            last_timestamp=stamps[-1],
            ingested=now_ms,
            count=len(stamps),
            size=kept_size,
            timestamps=json.dumps(stamps),
            messages=json.dumps(messages, ensure_ascii=False),
            expires=stamps[0] + expires_after if expires_after is not None else None,
        )
        first, last = stamps[0], stamps[-1]
        stream.first_event = first if stream.first_event is None else min(stream.first_event, first)
        stream.last_event = last if stream.last_event is None else max(stream.last_event, last)
        stream.last_ingestion = now_ms
    update_many(LogStream, _COUNTERS, [(stream.uploads, stream.first_event, stream.last_event,
                                        stream.last_ingestion, stream.pk)])  # fmt: skip
    if stamps:
        has_subscriptions, has_metric_filters = _filters_of(group)
        metric_filters = list(MetricFilter.objects.filter(group=group)) if has_metric_filters else []
        subscriptions = list(SubscriptionFilter.objects.filter(group=group)) if has_subscriptions else []
        if metric_filters or subscriptions:
            base = chunk.pk * EVENTS_PER_CHUNK
            stored = [
                Stored(base + index, stream.name, stamp, now_ms, message)
                for index, (stamp, message) in enumerate(zip(stamps, messages, strict=True))
            ]
            metrics.apply_filters(group, stored, filters=metric_filters, now=now)
            if subscriptions:
                delivery.enqueue(group, stored, subscriptions=subscriptions, now=now)
        events.events_put(group.sandbox, group=group, stream=stream, count=len(stamps), size=kept_size, now=now,
                          writer=writer)  # fmt: skip
    output: dict[str, Any] = {"nextSequenceToken": sequence_token(stream)}
    if rejected:
        output["rejectedLogEventsInfo"] = rejected
    return output


_COUNTERS = ("uploads", "first_event", "last_event", "last_ingestion")


def _filters_of(group: LogGroup) -> tuple[bool, bool]:
    """(has subscription filters, has metric filters): one statement of our own, since most groups
    have neither and every put (each Lambda invocation's log lines too) asks."""
    with connection.cursor() as cursor:
        cursor.execute(_filters_sql(connection.vendor), [group.pk, group.pk])
        row = cursor.fetchone()
    return bool(row[0]), bool(row[1])


@cache
def _filters_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    subscriptions, metric_filters = (
        f"{quote(model._meta.db_table)} WHERE {quote(str(model._meta.get_field('group').column))} = %s"
        for model in (SubscriptionFilter, MetricFilter)
    )
    return f"SELECT EXISTS (SELECT 1 FROM {subscriptions}), EXISTS (SELECT 1 FROM {metric_filters})"  # noqa: S608


# --- reading --------------------------------------------------------------------------------------
# Readers select the chunks that may hold what they want (by group or stream, time range, and for
# a filter the words its pattern requires), unpack them, and merge their events by (timestamp,
# event id): a stream's batches may overlap in time, and a group's streams interleave.

_CHUNK_COLUMNS = ("pk", "stream_id", "first_index", "ingested", "timestamps", "messages", "first_timestamp",
                  "last_timestamp")  # fmt: skip
ChunkRow = tuple[int, int, int, int, str, str, int, int]
CHUNKS_PER_FETCH = 20


@dataclass(frozen=True)
class Bounds:
    """Which events a reader wants: timestamps from `lower` to `upper` (both included, None: no
    bound), and past `after`, a (timestamp, event id) position (before it, reading backward)."""

    lower: int | None = None
    upper: int | None = None
    after: tuple[int, int] | None = None


def _window(stamps: list[int], base: int, bounds: Bounds, *, backward: bool) -> tuple[int, int]:
    """The slice of a chunk's events (time-ordered, ids base, base + 1, ...) within the bounds."""
    low = 0 if bounds.lower is None else bisect.bisect_left(stamps, bounds.lower)
    high = len(stamps) if bounds.upper is None else bisect.bisect_right(stamps, bounds.upper)
    if bounds.after is not None:
        stamp, event_id = bounds.after
        same_from, same_to = bisect.bisect_left(stamps, stamp), bisect.bisect_right(stamps, stamp)
        if backward:  # events before the position: (timestamp, id) < (stamp, event_id)
            high = min(high, max(same_from, min(same_to, event_id - base)))
        else:
            low = max(low, min(same_to, max(same_from, event_id - base + 1)))
    return low, high


def _merged(
    chunks: Iterator[ChunkRow],
    names: dict[int, str],
    bounds: Bounds,
    *,
    backward: bool = False,
    keep: Callable[[str], bool] | None = None,
) -> Iterator[Stored]:
    """The chunks' events in (timestamp, id) order, or its reverse; with `keep`, only those whose
    message it keeps. The chunks come ordered by their first timestamp (backward: by their last,
    newest first), so a chunk is unpacked only when the merge reaches its time."""
    sign = -1 if backward else 1
    # Heap items: (sign * timestamp, sign * id, an open chunk, the place of its next event, its end).
    heap: list[tuple[int, int, _Unpacked, int, int]] = []
    pending = next(chunks, None)
    while True:
        while pending is not None and (not heap or sign * _edge(pending, backward) <= heap[0][0]):
            unpacked = _unpack(pending, names)
            low, high = _window(unpacked.stamps, unpacked.base, bounds, backward=backward)
            if low < high:
                place = high - 1 if backward else low
                end = low - 1 if backward else high
                heap_item = (sign * unpacked.stamps[place], sign * (unpacked.base + place), unpacked, place, end)
                heapq.heappush(heap, heap_item)
            pending = next(chunks, None)
        if not heap:
            return
        _, _, unpacked, place, end = heap[0]
        if len(heap) == 1:
            # One chunk open (the usual case: a stream's batches follow each other in time): its
            # events before the next chunk's time need no merging.
            stop = end if pending is None else _run_end(unpacked.stamps, place, end, _edge(pending, backward), backward)
        else:
            stop = place + sign
        for at in range(place, stop, sign):
            if keep is None or keep(unpacked.messages[at]):
                yield unpacked.event(at)
        if stop == end:
            heapq.heappop(heap)
        else:
            heapq.heapreplace(heap, (sign * unpacked.stamps[stop], sign * (unpacked.base + stop), unpacked, stop, end))


def _run_end(stamps: list[int], place: int, end: int, edge: int, backward: bool) -> int:
    """Where a run of one chunk's events from `place` stops: before the first event at or past
    `edge`, the next chunk's time (it is past `place`'s: the merge opened that chunk otherwise)."""
    if backward:
        return bisect.bisect_right(stamps, edge, end + 1, place + 1) - 1
    return bisect.bisect_left(stamps, edge, place, end)


class _Unpacked(NamedTuple):
    base: int  # the id of the chunk's event 0 (ids count from first_index on)
    stream_name: str
    ingested: int
    stamps: list[int]
    messages: list[str]

    def event(self, place: int) -> Stored:
        return Stored(self.base + place, self.stream_name, self.stamps[place], self.ingested, self.messages[place])


def _unpack(row: ChunkRow, names: dict[int, str]) -> _Unpacked:
    pk, stream_id, first_index, ingested, stamps, messages, _, _ = row
    return _Unpacked(
        pk * EVENTS_PER_CHUNK + first_index,
        names.get(stream_id, ""),
        ingested,
        json.loads(stamps),
        json.loads(messages),
    )


def _edge(row: ChunkRow, backward: bool) -> int:
    """A chunk's first timestamp (backward: its last)."""
    return row[7] if backward else row[6]


def _chunks(rows: Any, bounds: Bounds, *, backward: bool = False) -> Iterator[ChunkRow]:
    """The rows of chunks that may hold events within the bounds, ordered for _merged."""
    if bounds.lower is not None:
        rows = rows.filter(last_timestamp__gte=bounds.lower)
    if bounds.upper is not None:
        rows = rows.filter(first_timestamp__lte=bounds.upper)
    if bounds.after is not None:
        stamp, _ = bounds.after
        rows = rows.filter(first_timestamp__lte=stamp) if backward else rows.filter(last_timestamp__gte=stamp)
    ordering = ("-last_timestamp", "-id") if backward else ("first_timestamp", "id")
    return _fetched(rows.order_by(*ordering))


def _fetched(rows: Any) -> Iterator[ChunkRow]:
    """The chunks' columns, a few rows at a time from the database: a chunk holds up to 1 MB of
    messages, and a reader often stops within the first."""
    return rows.values_list(*_CHUNK_COLUMNS).iterator(chunk_size=CHUNKS_PER_FETCH)


def _stream_names(group: LogGroup) -> dict[int, str]:
    return dict(LogStream.objects.filter(group=group).values_list("pk", "name"))


def _lower(group: LogGroup, start: int | None, *, now: dt.datetime) -> int | None:
    """The oldest timestamp a reader may return: its start, and the group's retention."""
    kept_from = oldest_kept(group, now=now)
    bounds = [value for value in (kept_from, start) if value is not None]
    return max(bounds) if bounds else None


def _event_output(event: Stored, *, with_stream: bool) -> dict[str, Any]:
    output: dict[str, Any] = {"timestamp": event.timestamp, "message": event.message, "ingestionTime": event.ingested}
    if with_stream:
        output = {"logStreamName": event.stream_name, **output, "eventId": event.event_id}
    return output


def _position_token(direction: str, timestamp: int, pk: int) -> str:
    return f"{direction}/{timestamp:020d}{pk:036d}"


def _read_position(token: str) -> tuple[str, int, int]:
    direction, _, digits = token.partition("/")
    if direction not in ("f", "b") or len(digits) != 56 or not digits.isdigit():
        raise InvalidParameterException("The specified nextToken is invalid.")
    return direction, int(digits[:20]), int(digits[20:])


def get_events(
    stream: LogStream,
    *,
    start: int | None,
    end: int | None,
    token: str | None,
    limit: int | None,
    start_from_head: bool,
    now: dt.datetime,
) -> dict[str, Any]:
    group = stream.group
    size = limit or DEFAULT_LIMIT
    forward = start_from_head
    after = None
    if token:
        direction, stamp, pk = _read_position(token)
        forward, after = direction == "f", (stamp, pk)
    bounds = Bounds(lower=_lower(group, start, now=now), upper=end - 1 if end is not None else None, after=after)
    chunks = _chunks(LogChunk.objects.filter(stream=stream), bounds, backward=not forward)
    picked: list[Stored] = []
    total = 0
    for event in _merged(chunks, {stream.pk: stream.name}, bounds, backward=not forward):
        total += event.size()
        if len(picked) == size or (total > MAX_RESPONSE_BYTES and picked):
            break
        picked.append(event)
    if not forward:
        picked.reverse()
    if picked:
        first, last = picked[0], picked[-1]
        forward_token = _position_token("f", last.timestamp, last.pk)
        backward_token = _position_token("b", first.timestamp, first.pk)
    elif token:
        # At the end (or start) of the stream: the token given comes back, as AWS answers.
        _, stamp, pk = _read_position(token)
        forward_token, backward_token = _position_token("f", stamp, pk), _position_token("b", stamp, pk)
    else:
        edge = start if start is not None else 0
        forward_token, backward_token = _position_token("f", edge, 0), _position_token("b", edge, 0)
    return {
        "events": [_event_output(event, with_stream=False) for event in picked],
        "nextForwardToken": forward_token,
        "nextBackwardToken": backward_token,
    }


def compile_or_refuse(text: str | None, *, what: str = "filter") -> Pattern:
    try:
        return compile_pattern(text)
    except PatternError:
        raise InvalidParameterException(f"Invalid {what} pattern") from None


def _filter_token(timestamp: int, pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([timestamp, pk]).encode()).decode()


def _read_filter_token(token: str) -> tuple[int, int]:
    try:
        timestamp, pk = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(timestamp), int(pk)
    except (ValueError, TypeError):
        raise InvalidParameterException("The specified nextToken is invalid.") from None


def scan(
    group: LogGroup,
    *,
    stream_ids: list[int] | None,
    start: int | None,
    end: int | None,
    after: tuple[int, int] | None,
    now: dt.datetime,
    required: tuple[str, ...] = (),
) -> Iterator[Stored]:
    """The group's events in time order (timestamp, then arrival), within retention; with
    `required`, only those whose message contains each text (a superset of what the pattern
    matches, which the pattern then narrows)."""
    rows = LogChunk.objects.filter(group=group)
    for text in required:
        # The messages column is JSON, which escapes a text character by character: the escaped
        # text is in it wherever the text is in a message.
        rows = rows.filter(messages__contains=json.dumps(text, ensure_ascii=False)[1:-1])
    if stream_ids is not None:
        rows = rows.filter(stream_id__in=stream_ids)
    bounds = Bounds(lower=_lower(group, start, now=now), upper=end, after=after)
    # The chunks picked hold each text somewhere; the events are narrowed here (case-sensitive,
    # as PostgreSQL's LIKE is), before any pattern parses a message.
    keep = (lambda message: all(text in message for text in required)) if required else None
    return _merged(_chunks(rows, bounds), _stream_names(group), bounds, keep=keep)


def filter_events(
    group: LogGroup,
    *,
    stream_names: list[str] | None,
    stream_prefix: str | None,
    start: int | None,
    end: int | None,
    pattern_text: str | None,
    token: str | None,
    limit: int | None,
    now: dt.datetime,
) -> dict[str, Any]:
    if stream_names and stream_prefix:
        raise InvalidParameterException("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
    pattern = compile_or_refuse(pattern_text)
    stream_ids: list[int] | None = None
    if stream_names:
        stream_ids = list(LogStream.objects.filter(group=group, name__in=stream_names).values_list("pk", flat=True))
    elif stream_prefix:
        stream_ids = list(
            LogStream.objects.filter(group=group, name__startswith=stream_prefix).values_list("pk", flat=True)
        )
    after = _read_filter_token(token) if token else None
    size = limit or DEFAULT_LIMIT
    found: list[Stored] = []
    total = 0
    more = False
    for event in scan(
        group, stream_ids=stream_ids, start=start, end=end, after=after, now=now, required=pattern.required
    ):
        if pattern.kind != "all" and not pattern.matches(event.message):
            continue
        if len(found) == size or (total + event.size() > MAX_RESPONSE_BYTES and found):
            more = True
            break
        total += event.size()
        found.append(event)
    output: dict[str, Any] = {
        "events": [_event_output(event, with_stream=True) for event in found],
        "searchedLogStreams": [],
    }
    if more:
        output["nextToken"] = _filter_token(found[-1].timestamp, found[-1].pk)
    return output


def _by_arrival(rows: Any, names: dict[int, str], *, after: int = -1, newest_first: bool = False) -> Iterator[Stored]:
    """The events of the chunks `rows` (ordered by id: oldest first, or newest first) in arrival
    order or its reverse; oldest first, only those with ids above `after`."""
    for row in _fetched(rows):
        chunk = _unpack(row, names)
        if newest_first:
            places = range(len(chunk.stamps) - 1, -1, -1)
        else:
            places = range(max(0, after - chunk.base + 1), len(chunk.stamps))
        for place in places:
            yield chunk.event(place)


def newest_since(group: LogGroup, *, after: int, pattern: Pattern, limit: int, now: dt.datetime) -> list[Stored]:
    """The live tail: events that arrived after event `after` (its id), within retention and
    matching the pattern (among the first 5,000 that arrived)."""
    lower = oldest_kept(group, now=now)
    rows = LogChunk.objects.filter(group=group, pk__gte=after // EVENTS_PER_CHUNK).order_by("id")
    kept = (event for event in _by_arrival(rows, _stream_names(group), after=after)
            if lower is None or event.timestamp >= lower)  # fmt: skip
    matched = [event for event in itertools.islice(kept, 5000) if pattern.matches(event.message)]
    return matched[-limit:]


def newest(group: LogGroup, count: int) -> list[Stored]:
    """The last `count` events that arrived in the group, oldest first."""
    rows = LogChunk.objects.filter(group=group).order_by("-id")
    return list(itertools.islice(_by_arrival(rows, _stream_names(group), newest_first=True), count))[::-1]


def newest_id(group: LogGroup) -> int:
    row = LogChunk.objects.filter(group=group).order_by("-id").values_list("pk", "first_index", "count").first()
    if row is None:
        return 0
    pk, first_index, count = row
    return pk * EVENTS_PER_CHUNK + first_index + count - 1
