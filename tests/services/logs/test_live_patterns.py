"""The filter-pattern language, table-driven: each pattern against a corpus of events modelled on
the examples of AWS's "Filter pattern syntax" pages (unstructured, JSON and space-delimited
events), run through FilterLogEvents and TestMetricFilter alike, so that both answer from the one
engine. A row is (pattern, the indices of the corpus's events it matches); every row is as many
cases as its corpus has events. Patterns that do not parse get InvalidParameterException from
both operations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of

pytestmark = pytest.mark.live

UNSTRUCTURED = [
    "[ERROR 400] BAD REQUEST",
    "[ERROR 401] UNAUTHORIZED REQUEST",
    "[ERROR 419] MISSING ARGUMENTS",
    "[ERROR 420] INVALID ARGUMENTS",
    "[ERROR 500] INTERNAL SERVER ERROR",
    "[WARN 300] SLOW RESPONSE",
    "[INFO 200] OK",
    "[SUCCESS 200] AUTHORIZED REQUEST",
    "error: lowercase failure",
    "Exception in thread main",
]
ALL_U = list(range(len(UNSTRUCTURED)))

UNSTRUCTURED_CASES: list[tuple[str, list[int]]] = [
    ("", ALL_U),
    ("   ", ALL_U),
    ("ERROR", [0, 1, 2, 3, 4]),
    ("error", [8]),
    ("ARGUMENTS", [2, 3]),
    ("ERROR ARGUMENTS", [2, 3]),
    ("ARGUMENTS ERROR", [2, 3]),
    ("ERROR  INVALID   ARGUMENTS", [3]),
    ('"INTERNAL SERVER ERROR"', [4]),
    ('"SERVER ERROR"', [4]),
    ('"ERROR 4"', [0, 1, 2, 3]),
    ('"ERROR"', [0, 1, 2, 3, 4]),
    ('"error:"', [8]),
    ('"[INFO 200] OK"', [6]),
    ("?ERROR ?WARN", [0, 1, 2, 3, 4, 5]),
    ("?WARN ?INFO", [5, 6]),
    ("?ARGUMENTS ?Exception", [2, 3, 9]),
    ('?"SLOW RESPONSE" ?"BAD REQUEST"', [0, 5]),
    ("?nothing ?matches", []),
    ("ERROR -ARGUMENTS", [0, 1, 4]),
    ('ERROR -"INTERNAL SERVER"', [0, 1, 2, 3]),
    ("-ERROR", [5, 6, 7, 8, 9]),
    ("-200 -ERROR", [5, 8, 9]),
    ("REQUEST -UNAUTHORIZED", [0, 7]),
    ("REQUEST", [0, 1, 7]),
    ("AUTHORIZED", [1, 7]),
    ("200", [6, 7]),
    ("200 OK", [6]),
    ("thread", [9]),
    ("Exception", [9]),
    ("exception", []),
    ("ERROR ?ARGUMENTS", [0, 1, 2, 3, 4]),
    ("%AUTHORIZED%", [1, 7]),
    ("%^\\[ERROR%", [0, 1, 2, 3, 4]),
    ("%ERROR 4[0-9]{2}%", [0, 1, 2, 3]),
    ("%[Ee]rror%", [8]),
    ("%REQUEST$%", [0, 1, 7]),
    ("%\\d{3}%", [0, 1, 2, 3, 4, 5, 6, 7]),
    ("%^e%", [8]),
    ("%OK$%", [6]),
    ("%WARN|INFO%", [5, 6]),
    ("%[a-z]+:%", [8]),
    ("%colou?r%", []),
    ("%A.T.O%", [1, 7]),
    ("%S{2}%", [2, 7]),
    ("%^[A-Z]%", [9]),
    ("ERROR %4[0-9]{2}%", [0, 1, 2, 3]),
    ("-%ERROR%", [5, 6, 7, 8, 9]),
    ("?%WARN% ?%INFO%", [5, 6]),
]

JSON_EVENTS = [
    '{"eventType":"UpdateTrail","sourceIPAddress":"123.123.1.1","arrayKey":["value","another value"],'
    '"objectList":[{"name":"a","id":1},{"name":"b","id":2}],"SomeObject":null,"ThisFlag":true,"bandwidth":50,'
    '"latency":0.5,"user":{"id":1,"email":"John.Doe@example.com"}}',
    '{"eventType":"CreateTrail","sourceIPAddress":"10.0.0.1","arrayKey":["other"],"objectList":[{"name":"c","id":3}],'
    '"SomeObject":{"a":1},"ThisFlag":false,"bandwidth":80,"latency":2,"user":{"id":2,"email":"jane@example.com"},'
    '"errorCode":"AccessDenied"}',
    '{"eventType":"DeleteTrail","sourceIPAddress":"123.123.9.9","bandwidth":100,"user":{"id":3},'
    '"errorCode":"UnauthorizedOperation","message":"bind: address already in use"}',
    '{"eventType":"UpdateTrail","bandwidth":"seventy","ThisFlag":"true","user":{"id":"one"}}',
    "not json at all UpdateTrail",
    "[1, 2, 3]",
    '{"level":"ERROR","status":404,"nested":{"deep":{"value":-5}}}',
]

JSON_CASES: list[tuple[str, list[int]]] = [
    ('{ $.eventType = "UpdateTrail" }', [0, 3]),
    ("{ $.eventType = UpdateTrail }", [0, 3]),
    ('{$.eventType="UpdateTrail"}', [0, 3]),
    ('{ $.eventType != "UpdateTrail" }', [1, 2]),
    ('{ $.eventType = "*Trail" }', [0, 1, 2, 3]),
    ('{ $.eventType = "Update*" }', [0, 3]),
    ("{ $.eventType = *ate* }", [0, 1, 3]),
    ('{ $.eventType = "updatetrail" }', []),
    ("{ $.sourceIPAddress != 123.123.* }", [1]),
    ("{ $.sourceIPAddress = 123.123.* }", [0, 2]),
    ('{ $.arrayKey[0] = "value" }', [0]),
    ('{ $.arrayKey[1] = "another value" }', [0]),
    ('{ $.arrayKey[*] = "other" }', [1]),
    ("{ $.objectList[1].id = 2 }", [0]),
    ('{ $.objectList[0].name = "c" }', [1]),
    ("{ $.objectList[*].id = 3 }", [1]),
    ('{ $.user.* = "jane@example.com" }', [1]),
    ("{ $.SomeObject IS NULL }", [0]),
    ("{ $.SomeObject NOT EXISTS }", [2, 3, 6]),
    ("{ $.ThisFlag IS TRUE }", [0]),
    ("{ $.ThisFlag IS FALSE }", [1]),
    ("{ $.bandwidth > 75 }", [1, 2]),
    ("{ $.bandwidth >= 80 }", [1, 2]),
    ("{ $.bandwidth < 60 }", [0]),
    ("{ $.bandwidth <= 50 }", [0]),
    ("{ $.bandwidth = 80 }", [1]),
    ("{ $.bandwidth != 80 }", [0, 2, 3]),
    ("{ $.latency = 0.5 }", [0]),
    ("{ $.latency > 1 }", [1]),
    ("{ $.latency > 1.5e0 }", [1]),
    ("{ $.user.id = 1 }", [0]),
    ('{ $.user.email = "John.Doe@example.com" }', [0]),
    ("{ ($.user.id = 1) && ($.bandwidth = 50) }", [0]),
    ("{ ($.user.id = 2) || ($.user.id = 3) }", [1, 2]),
    ("{ $.user.id = 1 && $.bandwidth > 75 }", []),
    ("{ $.user.id = 1 || $.bandwidth > 75 }", [0, 1, 2]),
    ('{ ($.user.id = 2 && $.latency > 1) || $.eventType = "DeleteTrail" }', [1, 2]),
    ('{ $.user.id = 2 && ($.latency > 1 || $.eventType = "DeleteTrail") }', [1]),
    ('{ $.eventType = "UpdateTrail" && $.ThisFlag IS TRUE }', [0]),
    ('{ $.errorCode = "AccessDenied" }', [1]),
    ("{ $.errorCode = %Access.*% }", [1]),
    ("{ $.errorCode = %^Unauth% }", [2]),
    ("{ $.errorCode != %Denied% }", [2]),
    ('{ $.errorCode = "*" }', [1, 2]),
    ("{ $.errorCode NOT EXISTS }", [0, 3, 6]),
    ('{ $.message = "bind: address already in use" }', [2]),
    ('{ $.level = "ERROR" && $.status = 404 }', [6]),
    ("{ $.nested.deep.value < 0 }", [6]),
    ("{ $.nested.deep.value = -5 }", [6]),
    ("{ $.status >= 400 && $.status < 500 }", [6]),
    ("{ $.missing = 1 }", []),
]

DELIMITED_EVENTS = [
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /index.html HTTP/1.0" 404 2234',
    '10.0.0.2 - bob [10/Oct/2000:13:50:35 -0700] "POST /login HTTP/1.1" 500 99',
    '192.168.0.1 - alice [10/Oct/2000:14:10:01 -0700] "GET /index.html HTTP/1.1" 200 5000',
    "2024-01-01 ERROR disk full",
    "2024-01-01 WARN slow",
]
ALL_D = list(range(len(DELIMITED_EVENTS)))
APACHE = "ip, user, username, timestamp, request"

DELIMITED_CASES: list[tuple[str, list[int]]] = [
    (f"[{APACHE}, status_code, bytes]", [0, 1, 2, 3]),
    (f"[{APACHE}, status_code = 404, bytes]", [1]),
    (f"[{APACHE}, status_code = 4*, bytes]", [1]),
    (f"[{APACHE}, status_code = 4* || status_code = 5*, bytes]", [1, 2]),
    (f"[{APACHE}, status_code != 200, bytes]", [1, 2]),
    (f"[{APACHE}, status_code >= 400 && status_code < 500, bytes]", [1]),
    (f"[{APACHE}, status_code = %^[45]%, bytes]", [1, 2]),
    (f"[{APACHE}, status_code, bytes > 1000]", [0, 1, 3]),
    ("[..., status_code, bytes > 1000]", [0, 1, 3]),
    ("[..., bytes < 1000]", [2]),
    ("[ip = 127.0.0.1, ...]", [0, 1]),
    ("[ip = 127.*, ...]", [0, 1]),
    ("[ip != 127.0.0.1, ...]", [2, 3, 4, 5]),
    ("[ip, ..., bytes = 1534]", [0]),
    ("[ip, user, username = frank, ...]", [0, 1]),
    ('[ip, user, username = "bob", ...]', [2]),
    ('[ip, user, username, timestamp, request = "*index.html*", ...]', [1, 3]),
    ('[ip, user, username, timestamp, request = "POST*", ...]', [2]),
    ("[ip, user, username, timestamp, request = %^GET%, status_code = 200, bytes]", [0, 3]),
    ("[ip, user, username, timestamp = *13:5*, ...]", [2]),
    ("[date, level = ERROR, ...]", [4]),
    ("[date, level = ERROR || level = WARN, ...]", [4, 5]),
    ("[date, level, message]", [5]),
    ("[date, level, ...]", ALL_D),
    ("[date, level = WARN, message]", [5]),
    ("[a, b, c, d]", [4]),
    ("[...]", ALL_D),
    ("[..., bytes]", ALL_D),
    ("[ip, ..., status_code = 200, ...]", [0, 3]),
    ("[ip, ..., status_code = 500, ...]", [2]),
    (f"[{APACHE}, status_code, bytes, extra]", []),
    ("[w1 = 2024*, w2, ...]", [4, 5]),
    ("[w1, w2 = -, ...]", [0, 1, 2, 3]),
]

INVALID = [
    '"unclosed',
    "%a(b)%",
    "%something!%",
    "%a% %b% %c%",
    "{ $.eventType = }",
    "{ $.bandwidth > high }",
    "{ eventType = 1 }",
    "{ $.a = 1",
    "{ $.a.*.* = 1 }",
    "{ $.a > %x% }",
    "{ $.a[*].b = 1 && $.c.* = 2 && $.d.* = 3 && $.e.* = 4 }",
    "{ $.a = %x% && $.b = %y% && $.c = %z% }",
    "[ip, user",
    "[ip, status > abc]",
    "[a = %b(c)%]",
    "[a = %x%, b = %y%, c = %z%]",
    "[a, b = 1 && c = 2]",
]

CORPORA = {"unstructured": UNSTRUCTURED, "json": JSON_EVENTS, "delimited": DELIMITED_EVENTS}
CASES = [
    *(("unstructured", pattern, expected) for pattern, expected in UNSTRUCTURED_CASES),
    *(("json", pattern, expected) for pattern, expected in JSON_CASES),
    *(("delimited", pattern, expected) for pattern, expected in DELIMITED_CASES),
]


def test_the_table_is_hundreds_of_cases() -> None:
    cases = sum(len(CORPORA[corpus]) for corpus, _, _ in CASES) + len(INVALID) * 2
    assert cases >= 800


def test_patterns_match_alike_in_filter_log_events_and_test_metric_filter(
    logs: Any, paused: None, now_ms: Callable[[], int]
) -> None:
    now = now_ms()
    for corpus, messages in CORPORA.items():
        logs.create_log_group(logGroupName=corpus)
        logs.create_log_stream(logGroupName=corpus, logStreamName="s")
        logs.put_log_events(
            logGroupName=corpus,
            logStreamName="s",
            logEvents=[{"timestamp": now - 1000 + index, "message": text} for index, text in enumerate(messages)],
        )
    failures = []
    for corpus, pattern, expected in CASES:
        messages = CORPORA[corpus]
        wanted = [messages[index] for index in expected]
        filtered = [
            event["message"] for event in logs.filter_log_events(logGroupName=corpus, filterPattern=pattern)["events"]
        ]
        tested = logs.test_metric_filter(filterPattern=pattern, logEventMessages=messages)["matches"]
        numbers = [match["eventNumber"] - 1 for match in tested]
        if filtered != wanted or numbers != expected:
            failures.append((corpus, pattern, expected, [messages.index(text) for text in filtered], numbers))
    assert failures == []


@pytest.mark.parametrize("pattern", INVALID)
def test_invalid_patterns_are_refused_alike(logs: Any, pattern: str) -> None:
    with pytest.raises(ClientError) as caught:
        logs.test_metric_filter(filterPattern=pattern, logEventMessages=["x"])
    assert error_of(caught) == ("InvalidParameterException", 400, "Invalid metric filter pattern")
    logs.create_log_group(logGroupName="g")
    with pytest.raises(ClientError) as caught:
        logs.filter_log_events(logGroupName="g", filterPattern=pattern)
    assert error_of(caught) == ("InvalidParameterException", 400, "Invalid filter pattern")


def test_extracted_values(logs: Any) -> None:
    delimited = logs.test_metric_filter(
        filterPattern="[ip, user, username, timestamp, request, status_code = 4*, bytes]",
        logEventMessages=DELIMITED_EVENTS,
    )["matches"]
    assert delimited == [
        {
            "eventNumber": 2,
            "eventMessage": DELIMITED_EVENTS[1],
            "extractedValues": {
                "$ip": "127.0.0.1",
                "$user": "-",
                "$username": "frank",
                "$timestamp": "10/Oct/2000:13:35:22 -0700",
                "$request": "GET /index.html HTTP/1.0",
                "$status_code": "404",
                "$bytes": "2234",
            },
        }
    ]
    json_match = logs.test_metric_filter(
        filterPattern="{ $.bandwidth > 75 && $.user.id = 2 }", logEventMessages=JSON_EVENTS
    )["matches"]
    assert json_match[0]["extractedValues"] == {"$.bandwidth": "80", "$.user.id": "2"}
