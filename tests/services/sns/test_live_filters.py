"""Filter policies against a live server: every operator, both scopes (message attributes and the
message body, nested keys and arrays included), AND / OR / $or, and the validation AWS applies
when a policy is set, with AWS's messages."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.services.sns.conftest import Subscribed

pytestmark = pytest.mark.live


def s(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


def n(value: str) -> dict[str, str]:
    return {"DataType": "Number", "StringValue": value}


def array(*items: Any) -> dict[str, str]:
    return {"DataType": "String.Array", "StringValue": json.dumps(list(items))}


ATTRIBUTES = "MessageAttributes"
BODY = "MessageBody"

# (policy, scope, [(message attributes or body, matches?), ...]); each (policy, message) pair is a case.
CASES: list[tuple[dict[str, Any], str, list[tuple[Any, bool]]]] = [
    ({"color": ["red", "blue"]}, ATTRIBUTES, [
        ({"color": s("red")}, True), ({"color": s("blue")}, True), ({"color": s("green")}, False), ({}, False),
    ]),
    ({"price": [100]}, ATTRIBUTES, [
        ({"price": n("100")}, True), ({"price": n("100.0")}, True), ({"price": n("101")}, False),
        ({"price": s("100")}, False),
    ]),
    ({"customer": [{"prefix": "bas"}]}, ATTRIBUTES, [
        ({"customer": s("baseball")}, True), ({"customer": s("rugby")}, False),
    ]),
    ({"file": [{"suffix": ".png"}]}, ATTRIBUTES, [({"file": s("cat.png")}, True), ({"file": s("cat.jpg")}, False)]),
    ({"tier": [{"equals-ignore-case": "GOLD"}]}, ATTRIBUTES, [
        ({"tier": s("gold")}, True), ({"tier": s("GoLd")}, True), ({"tier": s("silver")}, False),
    ]),
    ({"sport": [{"anything-but": ["rugby", "tennis"]}]}, ATTRIBUTES, [
        ({"sport": s("baseball")}, True), ({"sport": s("rugby")}, False), ({}, False),
        ({"sport": array("golf", "polo")}, True), ({"sport": array("rugby")}, False),
    ]),
    ({"code": [{"anything-but": [404, 500]}]}, ATTRIBUTES, [({"code": n("200")}, True), ({"code": n("404")}, False)]),
    ({"event": [{"anything-but": {"prefix": "order-"}}]}, ATTRIBUTES, [
        ({"event": s("order-created")}, False), ({"event": s("invoice-paid")}, True),
    ]),
    ({"price": [{"numeric": [">", 0, "<=", 150]}]}, ATTRIBUTES, [
        ({"price": n("0")}, False), ({"price": n("0.5")}, True), ({"price": n("150")}, True),
        ({"price": n("150.01")}, False),
    ]),
    ({"qty": [{"numeric": ["=", 3]}]}, ATTRIBUTES, [({"qty": n("3")}, True), ({"qty": n("3.0")}, True),
                                                    ({"qty": n("4")}, False)]),
    ({"trace": [{"exists": True}]}, ATTRIBUTES, [({"trace": s("abc")}, True), ({}, False)]),
    ({"trace": [{"exists": False}]}, ATTRIBUTES, [({}, True), ({"trace": s("abc")}, False)]),
    ({"source_ip": [{"cidr": "10.0.0.0/24"}]}, ATTRIBUTES, [
        ({"source_ip": s("10.0.0.255")}, True), ({"source_ip": s("10.0.1.1")}, False),
        ({"source_ip": s("not-an-ip")}, False),
    ]),
    ({"ip": [{"cidr": "2001:db8::/32"}]}, ATTRIBUTES, [({"ip": s("2001:db8::1")}, True),
                                                       ({"ip": s("2001:db9::1")}, False)]),
    ({"tags": ["vip"]}, ATTRIBUTES, [({"tags": array("new", "vip")}, True), ({"tags": array("new")}, False)]),
    ({"flags": [True]}, ATTRIBUTES, [({"flags": array(True, False)}, True), ({"flags": array(False)}, False)]),
    ({"color": ["red"], "size": [{"numeric": [">=", 10]}]}, ATTRIBUTES, [
        ({"color": s("red"), "size": n("12")}, True), ({"color": s("red"), "size": n("5")}, False),
        ({"color": s("blue"), "size": n("12")}, False),
    ]),
    ({"source": ["shop"], "$or": [{"kind": ["a"]}, {"priority": [{"numeric": [">", 5]}]}]}, ATTRIBUTES, [
        ({"source": s("shop"), "kind": s("a")}, True), ({"source": s("shop"), "priority": n("9")}, True),
        ({"source": s("shop"), "kind": s("b"), "priority": n("1")}, False),
        ({"source": s("web"), "kind": s("a")}, False),
    ]),
    ({"customer": {"tier": ["gold"]}}, BODY, [
        ({"customer": {"tier": "gold"}}, True), ({"customer": {"tier": "silver"}}, False), ("not json at all", False),
    ]),
    ({"orders": {"type": ["book"]}}, BODY, [
        ({"orders": [{"type": "pen"}, {"type": "book"}]}, True), ({"orders": [{"type": "pen"}]}, False),
    ]),
    ({"tags": ["red"]}, BODY, [({"tags": ["blue", "red"]}, True), ({"tags": ["blue"]}, False)]),
    ({"price": [{"numeric": ["<", 10]}]}, BODY, [({"price": 9.99}, True), ({"price": "9"}, False),
                                                 ({"price": 10}, False)]),
    ({"meta": {"deleted": [{"exists": False}]}}, BODY, [
        ({"meta": {}}, True), ({"meta": {"deleted": True}}, False), ({"other": 1}, True),
    ]),
    ({"active": [True], "parent": [None]}, BODY, [
        ({"active": True, "parent": None}, True), ({"active": False, "parent": None}, False),
    ]),
    ({"$or": [{"a": ["1"]}, {"b": {"c": ["2"]}}]}, BODY, [({"b": {"c": "2"}}, True), ({"a": "2"}, False),
                                                          ({"a": "1", "b": {"c": "3"}}, True)]),
    ({"detail": {"state": {"name": [{"prefix": "run"}]}}}, BODY, [
        ({"detail": {"state": {"name": "running"}}}, True), ({"detail": {"state": {"name": "stopped"}}}, False),
    ]),
    ({"city": [{"anything-but": "Paris"}], "zip": [{"suffix": "01"}]}, BODY, [
        ({"city": "Lyon", "zip": "69001"}, True), ({"city": "Paris", "zip": "75001"}, False),
        ({"zip": "69001"}, False),
    ]),
]  # fmt: skip


def test_the_table_has_at_least_forty_cases() -> None:
    assert sum(len(messages) for _, _, messages in CASES) >= 40


@pytest.mark.parametrize(
    ("policy", "scope", "messages"),
    CASES,
    ids=[f"{scope}-{index}" for index, (_, scope, _) in enumerate(CASES)],
)
def test_filter_policy_case(
    sns: Any,
    make_topic: Callable[..., str],
    subscribe_queue: Callable[..., Subscribed],
    drain: Callable[..., list[dict[str, Any]]],
    policy: dict[str, Any],
    scope: str,
    messages: list[tuple[Any, bool]],
) -> None:
    topic = make_topic()
    queue = subscribe_queue(topic, raw=True, FilterPolicy=json.dumps(policy), FilterPolicyScope=scope)
    expected = []
    for index, (message, matches) in enumerate(messages):
        if scope == ATTRIBUTES:
            body = f"message {index}"
            sns.publish(TopicArn=topic, Message=body, MessageAttributes=message) if message else sns.publish(
                TopicArn=topic, Message=body
            )
        else:
            body = message if isinstance(message, str) else json.dumps({**message, "_case": index})
            sns.publish(TopicArn=topic, Message=body)
        if matches:
            expected.append(body)
    received = [item["Body"] for item in drain(queue.queue_url)]
    assert sorted(received) == sorted(expected)


# --- validation ----------------------------------------------------------------------------------------

PREFIX = "Invalid parameter: FilterPolicy: "
INVALID: list[tuple[Any, str, str]] = [
    ({"a": {"b": ["c"]}}, ATTRIBUTES,
     "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"),
    ({key: ["x"] for key in "abcdef"}, ATTRIBUTES, PREFIX + "Filter policy can not have more than 5 keys"),
    ({key: ["x"] for key in "abcdef"}, BODY, PREFIX + "Filter policy can not have more than 5 keys"),
    ({"a": list(range(10)), "b": list(range(16))}, ATTRIBUTES, PREFIX + "Filter policy is too complex"),
    ({"a": [{"wildcard": "x*"}]}, ATTRIBUTES, PREFIX + "Unrecognized match type wildcard"),
    ({"a": [{"prefix": 5}]}, ATTRIBUTES, PREFIX + "prefix match pattern must be a string"),
    ({"a": [{"exists": "yes"}]}, ATTRIBUTES, PREFIX + "exists match pattern must be either true or false."),
    ({"a": [{"numeric": ["!=", 5]}]}, ATTRIBUTES, PREFIX + "Unrecognized numeric range operator: !="),
    ({"a": [{"numeric": [">", 10, "<", 5]}]}, ATTRIBUTES, PREFIX + "Bottom must be less than top"),
    ({"a": [{"numeric": [">", "ten"]}]}, ATTRIBUTES, PREFIX + "Value of > must be numeric"),
    ({"a": [{"numeric": ["=", 1, "<", 5]}]}, ATTRIBUTES, PREFIX + "Too many elements in numeric expression"),
    ({"a": []}, ATTRIBUTES, PREFIX + "Empty arrays are not allowed"),
    ({"a": [["nested"]]}, ATTRIBUTES, PREFIX + "Match value must be String, number, true, false, or null"),
    ({"a": [{"anything-but": [True]}]}, ATTRIBUTES,
     PREFIX + "Inside anything but list, start|null|boolean is not supported."),
    ({"a": [{"cidr": "10.0.0.1"}]}, ATTRIBUTES, PREFIX + "Malformed CIDR, one '/' required"),
    ({"a": [{"prefix": "x", "suffix": "y"}]}, ATTRIBUTES, PREFIX + "Only one key allowed in match expression"),
    ({"a": [{"numeric": [">", 2e9]}]}, ATTRIBUTES,
     PREFIX + "Numeric values must be between -1.0E9 and 1.0E9 inclusive"),
    ("[1, 2]", ATTRIBUTES, PREFIX + "Filter policy must be a JSON object"),
]  # fmt: skip


def test_invalid_filter_policies_are_refused_with_aws_messages_and_change_nothing(
    sns: Any, make_topic: Callable[..., str], subscribe_queue: Callable[..., Subscribed]
) -> None:
    topic = make_topic()
    queue = subscribe_queue(topic, FilterPolicy=json.dumps({"kept": ["yes"]}))
    for policy, scope, message in INVALID:
        text = policy if isinstance(policy, str) else json.dumps(policy)
        if scope == BODY:
            sns.set_subscription_attributes(
                SubscriptionArn=queue.subscription_arn, AttributeName="FilterPolicyScope", AttributeValue=BODY
            )
        with pytest.raises(sns.exceptions.InvalidParameterException) as refused:
            sns.set_subscription_attributes(
                SubscriptionArn=queue.subscription_arn, AttributeName="FilterPolicy", AttributeValue=text
            )
        assert refused.value.response["Error"]["Message"] == message, policy
        if scope == BODY:
            sns.set_subscription_attributes(
                SubscriptionArn=queue.subscription_arn, AttributeName="FilterPolicyScope", AttributeValue=ATTRIBUTES
            )
    attributes = sns.get_subscription_attributes(SubscriptionArn=queue.subscription_arn)["Attributes"]
    assert json.loads(attributes["FilterPolicy"]) == {"kept": ["yes"]}
    assert attributes["FilterPolicyScope"] == ATTRIBUTES
    with pytest.raises(sns.exceptions.InvalidParameterException) as broken:
        sns.set_subscription_attributes(
            SubscriptionArn=queue.subscription_arn, AttributeName="FilterPolicy", AttributeValue="{nope"
        )
    assert broken.value.response["Error"]["Message"].startswith(PREFIX + "failed to parse JSON.")


def test_subscribe_refuses_a_bad_policy_and_creates_no_subscription(
    sns: Any, sqs: Any, make_topic: Callable[..., str]
) -> None:
    topic = make_topic()
    url = sqs.create_queue(QueueName="filtered-at-subscribe")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                      Attributes={"FilterPolicy": json.dumps({"a": {"nested": ["x"]}})})  # fmt: skip
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    nested_body = {"a": {"b": {"c": ["1"]}, "d": ["2"]}, "e": ["3"], "f": ["4"], "g": ["5"], "h": ["6"]}
    answer = sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True,
        Attributes={"FilterPolicyScope": BODY, "FilterPolicy": json.dumps(nested_body)},
    )  # fmt: skip
    assert answer["SubscriptionArn"].startswith(topic)


def test_changing_the_scope_revalidates_the_policy(
    sns: Any, make_topic: Callable[..., str], subscribe_queue: Callable[..., Subscribed]
) -> None:
    topic = make_topic()
    queue = subscribe_queue(topic, FilterPolicyScope=BODY, FilterPolicy=json.dumps({"a": {"b": ["c"]}}))
    with pytest.raises(sns.exceptions.InvalidParameterException) as refused:
        sns.set_subscription_attributes(
            SubscriptionArn=queue.subscription_arn, AttributeName="FilterPolicyScope", AttributeValue=ATTRIBUTES
        )
    assert "does not support nested filter policy" in refused.value.response["Error"]["Message"]
    sns.set_subscription_attributes(SubscriptionArn=queue.subscription_arn, AttributeName="FilterPolicy",
                                    AttributeValue="")  # fmt: skip
    attributes = sns.get_subscription_attributes(SubscriptionArn=queue.subscription_arn)["Attributes"]
    assert "FilterPolicy" not in attributes
