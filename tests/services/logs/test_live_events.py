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
