"""What the JSON-family protocols (AWS JSON, its CBOR encoding, RPC v2 CBOR) put in an error response
besides the body values, and the query-era codes of APIs that moved off the query protocol.

A provider raises an error by its model shape name (`QueueDoesNotExist`). An API that was once
served over the query protocol (awsQueryCompatible: SQS, CloudWatch) still owes its clients the
query-era code (`AWS.SimpleQueueService.NonExistentQueue`): AWS sends it in the `x-amzn-query-error`
header as `<code>;Sender|Receiver`, and botocore reports that code as Error.Code while keeping the
shape name as Error.QueryErrorCode. The code is the error shape's `error.code` in the model the
gateway reads: botocore's where it still has it (CloudWatch), else the API's wire facts
(wire/<api>.json `errors`, laid over the model by generations.py: SQS).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from botocore.model import OperationModel, ServiceModel, Shape

from playground.gateway.errors import AwsError


@dataclass(frozen=True)
class ModeledError:
    shape: Shape
    query_code: str  # the code the query protocol used (the shape name when none was modeled)
    status: int | None  # the model's HTTP status, when it says
    sender_fault: bool | None


@cache
def _modeled_errors(service: ServiceModel) -> dict[str, ModeledError]:
    """Every error shape of the service by shape name and by query code."""
    index: dict[str, ModeledError] = {}
    by_code: dict[str, ModeledError] = {}
    for name in service.shape_names:
        shape = service.shape_for(name)
        if not shape.metadata.get("exception"):
            continue
        error_meta: dict[str, Any] = shape.metadata.get("error", {})
        code, status = error_meta.get("code") or name, error_meta.get("httpStatusCode")
        sender = error_meta.get("senderFault")
        entry = ModeledError(shape, code, status, sender if sender is None else bool(sender))
        index[name] = entry
        by_code.setdefault(code, entry)
    for code, entry in by_code.items():
        index.setdefault(code, entry)
    return index


def modeled_error(service: ServiceModel, code: str) -> ModeledError | None:
    """The error shape an AwsError names, by shape name (or by its query code)."""
    return _modeled_errors(service).get(code)


def query_error_code(service: ServiceModel, code: str) -> str:
    """The code the query protocol reports for an error raised by this name."""
    found = modeled_error(service, code)
    return found.query_code if found else code


def modeled_status(service: ServiceModel, code: str, default: int = 400) -> int:
    found = modeled_error(service, code)
    return found.status if found and found.status else default


def is_query_compatible(service: ServiceModel) -> bool:
    return "awsQueryCompatible" in service.metadata


@dataclass(frozen=True)
class ErrorParts:
    """The protocol-neutral pieces of a JSON-family error response."""

    type_name: str  # the body's __type
    message_key: str  # "message" unless the shape spells its member "Message"
    shape: Shape | None
    headers: dict[str, str]


def error_parts(service: ServiceModel, operation: OperationModel | None, error: AwsError) -> ErrorParts:
    found = modeled_error(service, error.code)
    shape = found.shape if found else None
    # A provider may raise by the query code; the body still names the shape.
    name = shape.name if shape is not None else error.code
    headers: dict[str, str] = {}
    type_name = name
    if is_query_compatible(service):
        if found is not None:
            sender = found.sender_fault if found.sender_fault is not None else error.status < 500
            # The Smithy namespace AWS names the shape with (com.amazonaws.sqs#QueueDoesNotExist).
            type_name = f"com.amazonaws.{service.service_name}#{name}"
        else:
            sender = error.sender_fault and error.status < 500
        code = found.query_code if found else error.code
        headers["x-amzn-query-error"] = f"{code};{'Sender' if sender else 'Receiver'}"
    # The header names the error as the body's __type does: the shape's full id where AWS gives it.
    headers["x-amzn-ErrorType"] = type_name
    message_key = "message"
    if shape is not None and "message" not in shape.members and "Message" in shape.members:
        message_key = "Message"
    return ErrorParts(type_name, message_key, shape, headers)


def error_document(parts: ErrorParts, error: AwsError, write: Callable[[Shape, Any], Any]) -> dict[str, Any]:
    """The error body: __type, the message and the shape's other members, written by `write`
    (the protocol codec's write(shape, value)) so blobs and timestamps take the wire form."""
    fields = {key: value for key, value in error.fields.items() if value is not None}
    document: dict[str, Any] = {"__type": parts.type_name}
    if fields:
        document.update(write(parts.shape, fields) if parts.shape is not None else fields)
    if error.message or parts.message_key not in document:
        document[parts.message_key] = error.message
    return document
