"""The checks AWS makes on a message before it publishes it: message attributes (names, types,
values), Subject, MessageStructure=json, the size limit (message and attributes together), and
the FIFO ids. Each failure raises InvalidParameter in AWS's words.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from playground.gateway.errors import AwsError
from services.sns.exceptions import invalid_parameter

MAX_SUBJECT = 100
_DATA_TYPE = re.compile(r"^(String|Number|Binary)(\.[A-Za-z0-9_.-]+)?$")
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")
_FIFO_ID = re.compile(r"^[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_SUBJECT = re.compile(r"^[\x20-\x7e]*$")


def _attribute_problem(reason: str) -> AwsError:
    return invalid_parameter("MessageAttributes", reason)


def check_attributes(attributes: Mapping[str, Mapping[str, Any]] | None) -> tuple[dict[str, dict[str, Any]], int]:
    """Message attributes as stored ({name: {DataType, StringValue | BinaryValue (base64)}}) and the
    bytes they count toward the message size."""
    stored: dict[str, dict[str, Any]] = {}
    size = 0
    for name, value in (attributes or {}).items():
        if not _ATTRIBUTE_NAME.match(name) or name.startswith(".") or name.endswith(".") or ".." in name:
            raise _attribute_problem(f"The message attribute name '{name}' is invalid")
        if name.lower().startswith(("aws.", "amazon.")) and not name.startswith(("AWS.SNS.", "AWS.MM.")):
            raise _attribute_problem(f"The message attribute name '{name}' starts with a reserved prefix")
        data_type = str(value.get("DataType") or "")
        if not _DATA_TYPE.match(data_type):
            raise _attribute_problem(
                f"The message attribute '{name}' has an invalid message attribute type, the set of supported type "
                "prefixes is Binary, Number, and String."
            )
        size += len(name.encode()) + len(data_type.encode())
        if data_type.startswith("Binary"):
            binary = value.get("BinaryValue")
            if binary is None or len(binary) == 0:
                raise _empty(name, data_type)
            raw = bytes(binary) if isinstance(binary, bytes | bytearray) else str(binary).encode()
            size += len(raw)
            stored[name] = {"DataType": data_type, "BinaryValue": base64.b64encode(raw).decode("ascii")}
            continue
        text = value.get("StringValue")
        if text is None or text == "":
            raise _empty(name, data_type)
        text = str(text)
        if data_type.startswith("Number"):
            _check_number(name, text)
        elif data_type == "String.Array":
            _check_array(name, text)
        size += len(text.encode())
        stored[name] = {"DataType": data_type, "StringValue": text}
    return stored, size


def _empty(name: str, data_type: str) -> AwsError:
    return _attribute_problem(
        f"The message attribute '{name}' must contain non-empty message attribute value for message attribute "
        f"type '{data_type.split('.')[0]}'."
    )


def _check_number(name: str, text: str) -> None:
    problem = not _NUMBER.match(text.strip())
    if not problem:
        try:
            number = Decimal(text)
        except InvalidOperation:
            problem = True
        else:
            problem = len(number.normalize().as_tuple().digits) > 38 or not (
                Decimal("-1e128") <= number <= Decimal("1e126")
            )
    if problem:
        raise _attribute_problem(f"Could not cast message attribute '{name}' value to number.")


def _check_array(name: str, text: str) -> None:
    try:
        items = json.loads(text)
    except ValueError:
        items = None
    if not isinstance(items, list) or any(isinstance(item, dict | list) for item in items):
        raise _attribute_problem(
            f"The message attribute '{name}' with type 'String.Array' must be a JSON array of strings, numbers, "
            "true, false or null."
        )


def check_subject(subject: str | None) -> None:
    if subject is None:
        return
    if subject == "" or subject.strip() == "":
        raise invalid_parameter("Subject", "Subject must not be empty")
    if len(subject) > MAX_SUBJECT:
        raise invalid_parameter("Subject", f"Subject must be less than {MAX_SUBJECT} characters")
    if not _SUBJECT.match(subject):
        raise invalid_parameter("Subject", "Subject contains control characters, line breaks or non-ASCII characters")


def check_structure(message: str, structure: str | None) -> dict[str, Any] | None:
    if structure is None or structure == "":
        return None
    if structure != "json":
        raise invalid_parameter("MessageStructure")
    try:
        document = json.loads(message)
    except ValueError:
        raise invalid_parameter("Message Structure - JSON message body failed to parse") from None
    if not isinstance(document, dict):
        raise invalid_parameter("Message Structure - JSON message body failed to parse")
    if not isinstance(document.get("default"), str):
        raise invalid_parameter("Message Structure - No default entry in JSON message body")
    return document


def check_message(message: str | None, *, attributes_size: int, limit: int) -> None:
    if message is None or message == "":
        raise invalid_parameter("Empty message")
    if len(message.encode("utf-8")) + attributes_size > limit:
        raise invalid_parameter("Message too long")


def check_fifo_id(parameter: str, value: str) -> None:
    if not _FIFO_ID.match(value):
        raise invalid_parameter(
            parameter, f"{parameter} can only include alphanumeric and punctuation characters. 1 to 128 in length."
        )
