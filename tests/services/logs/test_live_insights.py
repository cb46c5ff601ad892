"""Logs Insights through boto3: StartQuery runs the query (fields, filter, parse, stats with
bin(), sort, limit, display) over the chosen groups and time range, GetQueryResults answers
with its rows and statistics, StopQuery and MalformedQueryException as AWS answers them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of

pytestmark = pytest.mark.live


def rows(answer: dict[str, Any]) -> list[dict[str, str]]:
    return [{cell["field"]: cell["value"] for cell in row} for row in answer["results"]]


def test_queries_over_json_and_text_events(
    logs: Any, make_stream: Callable[..., tuple[str, str]], paused: None, now_ms: Callable[[], int]
) -> None:
    group, stream = make_stream()
    now = now_ms()
    base = now - now % 300_000 - 600_000  # two five-minute bins before now
    events = [
        {"timestamp": base + 1_000, "message": json.dumps({"level": "ERROR", "latency": 120, "path": "/a"})},
        {"timestamp": base + 2_000, "message": json.dumps({"level": "INFO", "latency": 80, "path": "/b"})},
        {"timestamp": base + 3_000, "message": json.dumps({"level": "ERROR", "latency": 300, "path": "/a"})},
        {"timestamp": base + 301_000, "message": json.dumps({"level": "INFO", "latency": 40, "path": "/a"})},
        {"timestamp": base + 302_000, "message": "user=alice action=login took 15 ms"},
    ]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
    start, end = base // 1000 - 60, now // 1000 + 60

    def query(text: str) -> dict[str, Any]:
        query_id = logs.start_query(logGroupName=group, startTime=start, endTime=end, queryString=text)["queryId"]
        answer = logs.get_query_results(queryId=query_id)
        assert answer["status"] == "Complete"
        return answer

    errors = query('fields @timestamp, path, latency | filter level = "ERROR" | sort latency desc')
    assert [(row["path"], row["latency"]) for row in rows(errors)] == [("/a", "300"), ("/a", "120")]
    assert all("@ptr" in row for row in rows(errors))
    assert errors["statistics"]["recordsScanned"] == 5.0

    by_path = query(
        'filter path like "/" | stats count(*) as calls, avg(latency), max(latency), pct(latency, 50) by path'
        " | sort path"
    )
    assert [(row["path"], row["calls"], row["avg(latency)"], row["max(latency)"]) for row in rows(by_path)] == [
        ("/a", "3", "153.33333333333334", "300"),
        ("/b", "1", "80", "80"),
    ]
    binned = query("filter latency > 0 | stats count(*) as n, sum(latency) as total by bin(5m)")
    assert sorted((row["n"], row["total"]) for row in rows(binned)) == [("1", "40"), ("3", "500")]
    parsed = query(
        'filter @message like /user=/ | parse @message "user=* action=* took * ms" as who, what, ms'
        " | display who, what, ms"
    )
    assert rows(parsed) == [{"who": "alice", "what": "login", "ms": "15", "@ptr": rows(parsed)[0]["@ptr"]}]
    regex = query("parse @message /user=(?<who>\\w+)/ | filter who = 'alice' or who = 'bob' | display who")
    assert [row["who"] for row in rows(regex)] == ["alice"]
    limited = query("fields @message | sort @timestamp asc | limit 2")
    assert len(rows(limited)) == 2
    assert json.loads(rows(limited)[0]["@message"])["latency"] == 120
    newest = query("fields @timestamp, @message | limit 1")
    assert rows(newest)[0]["@message"].startswith("user=alice")

    query_id = logs.start_query(logGroupName=group, startTime=start, endTime=end, queryString="fields @message")[
        "queryId"
    ]
    assert logs.stop_query(queryId=query_id)["success"] is False
    assert query_id in [item["queryId"] for item in logs.describe_queries(logGroupName=group)["queries"]]


def test_query_errors(logs: Any, make_stream: Callable[..., tuple[str, str]]) -> None:
    group, _ = make_stream()
    with pytest.raises(ClientError) as caught:
        logs.start_query(logGroupName=group, startTime=0, endTime=10, queryString="fields @message | stats bogus(")
    code, status, message = error_of(caught)
    assert (code, status) == ("MalformedQueryException", 400)
    assert message.startswith("unexpected symbol found")
    with pytest.raises(ClientError) as caught:
        logs.start_query(logGroupName="/nowhere", startTime=0, endTime=10, queryString="fields @message")
    assert error_of(caught)[:2] == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as caught:
        logs.get_query_results(queryId="00000000-0000-0000-0000-000000000000")
    assert error_of(caught)[:2] == ("ResourceNotFoundException", 400)
