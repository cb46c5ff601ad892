"""HTTP/S delivery policies: their validation, the effective policy of a topic and of a
subscription, and the delay before each retry.

A topic's DeliveryPolicy is {"http": {"defaultHealthyRetryPolicy": {...}, "disableSubscriptionOverrides":
bool, "defaultThrottlePolicy": {"maxReceivesPerSecond": n}, "defaultRequestPolicy":
{"headerContentType": "..."}}}; a subscription's is {"healthyRetryPolicy": {...}, "throttlePolicy":
{...}, "requestPolicy": {...}}. A subscription's policy overrides its topic's, unless the topic
disables subscription overrides.

The retries of a healthy retry policy run in four phases after the first attempt:

    numNoDelayRetries   at once, one after the other
    numMinDelayRetries  minDelayTarget seconds apart
    (the rest)          the backoff phase: delays growing from minDelayTarget to maxDelayTarget
                        along backoffFunction (linear, arithmetic, geometric, exponential)
    numMaxDelayRetries  maxDelayTarget seconds apart

numRetries counts them all. The whole schedule may not exceed 3,600 seconds.
"""

from __future__ import annotations

import json
from typing import Any

from services.sns.exceptions import invalid_parameter

MAX_RETRIES = 100
MAX_DELAY_TARGET = 3600
MAX_TOTAL_SECONDS = 3600
BACKOFF_FUNCTIONS = ("linear", "arithmetic", "geometric", "exponential")
CONTENT_TYPES = (
    "application/json",
    "application/xml",
    "text/plain",
    "text/plain; charset=UTF-8",
    "application/json; charset=UTF-8",
    "application/xml; charset=UTF-8",
    "text/xml",
    "text/xml; charset=UTF-8",
    "text/html",
    "text/html; charset=UTF-8",
    "text/css",
    "text/csv",
    "application/x-www-form-urlencoded",
    "application/octet-stream",
)
DEFAULT_CONTENT_TYPE = "text/plain; charset=UTF-8"

DEFAULT_HEALTHY_RETRY_POLICY: dict[str, Any] = {
    "minDelayTarget": 20,
    "maxDelayTarget": 20,
    "numRetries": 3,
    "numMaxDelayRetries": 0,
    "numNoDelayRetries": 0,
    "numMinDelayRetries": 0,
    "backoffFunction": "linear",
}
_RETRY_FIELDS = tuple(DEFAULT_HEALTHY_RETRY_POLICY)


def default_topic_policy() -> dict[str, Any]:
    return {
        "http": {
            "defaultHealthyRetryPolicy": dict(DEFAULT_HEALTHY_RETRY_POLICY),
            "disableSubscriptionOverrides": False,
            "defaultRequestPolicy": {"headerContentType": DEFAULT_CONTENT_TYPE},
        }
    }


def _problem(reason: str) -> Exception:
    return invalid_parameter("DeliveryPolicy", reason)


