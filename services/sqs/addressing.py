"""Queue names, URLs and ARNs.

Playground hands out queue URLs on the host the request came to: `http://localhost:8000/<account>/<name>`.
It accepts those and every form an SDK may build or remember for the same queue:

    http://localhost:8000/123456789012/orders
    https://sqs.us-east-1.amazonaws.com/123456789012/orders
    https://us-east-1.queue.amazonaws.com/123456789012/orders
    https://queue.amazonaws.com/123456789012/orders
    http://sqs.eu-west-1.localhost:8000/123456789012/orders
    orders                     (a bare queue name, in the request's region: AWS takes it too)

The host is not otherwise checked; a region in an AWS-style host names the queue's region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from services.sqs.exceptions import InvalidAddress, InvalidParameterValue, QueueDoesNotExist

QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
FIFO_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,75}\.fifo$")
_REGION = r"[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d"
_HOST_REGION = (
    re.compile(rf"^sqs\.({_REGION})\."),  # sqs.us-east-1.amazonaws.com, sqs.us-east-1.localhost
    re.compile(rf"^({_REGION})\.queue\."),  # us-east-1.queue.amazonaws.com
)
_ARN = re.compile(r"^arn:aws[a-z-]*:sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_.-]{1,80})$")


@dataclass(frozen=True)
class QueueAddress:
    account_id: str
    name: str
    region: str | None  # when the URL's host names one


def queue_url(base_url: str, account_id: str, name: str) -> str:
    return f"{base_url.rstrip('/')}/{account_id}/{name}"


def queue_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:sqs:{region}:{account_id}:{name}"


def parse_queue_url(url: str) -> QueueAddress:
    """The account, name (and region, if the host says) of a queue URL; InvalidAddress if it is none."""
    parts = urlsplit(url.strip())
    segments = [segment for segment in parts.path.split("/") if segment]
    if parts.scheme not in ("http", "https") or not parts.netloc or len(segments) != 2:
        raise InvalidAddress(f"The address {url} is not valid for this endpoint.")
    account_id, name = segments
    if not (len(account_id) == 12 and account_id.isdigit()):
        raise InvalidAddress(f"The address {url} is not valid for this endpoint.")
    if len(name) > 80:
        raise QueueDoesNotExist()
    host = (parts.hostname or "").lower()
    region = None
    for pattern in _HOST_REGION:
        match = pattern.match(host)
        if match:
            region = match.group(1)
            break
    return QueueAddress(account_id, name, region)


@dataclass(frozen=True)
class QueueArn:
    region: str
    account_id: str
    name: str


def parse_queue_arn(arn: str, *, parameter: str) -> QueueArn:
    match = _ARN.match(arn or "")
    if not match:
        raise InvalidParameterValue(
            f"Value {arn} for parameter {parameter} is invalid. Reason: Must be a valid SQS queue ARN."
        )
    region, account_id, name = match.groups()
    return QueueArn(region, account_id, name)


def check_queue_name(name: str, *, fifo: bool) -> None:
    if fifo:
        if not FIFO_QUEUE_NAME.match(name):
            raise InvalidParameterValue(
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, "
                "must end with .fifo suffix and be 1 to 80 in length."
            )
    elif not QUEUE_NAME.match(name):
        raise InvalidParameterValue(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        )
