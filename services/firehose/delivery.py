"""Delivery: writing a flushed batch to S3 (services.s3.public.object_write) with the
destination's prefix, object name and compression; POSTing a batch to an HTTP endpoint in AWS's
request format; failed HTTP batches to the S3 backup under the error prefix.

HTTP endpoint requests (AWS's "HTTP endpoint delivery request and response specifications"):
POST, JSON body {"requestId", "timestamp" (ms), "records": [{"data": base64}]}, headers
X-Amz-Firehose-Protocol-Version 1.0, X-Amz-Firehose-Request-Id, X-Amz-Firehose-Source-Arn,
X-Amz-Firehose-Access-Key (when configured), X-Amz-Firehose-Common-Attributes (when configured),
Content-Encoding gzip (ContentEncoding GZIP). A delivery succeeds when the endpoint answers 200
with a JSON body whose requestId is the request's.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import ssl
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from playground.gateway.errors import AwsError
from playground.sandboxes.models import Sandbox
from services.firehose import compression, prefixes
from services.firehose.models import DeliveryStream
from services.s3.public import object_write

HTTP_TIMEOUT_SECONDS = 10


@dataclass(slots=True)
class Item:
    """A record on its way. With dynamic partitioning, `keys` are its partition keys by namespace
    ({"partitionKeyFromQuery": {...}, "partitionKeyFromLambda": {...}}) and `error` why it has
    none (it goes under the error prefix)."""

    data: bytes
    arrived_at: dt.datetime
    keys: dict[str, dict[str, str]] | None = None
    error: str = ""


class DeliveryFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _ms(at: dt.datetime) -> int:
    return int(at.timestamp() * 1000)


def write_object(
    *,
    sandbox: Sandbox,
    stream: DeliveryStream,
    config: dict[str, Any],
    body: bytes,
    oldest: dt.datetime,
    at: dt.datetime,
    error_type: str | None = None,
    keys: dict[str, dict[str, str]] | None = None,
) -> tuple[str, str]:
    """Write one object for records whose oldest arrived `oldest` (of the partition `keys`, with
    dynamic partitioning); answer (bucket, key)."""
    zone = config.get("CustomTimeZone", "")
    local = prefixes.local_time(oldest, zone)
    fmt = config.get("CompressionFormat", compression.UNCOMPRESSED)
    extension = config.get("FileExtension") or compression.EXTENSIONS[fmt]
    name = prefixes.object_name(stream=stream.name, version=stream.version_id, at=local, extension=extension)
    if error_type:
        folder = prefixes.error_prefix(config.get("ErrorOutputPrefix", ""), local, error_type=error_type)
    else:
        folder = prefixes.object_prefix(config.get("Prefix", ""), local, keys=keys)
    bucket = config["BucketARN"].rpartition(":")[2]
    key = folder + name
    try:
        object_write(
            sandbox=sandbox, bucket=bucket, key=key, now=at,
            body=compression.compress(body, fmt, entry_name=name.removesuffix(extension)),
        )  # fmt: skip
    except AwsError as problem:
        raise DeliveryFailed(f"S3.{problem.code}", problem.message or problem.code) from None
    return bucket, key


def to_s3(
    *, sandbox: Sandbox, stream: DeliveryStream, config: dict[str, Any], items: list[Item], at: dt.datetime,
    keys: dict[str, dict[str, str]] | None = None, delimiter: bytes = b"",
) -> tuple[str, str]:  # fmt: skip
    body = b"".join(item.data + delimiter for item in items)
    return write_object(sandbox=sandbox, stream=stream, config=config, body=body, oldest=items[0].arrived_at, at=at,
                        keys=keys)  # fmt: skip


def failed_lines(
    items: list[Item], *, at: dt.datetime, error_code: str, error_message: str, attempts: int,
    extra: dict[str, Any], capitalized: bool = False,
) -> list[Item]:  # fmt: skip
    """Records a destination (or a transformation) did not take, each as AWS's JSON line
    (format conversion spells ErrorCode and ErrorMessage with capitals, as AWS does)."""
    code_key, message_key = ("ErrorCode", "ErrorMessage") if capitalized else ("errorCode", "errorMessage")
    return [
        Item(
            data=(json.dumps({
                "attemptsMade": attempts,
                "arrivalTimestamp": _ms(item.arrived_at),
                code_key: error_code,
                message_key: error_message,
                "attemptEndingTimestamp": _ms(at),
                "rawData": base64.b64encode(item.data).decode(),
                **extra,
            }) + "\n").encode(),
            arrived_at=item.arrived_at,
        )
        for item in items
    ]  # fmt: skip


def write_lines(
    *, sandbox: Sandbox, stream: DeliveryStream, config: dict[str, Any], lines: list[Item], at: dt.datetime,
    error_type: str,
) -> tuple[str, str]:  # fmt: skip
    """Failed-record lines as one object under the error prefix for `error_type`."""
    oldest = min(line.arrived_at for line in lines)
    return write_object(sandbox=sandbox, stream=stream, config=config, body=b"".join(line.data for line in lines),
                        oldest=oldest, at=at, error_type=error_type)  # fmt: skip


def failed_to_s3(
    *,
    sandbox: Sandbox,
    stream: DeliveryStream,
    config: dict[str, Any],
    items: list[Item],
    at: dt.datetime,
    error_type: str,
    error_code: str,
    error_message: str,
    attempts: int,
    extra: dict[str, Any],
) -> tuple[str, str]:
    """Records a destination did not take, as JSON lines under the error prefix."""
    lines = failed_lines(items, at=at, error_code=error_code, error_message=error_message, attempts=attempts,
                         extra=extra)  # fmt: skip
    return write_lines(sandbox=sandbox, stream=stream, config=config, lines=lines, at=at, error_type=error_type)


def http_request(*, stream: DeliveryStream, items: list[Item], at: dt.datetime) -> tuple[urllib.request.Request, str]:
    destination = stream.destination
    request_id = str(uuid.uuid4())
    payload = {
        "requestId": request_id,
        "timestamp": _ms(at),
        "records": [{"data": base64.b64encode(item.data).decode()} for item in items],
    }
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Amazon Kinesis Data Firehose Agent/1.0",
        "X-Amz-Firehose-Protocol-Version": "1.0",
        "X-Amz-Firehose-Request-Id": request_id,
        "X-Amz-Firehose-Source-Arn": stream.arn,
    }
    if stream.access_key:
        headers["X-Amz-Firehose-Access-Key"] = stream.access_key
    attributes = destination["RequestConfiguration"].get("CommonAttributes") or []
    if attributes:
        common = {item["AttributeName"]: item["AttributeValue"] for item in attributes}
        headers["X-Amz-Firehose-Common-Attributes"] = json.dumps({"commonAttributes": common})
    if destination["RequestConfiguration"].get("ContentEncoding") == "GZIP":
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    url = destination["EndpointConfiguration"]["Url"]
    if not url.startswith("https://"):  # the model's pattern: never file: or another scheme
        raise DeliveryFailed("HttpEndpoint.InvalidUrl", f"The endpoint URL {url} is not https.")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (https only)
    return request, request_id


def http_post(*, stream: DeliveryStream, items: list[Item], at: dt.datetime) -> None:
    """One attempt; DeliveryFailed when the endpoint does not accept it. The endpoint's TLS
    certificate is not verified (a local endpoint with a self-signed one works: LIMITATIONS)."""
    request, request_id = http_request(stream=stream, items=items, at=at)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS, context=context) as response:  # noqa: S310
            status, text = response.status, response.read()
    except urllib.error.HTTPError as problem:
        raise DeliveryFailed(
            "HttpEndpoint.ResponseErrorCode",
            f"The response received from the endpoint had the status code {problem.code}.",
        ) from None
    except (urllib.error.URLError, OSError) as problem:
        raise DeliveryFailed(
            "HttpEndpoint.ConnectionFailed", f"Could not connect to the endpoint: {problem}."
        ) from None
    if status != 200:
        raise DeliveryFailed(
            "HttpEndpoint.ResponseErrorCode", f"The response received from the endpoint had the status code {status}."
        )
    try:
        answered = json.loads(text or b"{}").get("requestId")
    except (ValueError, AttributeError):
        answered = None
    if answered != request_id:
        raise DeliveryFailed(
            "HttpEndpoint.InvalidResponseFromDestination",
            "The response received from the endpoint is invalid: its requestId does not match the request's.",
        )
