"""Log events through boto3: PutLogEvents' limits and rejections, GetLogEvents' tokens,
FilterLogEvents across streams, and retention on the sandbox clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of
from tests.services.logs.conftest import day_ms, unchecked

pytestmark = pytest.mark.live

HOUR_MS = 3_600_000


def test_put_rejects_too_old_too_new_and_expired(
    logs: Any, make_stream: Callable[..., tuple[str, str]], paused: None, now_ms: Callable[[], int]
) -> None:
    group, stream = make_stream()
    now = now_ms()
    old = [
        {"timestamp": now - day_ms(14.05), "message": "too old"},
        {"timestamp": now - day_ms(13.5), "message": "old"},
    ]
    answer = logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=old)
    assert answer["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 0}
    batch = [
        {"timestamp": now - 1000, "message": "kept 1"},
        {"timestamp": now, "message": "kept 2"},
        {"timestamp": now + 3 * HOUR_MS, "message": "too new"},
    ]
    answer = logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)
    assert answer["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 2}
    assert "nextSequenceToken" in answer
    events = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]
    assert [event["message"] for event in events] == ["old", "kept 1", "kept 2"]

    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    answer = logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[
            {"timestamp": now - day_ms(1.5), "message": "expired"},
            {"timestamp": now - day_ms(0.6), "message": "fresh"},
        ],
    )
    assert answer["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 0}
    # Old clients still send sequence tokens: accepted and ignored, as AWS does since 2023.
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now, "message": "with token"}],
        sequenceToken="12345",
    )


def test_put_batch_errors(
    logs: Any, aws: Callable[..., Any], make_stream: Callable[..., tuple[str, str]], now_ms: Callable[[], int]
) -> None:
    group, stream = make_stream()
    now = now_ms()
    with pytest.raises(ClientError) as caught:
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 10, "message": "a"}],
        )
    assert error_of(caught) == (
        "InvalidParameterException",
        400,
        "Log events in a single PutLogEvents request must be in chronological order.",
    )
    with pytest.raises(ClientError) as caught:
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": now - 25 * HOUR_MS, "message": "a"}, {"timestamp": now, "message": "b"}],
        )
    assert error_of(caught) == (
        "InvalidParameterException",
        400,
        "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
    )
    big = "x" * 600_000
    with pytest.raises(ClientError) as caught:
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": now, "message": big}, {"timestamp": now, "message": big}],
        )
    assert error_of(caught) == (
        "InvalidParameterException",
        400,
        "Upload too large: 1200052 bytes exceeds limit of 1048576",
    )
    with pytest.raises(ClientError) as caught:
        logs.put_log_events(logGroupName=group, logStreamName="nope", logEvents=[{"timestamp": now, "message": "x"}])
    assert error_of(caught) == ("ResourceNotFoundException", 400, "The specified log stream does not exist.")
    with pytest.raises(ClientError) as caught:
        unchecked(aws).put_log_events(logGroupName=group, logStreamName=stream, logEvents=[])
    code, status, message = error_of(caught)
    assert (code, status) == ("InvalidParameterException", 400)
    assert message.startswith("1 validation error detected: ")
    assert "'logEvents'" in message
    assert logs.get_log_events(logGroupName=group, logStreamName=stream)["events"] == []


def test_get_log_events_tokens(
    logs: Any, make_stream: Callable[..., tuple[str, str]], paused: None, now_ms: Callable[[], int]
) -> None:
    group, stream = make_stream()
    now = now_ms()
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now - 100 + index, "message": f"event {index}"} for index in range(10)],
    )
    # From the tail by default: the newest `limit` events, oldest first.
    tail = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=3)
    assert [event["message"] for event in tail["events"]] == ["event 7", "event 8", "event 9"]
    older = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=3, nextToken=tail["nextBackwardToken"])
    assert [event["message"] for event in older["events"]] == ["event 4", "event 5", "event 6"]
    head = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=4, startFromHead=True)
    assert [event["message"] for event in head["events"]] == ["event 0", "event 1", "event 2", "event 3"]
    following = logs.get_log_events(logGroupName=group, logStreamName=stream, nextToken=head["nextForwardToken"])
    assert [event["message"] for event in following["events"]] == [f"event {index}" for index in range(4, 10)]
    # At the end the same token comes back: how a reader knows it has caught up.
    end = logs.get_log_events(logGroupName=group, logStreamName=stream, nextToken=following["nextForwardToken"])
    assert end["events"] == []
    assert end["nextForwardToken"] == following["nextForwardToken"]
    window = logs.get_log_events(logGroupName=group, logStreamName=stream, startTime=now - 98, endTime=now - 96)
    assert [event["message"] for event in window["events"]] == ["event 2", "event 3"]
    assert window["events"][0]["ingestionTime"] >= now
    with pytest.raises(ClientError) as caught:
        logs.get_log_events(logGroupName=group, logStreamName=stream, nextToken="bogus")
    assert error_of(caught) == ("InvalidParameterException", 400, "The specified nextToken is invalid.")


def test_filter_interleaves_streams_with_paging(
    logs: Any, make_stream: Callable[..., tuple[str, str]], paused: None, now_ms: Callable[[], int]
) -> None:
    group, _ = make_stream(stream="web-1")
    logs.create_log_stream(logGroupName=group, logStreamName="web-2")
    logs.create_log_stream(logGroupName=group, logStreamName="worker")
    now = now_ms()
    for offset, name in ((0, "web-1"), (1, "web-2"), (2, "worker")):
        logs.put_log_events(
            logGroupName=group,
            logStreamName=name,
            logEvents=[
                {"timestamp": now - 1000 + offset + 10 * index, "message": f"{name} ERROR {index}"}
                for index in range(3)
            ],
        )
    found = logs.filter_log_events(logGroupName=group, filterPattern="ERROR")["events"]
    assert [(event["logStreamName"], event["message"][-1]) for event in found] == [
        ("web-1", "0"),
        ("web-2", "0"),
        ("worker", "0"),
        ("web-1", "1"),
        ("web-2", "1"),
        ("worker", "1"),
        ("web-1", "2"),
        ("web-2", "2"),
        ("worker", "2"),
    ]
    assert len({event["eventId"] for event in found}) == 9
    prefixed = logs.filter_log_events(logGroupName=group, logStreamNamePrefix="web", filterPattern="-worker")
    assert len(prefixed["events"]) == 6
    named = logs.filter_log_events(logGroupName=group, logStreamNames=["worker"], startTime=now - 990, endTime=now)
    assert [event["message"] for event in named["events"]] == ["worker ERROR 1", "worker ERROR 2"]
    pages = []
    token = None
    while True:
        kwargs: dict[str, str] = {"nextToken": token} if token else {}
        page = logs.filter_log_events(logGroupName=group, limit=4, **kwargs)
        pages.append([event["message"] for event in page["events"]])
        token = page.get("nextToken")
        if not token:
            break
    assert [len(page) for page in pages] == [4, 4, 1]
    paginated = logs.get_paginator("filter_log_events").paginate(logGroupName=group, PaginationConfig={"PageSize": 2})
    assert sum(len(page["events"]) for page in paginated) == 9
    with pytest.raises(ClientError) as caught:
        logs.filter_log_events(logGroupName=group, filterPattern="{ $.a = ")
    assert error_of(caught) == ("InvalidParameterException", 400, "Invalid filter pattern")
    with pytest.raises(ClientError) as caught:
        logs.filter_log_events(logGroupName="nowhere")
    assert error_of(caught) == ("ResourceNotFoundException", 400, "The specified log group does not exist.")


def test_retention_expires_events_on_the_clock(
    logs: Any,
    make_stream: Callable[..., tuple[str, str]],
    paused: None,
    now_ms: Callable[[], int],
    advance: Callable[[float], None],
) -> None:
    group, stream = make_stream()
    now = now_ms()
    logs.put_log_events(
        logGroupName=group, logStreamName=stream, logEvents=[{"timestamp": now - day_ms(2), "message": "old"}]
    )
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[{"timestamp": now, "message": "new"}])
    assert len(logs.filter_log_events(logGroupName=group)["events"]) == 2
    logs.put_retention_policy(logGroupName=group, retentionInDays=3)
    assert len(logs.filter_log_events(logGroupName=group)["events"]) == 2
    advance(day_ms(1.5) / 1000)
    assert [event["message"] for event in logs.filter_log_events(logGroupName=group)["events"]] == ["new"]
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["storedBytes"] == len("new") + 26
    advance(day_ms(2) / 1000)
    assert logs.filter_log_events(logGroupName=group)["events"] == []
    assert logs.get_log_events(logGroupName=group, logStreamName=stream)["events"] == []


def test_batches_that_overlap_in_time_read_as_one_timeline(
    logs: Any, make_stream: Callable[..., tuple[str, str]], paused: None, now_ms: Callable[[], int]
) -> None:
    """A stream's batches may overlap in time (each is in order, they need not be): GetLogEvents
    and FilterLogEvents read them merged by timestamp, events of one timestamp in arrival order,
    and their tokens page through the merge both ways."""
    group, stream = make_stream()
    now = now_ms()
    expected: list[tuple[int, int, str]] = []  # (timestamp, arrival, message)
    arrival = 0
    for batch in range(3):
        stamps = [now - 1000 + 3 * index + batch for index in range(8)] + [now - 500] * 2
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": stamp, "message": f"b{batch} e{index}"} for index, stamp in enumerate(stamps)],
        )
        for index, stamp in enumerate(stamps):
            expected.append((stamp, arrival, f"b{batch} e{index}"))
            arrival += 1
    timeline = [message for _, _, message in sorted(expected)]

    forward: list[str] = []
    page = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=4, startFromHead=True)
    while page["events"]:
        forward += [event["message"] for event in page["events"]]
        page = logs.get_log_events(
            logGroupName=group, logStreamName=stream, limit=4, nextToken=page["nextForwardToken"]
        )
    assert forward == timeline

    backward: list[list[str]] = []
    page = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=4)
    while page["events"]:
        backward.insert(0, [event["message"] for event in page["events"]])
        page = logs.get_log_events(
            logGroupName=group, logStreamName=stream, limit=4, nextToken=page["nextBackwardToken"]
        )
    assert [message for messages in backward for message in messages] == timeline
    assert [len(messages) for messages in backward][-1] == 4

    filtered: list[dict[str, Any]] = []
    token = None
    while True:
        kwargs: dict[str, str] = {"nextToken": token} if token else {}
        found = logs.filter_log_events(logGroupName=group, limit=5, filterPattern="e1 ?e2", **kwargs)
        filtered += found["events"]
        token = found.get("nextToken")
        if not token:
            break
    everything = logs.filter_log_events(logGroupName=group)["events"]
    assert [event["message"] for event in everything] == timeline
    assert [event["message"] for event in filtered] == [message for message in timeline if "e1" in message]
    ids = {event["message"]: event["eventId"] for event in everything}
    assert len(set(ids.values())) == len(timeline)
    # Ties on a timestamp come in arrival order, and event ids grow with arrival.
    tied = [event for event in everything if event["timestamp"] == now - 500]
    assert [event["message"] for event in tied] == ["b0 e8", "b0 e9", "b1 e8", "b1 e9", "b2 e8", "b2 e9"]
    assert [event["eventId"] for event in tied] == sorted(event["eventId"] for event in tied)
    window = logs.filter_log_events(logGroupName=group, startTime=now - 995, endTime=now - 991)["events"]
    assert [event["timestamp"] - now for event in window] == [-995, -994, -993, -992, -991]


def test_retention_cuts_a_batch_event_by_event(
    logs: Any,
    make_stream: Callable[..., tuple[str, str]],
    paused: None,
    now_ms: Callable[[], int],
    advance: Callable[[float], None],
) -> None:
    """The events of one batch expire one by one as the clock passes each: stored bytes count
    only what is left, and what is left keeps its event ids."""
    group, stream = make_stream()
    now = now_ms()
    messages = ["twenty hours", "sixteen", "twelve", "eight", "four", "now"]
    stamps = [now - HOUR_MS * hours for hours in (20, 16, 12, 8, 4, 0)]
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": stamp, "message": message} for stamp, message in zip(stamps, messages, strict=True)],
    )
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    before = {event["message"]: event["eventId"] for event in logs.filter_log_events(logGroupName=group)["events"]}
    advance(HOUR_MS * 10 / 1000)  # the events of 20 and 16 hours ago are now past a day old
    left = logs.filter_log_events(logGroupName=group)["events"]
    assert [event["message"] for event in left] == messages[2:]
    assert {event["message"]: event["eventId"] for event in left} == {name: before[name] for name in messages[2:]}
    stored = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["storedBytes"]
    assert stored == sum(len(message) + 26 for message in messages[2:])
    tail = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=2)
    assert [event["message"] for event in tail["events"]] == ["four", "now"]
    advance(HOUR_MS * 30 / 1000)
    assert logs.filter_log_events(logGroupName=group)["events"] == []
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["storedBytes"] == 0


def test_filter_words_with_quotes_and_other_scripts(
    logs: Any, make_stream: Callable[..., tuple[str, str]], paused: None, now_ms: Callable[[], int]
) -> None:
    """The database picks the batches a filter's words may be in from their stored (JSON) form:
    words with quotes, backslashes, tabs and other scripts are found all the same."""
    group, stream = make_stream()
    now = now_ms()
    lines = ['say "hi" now', "path C:\\temp\\x", "tab\there", "naïve café 東京", "50% off_sale", "plain"]
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now, "message": line} for line in lines],
    )
    for pattern, expected in (
        ('"say \\"hi\\""', lines[0]),
        ('"C:\\\\temp"', lines[1]),
        ("café", lines[3]),
        ("東京", lines[3]),
        ('"50%"', lines[4]),
        ("off_sale", lines[4]),
    ):
        found = logs.filter_log_events(logGroupName=group, filterPattern=pattern)["events"]
        assert [event["message"] for event in found] == [expected], pattern
    assert [event["message"] for event in logs.filter_log_events(logGroupName=group, filterPattern="_")["events"]] == [
        lines[4]
    ]