def _load(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except (TypeError, ValueError):
        raise _problem("failed to parse JSON") from None
    if not isinstance(document, dict):
        raise _problem("the delivery policy must be a JSON object")
    return document


def _integer(policy: dict[str, Any], name: str, *, where: str) -> int | None:
    value = policy.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise _problem(f"{where}.{name} must be an integer")
    return int(value)


def check_retry_policy(policy: Any, *, where: str) -> dict[str, Any]:
    """A healthy retry policy, complete (defaults filled in) and within AWS's bounds."""
    if not isinstance(policy, dict):
        raise _problem(f"{where} must be a JSON object")
    unknown = sorted(set(policy) - set(_RETRY_FIELDS))
    if unknown:
        raise _problem(f"{where} has an unknown field {unknown[0]}")
    result = dict(DEFAULT_HEALTHY_RETRY_POLICY)
    for name in _RETRY_FIELDS[:-1]:
        value = _integer(policy, name, where=where)
        if value is not None:
            result[name] = value
    function = policy.get("backoffFunction")
    if function is not None:
        if str(function).lower() not in BACKOFF_FUNCTIONS:
            raise _problem(f"{where}.backoffFunction must be one of {', '.join(BACKOFF_FUNCTIONS)}")
        result["backoffFunction"] = str(function).lower()
    if "minDelayTarget" in policy and "maxDelayTarget" not in policy:
        result["maxDelayTarget"] = max(result["maxDelayTarget"], result["minDelayTarget"])
    if "maxDelayTarget" in policy and "minDelayTarget" not in policy:
        result["minDelayTarget"] = min(result["minDelayTarget"], result["maxDelayTarget"])
    low, high = result["minDelayTarget"], result["maxDelayTarget"]
    if low < 1:
        raise _problem(f"{where}.minDelayTarget must be at least 1")
    if high > MAX_DELAY_TARGET:
        raise _problem(f"{where}.maxDelayTarget must be at most {MAX_DELAY_TARGET}")
    if low > high:
        raise _problem(f"{where}.minDelayTarget must be less than or equal to maxDelayTarget")
    retries = result["numRetries"]
    if not 0 <= retries <= MAX_RETRIES:
        raise _problem(f"{where}.numRetries must be between 0 and {MAX_RETRIES}")
    phases = ("numNoDelayRetries", "numMinDelayRetries", "numMaxDelayRetries")
    for name in phases:
        if result[name] < 0:
            raise _problem(f"{where}.{name} must be at least 0")
    if sum(result[name] for name in phases) > retries:
        raise _problem(
            f"{where}.numRetries must be at least numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries"
        )
    total = sum(retry_delays(result))
    if total > MAX_TOTAL_SECONDS:
        raise _problem(f"the total retry time ({total} seconds) may not exceed {MAX_TOTAL_SECONDS} seconds")
    return result


def _check_throttle(policy: Any, *, where: str) -> None:
    if not isinstance(policy, dict):
        raise _problem(f"{where} must be a JSON object")
    unknown = sorted(set(policy) - {"maxReceivesPerSecond"})
    if unknown:
        raise _problem(f"{where} has an unknown field {unknown[0]}")
    value = _integer(policy, "maxReceivesPerSecond", where=where)
    if value is not None and value < 1:
        raise _problem(f"{where}.maxReceivesPerSecond must be at least 1")


def _check_request(policy: Any, *, where: str) -> None:
    if not isinstance(policy, dict):
        raise _problem(f"{where} must be a JSON object")
    unknown = sorted(set(policy) - {"headerContentType"})
    if unknown:
        raise _problem(f"{where} has an unknown field {unknown[0]}")
    content_type = policy.get("headerContentType")
    if content_type is not None and content_type not in CONTENT_TYPES:
        raise _problem(f"{where}.headerContentType {content_type} is not a supported content type")


def check_topic_policy(text: str) -> dict[str, Any]:
    document = _load(text)
    unknown = sorted(set(document) - {"http"})
    if unknown:
        raise _problem(f"unknown protocol {unknown[0]}: only http delivery policies can be set")
    http = document.get("http", {})
    if not isinstance(http, dict):
        raise _problem("http must be a JSON object")
    allowed = {
        "defaultHealthyRetryPolicy",
        "disableSubscriptionOverrides",
        "defaultThrottlePolicy",
        "defaultRequestPolicy",
    }
    unknown = sorted(set(http) - allowed)
    if unknown:
        raise _problem(f"http has an unknown field {unknown[0]}")
    if "defaultHealthyRetryPolicy" in http:
        check_retry_policy(http["defaultHealthyRetryPolicy"], where="http.defaultHealthyRetryPolicy")
    if "disableSubscriptionOverrides" in http and not isinstance(http["disableSubscriptionOverrides"], bool):
        raise _problem("http.disableSubscriptionOverrides must be true or false")
    if "defaultThrottlePolicy" in http:
        _check_throttle(http["defaultThrottlePolicy"], where="http.defaultThrottlePolicy")
    if "defaultRequestPolicy" in http:
        _check_request(http["defaultRequestPolicy"], where="http.defaultRequestPolicy")
    return document


def check_subscription_policy(text: str) -> dict[str, Any]:
    document = _load(text)
    unknown = sorted(set(document) - {"healthyRetryPolicy", "throttlePolicy", "requestPolicy", "sicklyRetryPolicy"})
    if unknown:
        raise _problem(f"unknown field {unknown[0]}")
    if document.get("healthyRetryPolicy") is not None:
        check_retry_policy(document["healthyRetryPolicy"], where="healthyRetryPolicy")
    if document.get("throttlePolicy") is not None:
        _check_throttle(document["throttlePolicy"], where="throttlePolicy")
    if document.get("requestPolicy") is not None:
        _check_request(document["requestPolicy"], where="requestPolicy")
    return document


def effective_topic_policy(topic_policy: str) -> dict[str, Any]:
    result = default_topic_policy()
    if topic_policy:
        http = json.loads(topic_policy).get("http", {})
        merged = result["http"]
        if "defaultHealthyRetryPolicy" in http:
            merged["defaultHealthyRetryPolicy"] = check_retry_policy(
                http["defaultHealthyRetryPolicy"], where="http.defaultHealthyRetryPolicy"
            )
        for name in ("disableSubscriptionOverrides", "defaultThrottlePolicy", "defaultRequestPolicy"):
            if name in http:
                merged[name] = http[name]
    return result


def effective_subscription_policy(topic_policy: str, subscription_policy: str) -> dict[str, Any]:
    """What an HTTP/S subscription's deliveries follow: its own policy over its topic's."""
    http = effective_topic_policy(topic_policy)["http"]
    result: dict[str, Any] = {
        "healthyRetryPolicy": dict(http["defaultHealthyRetryPolicy"]),
        "sicklyRetryPolicy": None,
        "throttlePolicy": http.get("defaultThrottlePolicy"),
        "requestPolicy": dict(http.get("defaultRequestPolicy") or {"headerContentType": DEFAULT_CONTENT_TYPE}),
        "guaranteed": False,
    }
    if subscription_policy and not http.get("disableSubscriptionOverrides"):
        own = json.loads(subscription_policy)
        if own.get("healthyRetryPolicy"):
            result["healthyRetryPolicy"] = check_retry_policy(own["healthyRetryPolicy"], where="healthyRetryPolicy")
        if own.get("throttlePolicy"):
            result["throttlePolicy"] = own["throttlePolicy"]
        if own.get("requestPolicy"):
            result["requestPolicy"] = {**result["requestPolicy"], **own["requestPolicy"]}
    if result["throttlePolicy"] is None:
        result.pop("throttlePolicy")
    return result


def _curve(function: str, fraction: float) -> float:
    """How far from minDelayTarget to maxDelayTarget the backoff has come at `fraction` of its phase."""
    if function == "arithmetic":
        return fraction**2
    if function == "geometric":
        return fraction**3
    if function == "exponential":
        return (2 ** (10 * fraction) - 1) / (2**10 - 1)
    return fraction


def retry_delays(policy: dict[str, Any]) -> list[int]:
    """The seconds to wait before each retry, in order (len == numRetries)."""
    low, high = policy["minDelayTarget"], policy["maxDelayTarget"]
    no_delay, min_delay, max_delay = (
        policy["numNoDelayRetries"],
        policy["numMinDelayRetries"],
        policy["numMaxDelayRetries"],
    )
    backoff = max(0, policy["numRetries"] - no_delay - min_delay - max_delay)
    delays = [0] * no_delay + [low] * min_delay
    for index in range(1, backoff + 1):
        fraction = index / backoff
        delays.append(round(low + (high - low) * _curve(policy["backoffFunction"], fraction)))
    delays += [high] * max_delay
    return delays


def delay_before_retry(policy: dict[str, Any], retry: int) -> int | None:
    """Seconds before retry number `retry` (1 = the first retry); None when the policy has no more."""
    delays = retry_delays(policy)
    if retry > len(delays):
        return None
    return delays[retry - 1]
