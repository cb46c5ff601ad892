"""The rules behind delivery that need no server: the retry schedule a delivery policy makes, and
how a queue policy decides whether a topic may send (the forms AWS's documentation uses)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from services.sns.exceptions import InvalidParameterException
from services.sns.policies import queue_allows_topic
from services.sns.retries import check_retry_policy, check_subscription_policy, retry_delays

QUEUE = "arn:aws:sqs:us-east-1:111122223333:orders"
TOPIC = "arn:aws:sns:us-east-1:111122223333:news"


def test_the_default_policy_retries_three_times_twenty_seconds_apart() -> None:
    assert retry_delays(check_retry_policy({}, where="healthyRetryPolicy")) == [20, 20, 20]


def test_the_four_phases_of_a_retry_policy() -> None:
    policy = check_retry_policy(
        {
            "minDelayTarget": 1,
            "maxDelayTarget": 60,
            "numRetries": 10,
            "numNoDelayRetries": 2,
            "numMinDelayRetries": 2,
            "numMaxDelayRetries": 2,
            "backoffFunction": "exponential",
        },
        where="healthyRetryPolicy",
    )
    delays = retry_delays(policy)
    assert delays[:4] == [0, 0, 1, 1]
    assert delays[-2:] == [60, 60]
    backoff = delays[4:8]
    assert backoff == sorted(backoff)
    assert backoff[-1] == 60


@pytest.mark.parametrize(
    "policy",
    [
        {"healthyRetryPolicy": {"minDelayTarget": 0}},
        {"healthyRetryPolicy": {"numRetries": 101}},
        {"healthyRetryPolicy": {"numRetries": 1, "numNoDelayRetries": 2}},
        {"healthyRetryPolicy": {"backoffFunction": "cubic"}},
        {"healthyRetryPolicy": {"numRetries": 50, "minDelayTarget": 100, "maxDelayTarget": 100}},
        {"throttlePolicy": {"maxReceivesPerSecond": 0}},
        {"requestPolicy": {"headerContentType": "image/png"}},
        {"unknown": {}},
    ],
)
def test_delivery_policies_outside_aws_bounds_are_refused(policy: dict[str, object]) -> None:
    with pytest.raises(InvalidParameterException, match=r"^Invalid parameter: DeliveryPolicy Reason: "):
        check_subscription_policy(json.dumps(policy))


def _policy(*statements: Mapping[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ALLOW: dict[str, object] = {
    "Effect": "Allow",
    "Principal": {"Service": "sns.amazonaws.com"},
    "Action": "sqs:SendMessage",
    "Resource": QUEUE,
}


@pytest.mark.parametrize(
    ("policy", "allowed"),
    [
        ("", False),
        (_policy(ALLOW), True),
        (_policy({**ALLOW, "Condition": {"ArnEquals": {"aws:SourceArn": TOPIC}}}), True),
        (_policy({**ALLOW, "Condition": {"ArnEquals": {"aws:SourceArn": TOPIC + "-other"}}}), False),
        (_policy({**ALLOW, "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}}}), True),
        (_policy({**ALLOW, "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}), True),
        (_policy({**ALLOW, "Principal": "*", "Action": "SQS:*", "Resource": "*"}), True),
        (_policy({**ALLOW, "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}), False),
        (_policy({**ALLOW, "Action": "sqs:ReceiveMessage"}), False),
        (_policy(ALLOW, {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": QUEUE}), False),
        (_policy({**ALLOW, "Condition": {"ArnNotEquals": {"aws:SourceArn": TOPIC}}}), False),
        ("not json", False),
    ],
)
def test_queue_policies_decide_as_aws_does(policy: str, allowed: bool) -> None:
    decision = queue_allows_topic(policy=policy, queue_arn=QUEUE, topic_arn=TOPIC)
    assert decision.allowed is allowed, decision.reason
