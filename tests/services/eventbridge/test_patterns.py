"""The pattern language, table-driven: patterns and events after the examples of AWS's EventBridge
documentation ("Creating event patterns", "Content filtering", "Arrays in patterns", "$or"),
each pattern listing by hand the events it matches. Every (pattern, event) pair is asked of
TestEventPattern, and every pattern is also a rule with a queue target that a PutEvents of the
same events must reach exactly for the events listed. The refused patterns get AWS's reason."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from tests.services.eventbridge.conftest import unique

EC2 = "EC2 Instance State-change Notification"
EVENTS: dict[str, dict[str, Any]] = {
    "running": {
        "source": "com.example.ec2",
        "detail-type": EC2,
        "time": "2027-03-04T10:00:00Z",
        "resources": [
            "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
            "arn:aws:ec2:us-east-1:111122223333:instance/i-0a1b2c",
        ],
        "detail": {
            "instance-id": "i-b188560f",
            "state": "running",
            "c-count": 5,
            "d-count": 3,
            "x-limit": 301.8,
            "sourceIPAddress": "10.0.0.7",
            "FileName": "photo.png",
            "FilePath": "/home/user/lib/photo.png",
            "responseElements": None,
            "eventVersion": "",
            "tags": ["prod", "web"],
            "location": {"city": "Seattle", "zip": "98101"},
            "items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 3}],
        },
    },
    "stopped": {
        "source": "com.example.ec2",
        "detail-type": EC2,
        "time": "2027-04-01T00:00:00Z",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"],
        "detail": {
            "instance-id": "i-0abc",
            "state": "stopped",
            "c-count": 0,
            "d-count": 12,
            "x-limit": 123,
            "sourceIPAddress": "2001:db8::1",
            "FileName": "notes.TXT",
            "FilePath": "/srv/data/notes.TXT",
            "tags": ["dev"],
            "location": {"city": "Portland"},
            "items": [{"sku": "a", "qty": 3}],
        },
    },
    "initializing": {
        "source": "com.example.ec2",
        "detail-type": EC2,
        "time": "2027-04-01T00:00:00Z",
        "resources": [],
        "detail": {
            "state": "initializing",
            "c-count": -1,
            "x-limit": "301.8",
            "sourceIPAddress": "10.0.1.7",
            "FileName": "report.txt",
            "FilePath": "/opt/lib/report.txt",
            "location": "Seattle",
            "items": [],
        },
    },
    "overloaded": {
        "source": "com.example.monitor",
        "detail-type": "Alarm",
        "time": "2027-04-01T00:00:00Z",
        "resources": [],
        "detail": {
            "state": "OverLoaded",
            "d-count": 9.99,
            "x-limit": 100,
            "sourceIPAddress": "not-an-ip",
            "FileName": "image.PNG",
            "tags": [],
            "location": {"city": "seattle", "zip": 98101},
            "items": [{"sku": "c"}],
        },
    },
    "order": {
        "source": "com.example.shop",
        "detail-type": "Order Placed",
        "time": "2027-04-01T00:00:00Z",
        "resources": [],
        "detail": {
            "state": "",
            "c-count": 2.5,
            "total": 1e3,
            "customer": {"tier": "gold", "name": "Ada Lovelace"},
            "FilePath": "lib",
            "EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/orders",
        },
    },
    "empty": {
        "source": "com.example.shop",
        "detail-type": "Heartbeat",
        "time": "2027-04-01T00:00:00Z",
        "resources": [],
        "detail": {},
    },
}


def detail(**fields: Any) -> dict[str, Any]:
    return {"detail": fields}


NUMERIC_OR = {
    "$or": [
        detail(**{"c-count": [{"numeric": [">", 0, "<=", 5]}]}),
        detail(**{"d-count": [{"numeric": ["<", 10]}]}),
        detail(**{"x-limit": [{"numeric": ["=", 3.018e2]}]}),
    ]
}

# (pattern, the events it matches)
CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"source": ["com.example.ec2"]}, {"running", "stopped", "initializing"}),
    ({"source": ["com.example.ec2", "com.example.shop"]}, {"running", "stopped", "initializing", "order", "empty"}),
    ({"detail-type": [EC2]}, {"running", "stopped", "initializing"}),
    (detail(state=["running"]), {"running"}),
    ({"source": ["com.example.ec2"], **detail(state=["running", "stopped"])}, {"running", "stopped"}),
    (detail(state=[{"prefix": "init"}]), {"initializing"}),
    (detail(state=[{"prefix": {"equals-ignore-case": "OVER"}}]), {"overloaded"}),
    (detail(FileName=[{"suffix": ".png"}]), {"running"}),
    (detail(FileName=[{"suffix": {"equals-ignore-case": ".png"}}]), {"running", "overloaded"}),
    (detail(state=[{"equals-ignore-case": "overloaded"}]), {"overloaded"}),
    (detail(state=[{"anything-but": "initializing"}]), {"running", "stopped", "overloaded", "order"}),
    (detail(state=[{"anything-but": ["stopped", "overloaded"]}]), {"running", "initializing", "overloaded", "order"}),
    (detail(**{"x-limit": [{"anything-but": 123}]}), {"running", "initializing", "overloaded"}),
    (detail(**{"x-limit": [{"anything-but": [100, 200, 300]}]}), {"running", "stopped", "initializing"}),
    (detail(state=[{"anything-but": {"prefix": "init"}}]), {"running", "stopped", "overloaded", "order"}),
    (detail(FileName=[{"anything-but": {"suffix": ".txt"}}]), {"running", "stopped", "overloaded"}),
    (
        detail(state=[{"anything-but": {"equals-ignore-case": ["Stopped", "OverLoaded"]}}]),
        {"running", "initializing", "order"},
    ),
    (detail(FilePath=[{"anything-but": {"wildcard": "*/lib/*"}}]), {"stopped", "order"}),
    (detail(**{"c-count": [{"numeric": [">", 0, "<=", 5]}]}), {"running", "order"}),
    (detail(**{"d-count": [{"numeric": ["<", 10]}]}), {"running", "overloaded"}),
    (detail(**{"x-limit": [{"numeric": ["=", 3.018e2]}]}), {"running"}),
    (detail(**{"x-limit": [301.8]}), {"running"}),
    (detail(**{"x-limit": ["301.8"]}), {"initializing"}),
    (detail(total=[1000]), {"order"}),
    (detail(sourceIPAddress=[{"cidr": "10.0.0.0/24"}]), {"running"}),
    (detail(sourceIPAddress=[{"cidr": "10.0.0.0/16"}]), {"running", "initializing"}),
    (detail(sourceIPAddress=[{"cidr": "2001:db8::/64"}]), {"stopped"}),
    (detail(**{"c-count": [{"exists": True}]}), {"running", "stopped", "initializing", "order"}),
    (detail(**{"c-count": [{"exists": False}]}), {"overloaded", "empty"}),
    (detail(responseElements=[None]), {"running"}),
    (detail(eventVersion=[""]), {"running"}),
    (detail(state=[""]), {"order"}),
    (detail(EventBusArn=[{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]), {"order"}),
    (detail(FilePath=[{"wildcard": "*/lib/*.png"}]), {"running"}),
    (detail(tags=["web"]), {"running"}),
    (detail(tags=["prod", "dev"]), {"running", "stopped"}),
    (detail(tags=[{"exists": True}]), {"running", "stopped"}),
    (detail(location={"city": ["Seattle"]}), {"running"}),
    (detail(location={"city": [{"equals-ignore-case": "SEATTLE"}]}), {"running", "overloaded"}),
    (detail(location={"zip": ["98101"]}), {"running"}),
    (detail(location={"zip": [98101]}), {"overloaded"}),
    (detail(items={"sku": ["a"], "qty": [3]}), {"stopped"}),
    (detail(items={"sku": ["c"]}), {"overloaded"}),
    (detail(customer={"tier": ["gold"], "name": [{"prefix": "Ada"}]}), {"order"}),
    ({"resources": ["arn:aws:ec2:us-east-1:111122223333:instance/i-0a1b2c"]}, {"running"}),
    ({"resources": [{"prefix": "arn:aws:ec2:"}]}, {"running", "stopped"}),
    (NUMERIC_OR, {"running", "overloaded", "order"}),
    (
        {
            "source": ["com.example.ec2"],
            "$or": [detail(state=["stopped"]), detail(**{"c-count": [{"numeric": ["<", 0]}]})],
        },
        {"stopped", "initializing"},
    ),
    ({"detail": {"$or": [{"state": ["running"]}, {"FileName": [{"suffix": ".txt"}]}]}}, {"running", "initializing"}),
    (detail(state=["running", {"prefix": "stop"}]), {"running", "stopped"}),
    ({"source": ["com.example.shop"], **detail(missing=[{"exists": False}])}, {"order", "empty"}),
    (detail(location={"city": [{"exists": False}]}), {"initializing", "order", "empty"}),
    ({"detail-type": [{"anything-but": {"prefix": "EC2"}}]}, {"overloaded", "order", "empty"}),
    (detail(**{"c-count": [{"numeric": [">=", 0]}], "d-count": [{"numeric": [">", 10]}]}), {"stopped"}),
    (detail(total=[{"numeric": [">", 999.5, "<", 1000.5]}]), {"order"}),
    (detail(**{"instance-id": [{"wildcard": "i-*"}]}), {"running", "stopped"}),
    (detail(state=[{"wildcard": "*"}]), {"running", "stopped", "initializing", "overloaded", "order"}),
    ({"time": [{"prefix": "2027-03-"}]}, {"running"}),
    (detail(FileName=[{"wildcard": "photo\\*.png"}]), set()),
]

# (pattern, AWS's reason for refusing it)
REFUSED: list[tuple[str, str]] = [
    ('{"source": "aws.ec2"}', '"source" must be an object or an array'),
    ('{"source": []}', "Empty arrays are not allowed"),
    ('{"detail": {}}', "Empty objects are not allowed"),
    ('"text"', "Filter is not an object"),
    ('{"a": [[1]]}', "Match value must be String, number, true, false, or null"),
    ('{"a": [{"prefix": 1}]}', "prefix match pattern must be a string"),
    ('{"a": [{"suffix": true}]}', "suffix match pattern must be a string"),
    ('{"a": [{"equals-ignore-case": 5}]}', "equals-ignore-case match pattern must be a string"),
    ('{"a": [{"wildcard": 5}]}', "wildcard match pattern must be a string"),
    ('{"a": [{"wildcard": "**"}]}', "Consecutive wildcard characters at pos 1"),
    ('{"a": [{"exists": 1}]}', "exists match pattern must be either true or false."),
    ('{"a": [{"prefix": "x", "suffix": "y"}]}', "Only one key allowed in match expression"),
    ('{"a": [{"anything-but": null}]}', "Value of anything-but must be an array or single string/number value."),
    ('{"a": [{"anything-but": [true]}]}', "Inside anything but list, start|null|boolean is not supported."),
    (
        '{"a": [{"anything-but": ["x", 1]}]}',
        "Inside anything but list, either all values are number or string, mixed type is not supported",
    ),
    ('{"a": [{"anything-but": {"prefix": ""}}]}', "Null prefix/suffix not allowed"),
    ('{"a": [{"anything-but": {"contains": "x"}}]}', "Unsupported anything-but pattern: contains"),
    ('{"a": [{"numeric": 5}]}', "Value of numeric must be an array."),
    ('{"a": [{"numeric": [5]}]}', "Invalid member in numeric match: 5"),
    ('{"a": [{"numeric": ["~", 5]}]}', "Unrecognized numeric range operator: ~"),
    ('{"a": [{"numeric": [">", "x"]}]}', "Value of > must be numeric"),
    ('{"a": [{"numeric": ["=", "x"]}]}', "Value of equals must be numeric"),
    ('{"a": [{"numeric": [">", 5, "<", 1]}]}', "Bottom must be less than top"),
    ('{"a": [{"numeric": [">", 1, ">", 5]}]}', "Bad numeric range operator: >"),
    ('{"a": [{"cidr": "10.0.0.300/24"}]}', "Nonstandard IP address: 10.0.0.300/24"),
    ('{"a": [{"regex": "x"}]}', "Unrecognized match type regex"),
    ('{"$or": "x"}', "It must be an Array followed with $or."),
    ('{"$or": [{"a": ["b"]}, 1]}', "Only JSON object is allowed in array of $or relationship."),
    ('{"$or": [{"a": ["b"]}]}', "There must have at least 2 Objects in $or relationship."),
]


def full_event(name: str, sandbox: Any) -> str:
    return json.dumps(
        {"version": "0", "id": f"id-{name}", "account": sandbox.account_id, "region": sandbox.region, **EVENTS[name]}
    )


def test_every_pattern_against_every_event_through_test_event_pattern(events: Any, sandbox: Any) -> None:
    wrong = []
    for pattern, matching in CASES:
        for name in EVENTS:
            result = events.test_event_pattern(EventPattern=json.dumps(pattern), Event=full_event(name, sandbox))
            if result["Result"] != (name in matching):
                wrong.append((json.dumps(pattern), name, result["Result"]))
    assert wrong == []
    assert len(CASES) * len(EVENTS) >= 300


def test_refused_patterns_name_the_problem(events: Any, sandbox: Any) -> None:
    event = full_event("running", sandbox)
    for pattern, reason in REFUSED:
        with pytest.raises(events.exceptions.InvalidEventPatternException) as caught:
            events.test_event_pattern(EventPattern=pattern, Event=event)
        assert caught.value.response["Error"]["Message"] == f"Event pattern is not valid. Reason: {reason}", pattern


def test_every_pattern_as_a_rule_receives_exactly_its_events(
    events: Any, make_queue: Any, drain: Any, paused: None
) -> None:
    queue = make_queue()
    bus = unique("patterns")
    events.create_event_bus(Name=bus)
    transformer = {"InputPathsMap": {"id": "$.id"}, "InputTemplate": '{"rule": "<aws.events.rule-name>", "id": "<id>"}'}
    for number, (pattern, _) in enumerate(CASES):
        events.put_rule(Name=f"p{number}", EventBusName=bus, EventPattern=json.dumps(pattern))
        events.put_targets(
            Rule=f"p{number}",
            EventBusName=bus,
            Targets=[{"Id": "q", "Arn": queue.arn, "InputTransformer": transformer}],
        )
    entries = [
        {
            "EventBusName": bus,
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
            "Resources": event["resources"],
            "Time": dt.datetime.fromisoformat(event["time"].replace("Z", "+00:00")),
        }
        for event in EVENTS.values()
    ]
    answer = events.put_events(Entries=entries)
    assert answer["FailedEntryCount"] == 0
    names = dict(zip((item["EventId"] for item in answer["Entries"]), EVENTS, strict=True))
    received: dict[str, set[str]] = {f"p{number}": set() for number in range(len(CASES))}
    for message in drain(queue.url):
        body = json.loads(message["Body"])
        received[body["rule"]].add(names[body["id"]])
    expected = {f"p{number}": matching for number, (_, matching) in enumerate(CASES)}
    assert received == expected
