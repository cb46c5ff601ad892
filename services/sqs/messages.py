"""Sending messages: the checks AWS makes on a message, enqueueing it (with FIFO deduplication and
sequence numbers), and the form a received message takes in ReceiveMessage's output.

A message is checked whole before anything is stored: body characters, message attributes, the
size limit (body plus attribute names, types and values), delay, and the FIFO parameters.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from playground.db import insert_instances
from playground.live import wakeup
from services.kms.public import sse
from services.sqs import encryption, events, fifo
from services.sqs import metrics as sqs_metrics
from services.sqs.exceptions import InvalidMessageContents, InvalidParameterValue, MissingParameter, invalid_parameter
from services.sqs.md5 import md5_of_attributes, md5_of_body
from services.sqs.models import Message, Queue

MAX_MESSAGE_ATTRIBUTES = 10
MAX_DELAY = 900
ALLOWED_CHARACTERS = "#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"
_INVALID_CHARACTER = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")
_DATA_TYPE = re.compile(r"^(String|Number|Binary)(\..+)?$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
# MessageGroupId / MessageDeduplicationId: alphanumeric and punctuation, 1 to 128 characters.
_FIFO_ID = re.compile(r"^[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}$")


# --- checking --------------------------------------------------------------------------------------


@dataclass
class Outgoing:
    """A message as the request gives it (one SendMessage, or one entry of a batch)."""

    body: str | None
    delay: int | None = None
    attributes: Mapping[str, Mapping[str, Any]] | None = None
    system_attributes: Mapping[str, Mapping[str, Any]] | None = None
    deduplication_id: str | None = None
    group_id: str | None = None


@dataclass
class Checked:
    """A message that passed every check, ready to store."""

    body: str
    delay: int
    attributes: dict[str, dict[str, Any]]
    system_attributes: dict[str, dict[str, Any]]
    size: int
    deduplication_id: str = ""
    group_id: str = ""
    md5_of_body: str = ""
    md5_of_attributes: str = ""
    md5_of_system_attributes: str = ""


def invalid_body_character(text: str) -> str | None:
    match = _INVALID_CHARACTER.search(text)
    return None if match is None else f"#x{ord(match.group()):X}"


def _binary_value(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return str(value).encode("utf-8")


def _check_attributes(
    attributes: Mapping[str, Mapping[str, Any]], *, kind: str = "user"
) -> tuple[dict[str, dict[str, Any]], int]:
    """Stored form (binary values as base64 text) and the size they count against the limit."""
    if len(attributes) > MAX_MESSAGE_ATTRIBUTES:
        raise InvalidParameterValue(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum [{MAX_MESSAGE_ATTRIBUTES}]."
        )
    stored: dict[str, dict[str, Any]] = {}
    size = 0
    for name, value in attributes.items():
        _check_attribute_name(name, kind=kind)
        data_type = str(value.get("DataType") or "")
        if not data_type:
            raise InvalidParameterValue(f"The message ({kind}) attribute '{name}' must contain a non-empty type.")
        if len(data_type) > 256 or not _DATA_TYPE.match(data_type):
            raise InvalidParameterValue(
                f"The type of message ({kind}) attribute '{name}' is invalid. You must use only the following "
                "supported type prefixes: Binary, Number, String."
            )
        if value.get("StringListValues") or value.get("BinaryListValues"):
            raise InvalidParameterValue(
                f"Message ({kind}) attribute '{name}': StringListValues and BinaryListValues are not supported "
                "(reserved for future use). Use StringValue or BinaryValue."
            )
        size += len(name.encode("utf-8")) + len(data_type.encode("utf-8"))
        if data_type.startswith("Binary"):
            binary = value.get("BinaryValue")
            if binary is None or len(binary) == 0:
                raise _empty_value(name, data_type, kind)
            raw = _binary_value(binary)
            size += len(raw)
            stored[name] = {"DataType": data_type, "BinaryValue": base64.b64encode(raw).decode("ascii")}
            continue
        text = value.get("StringValue")
        if text is None or text == "":
            raise _empty_value(name, data_type, kind)
        text = str(text)
        bad = invalid_body_character(text)
        if bad:
            raise InvalidParameterValue(
                f"Message ({kind}) attribute '{name}' contains the invalid character '{bad}'; the set of allowed "
                f"characters is {ALLOWED_CHARACTERS}"
            )
        if data_type.startswith("Number"):
            _check_number(name, text, kind=kind)
        size += len(text.encode("utf-8"))
        stored[name] = {"DataType": data_type, "StringValue": text}
    return stored, size


def _empty_value(name: str, data_type: str, kind: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"The message ({kind}) attribute '{name}' must contain a non-empty message attribute value for message "
        f"attribute type '{data_type.split('.')[0]}'."
    )


def _check_attribute_name(name: str, *, kind: str) -> None:
    reason = ""
    if not name:
        reason = "The message attribute name can't be empty."
    elif len(name) > 256:
        reason = "The message attribute name can be at most 256 characters long."
    elif not _ATTRIBUTE_NAME.match(name):
        reason = "The message attribute name can only contain A-Z, a-z, 0-9, underscore (_), hyphen (-) and period (.)."
    elif name.lower().startswith(("aws.", "amazon.")) and kind == "user":
        reason = "The message attribute name can't start with 'AWS.' or 'Amazon.' (reserved prefixes)."
    elif name.startswith(".") or name.endswith("."):
        reason = "The message attribute name can't start or end with a period (.)."
    elif ".." in name:
        reason = "The message attribute name can't have successive periods (..)."
    if reason:
        raise InvalidParameterValue(f"Message ({kind}) attribute name '{name}' is invalid. Reason: {reason}")


def _check_number(name: str, text: str, *, kind: str) -> None:
    problem = not _NUMBER.match(text.strip())
    if not problem:
        try:
            number = Decimal(text)
        except InvalidOperation:
            problem = True
        else:
            digits = number.normalize().as_tuple().digits
            problem = len(digits) > 38 or not (Decimal("-1e128") <= number <= Decimal("1e126"))
    if problem:
        raise InvalidParameterValue(f"Can't cast the value of message ({kind}) attribute '{name}' to a number.")


def payload_size(outgoing: Outgoing) -> int:
    """The bytes a message counts toward a batch's total, before any check: body, attribute names,
    types and values."""
    size = len((outgoing.body or "").encode("utf-8"))
    for name, value in (outgoing.attributes or {}).items():
        size += len(str(name).encode("utf-8")) + len(str(value.get("DataType") or "").encode("utf-8"))
        if value.get("BinaryValue") is not None:
            size += len(_binary_value(value["BinaryValue"]))
        elif value.get("StringValue") is not None:
            size += len(str(value["StringValue"]).encode("utf-8"))
    return size


def check_message(queue: Queue, outgoing: Outgoing) -> Checked:
    """Every check AWS makes on one message to this queue; the first failure raises."""
    body = outgoing.body
    if body is None or body == "":
        raise MissingParameter("The request must contain the parameter MessageBody.")
    bad = invalid_body_character(body)
    if bad:
        raise InvalidMessageContents(
            f"Invalid binary character '{bad}' was found in the message body, the set of allowed characters is "
            f"{ALLOWED_CHARACTERS}"
        )
    attributes, attributes_size = _check_attributes(outgoing.attributes or {})
    system_attributes, _ = _check_system_attributes(outgoing.system_attributes or {})
    size = len(body.encode("utf-8")) + attributes_size
    if size > queue.maximum_message_size:
        raise InvalidParameterValue(
            f"One or more parameters are invalid. Reason: Message must be shorter than {queue.maximum_message_size} "
            "bytes."
        )
    delay = outgoing.delay
    if delay is not None and not 0 <= delay <= MAX_DELAY:
        raise invalid_parameter("DelaySeconds", delay, f"DelaySeconds must be >= 0 and <= {MAX_DELAY}.")
    checked = Checked(
        body=body,
        delay=queue.delay_seconds if delay is None else delay,
        attributes=attributes,
        system_attributes=system_attributes,
        size=size,
    )
    group_id = outgoing.group_id
    deduplication_id = outgoing.deduplication_id
    if group_id is not None:
        _check_fifo_id("MessageGroupId", group_id)
        checked.group_id = group_id
    if deduplication_id is not None:
        _check_fifo_id("MessageDeduplicationId", deduplication_id)
    if queue.fifo:
        if delay:
            raise invalid_parameter(
                "DelaySeconds", delay, "The request include parameter that is not valid for this queue type."
            )
        if not group_id:
            raise MissingParameter("The request must contain the parameter MessageGroupId.")
        if not deduplication_id and not queue.content_based_deduplication:
            raise InvalidParameterValue(
                "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided "
                "explicitly"
            )
        checked.deduplication_id = deduplication_id or fifo.content_deduplication_id(body)
    elif deduplication_id is not None:
        raise invalid_parameter(
            "MessageDeduplicationId",
            deduplication_id,
            "The request includes a parameter that is not valid for this queue type.",
        )
    checked.md5_of_body = md5_of_body(body)
    checked.md5_of_attributes = md5_of_attributes(attributes)
    checked.md5_of_system_attributes = md5_of_attributes(system_attributes)
    return checked


def _check_system_attributes(
    attributes: Mapping[str, Mapping[str, Any]],
) -> tuple[dict[str, dict[str, Any]], int]:
    for name, value in attributes.items():
        if name != "AWSTraceHeader":
            raise InvalidParameterValue(
                f"Message system attribute name '{name}' is invalid. The only supported name is AWSTraceHeader."
            )
        if value.get("DataType") != "String":
            raise InvalidParameterValue("The message system attribute 'AWSTraceHeader' must be of type 'String'.")
    return _check_attributes(attributes, kind="system")


def _check_fifo_id(parameter: str, value: str) -> None:
    if not _FIFO_ID.match(value):
        raise invalid_parameter(
            parameter,
            value,
            f"{parameter} can only include alphanumeric and punctuation characters. 1 to 128 in length.",
        )


# --- enqueueing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    message_id: str
    md5_of_body: str
    md5_of_attributes: str
    md5_of_system_attributes: str
    sequence_number: str = ""

    def as_output(self) -> dict[str, str]:
        output = {"MessageId": self.message_id, "MD5OfMessageBody": self.md5_of_body}
        if self.md5_of_attributes:
            output["MD5OfMessageAttributes"] = self.md5_of_attributes
        if self.md5_of_system_attributes:
            output["MD5OfMessageSystemAttributes"] = self.md5_of_system_attributes
        if self.sequence_number:
            output["SequenceNumber"] = self.sequence_number
        return output


def messages_send(
    queue: Queue,
    checked: list[Checked],
    *,
    sender_id: str,
    now: dt.datetime,
    caller: sse.Caller | None = None,
    service_principal: str = "",
) -> list[Sent]:
    """Enqueue checked messages in order; FIFO repeats within the deduplication interval are accepted,
    answered with the first send's ids, and not enqueued again.

    `caller`: the principal whose request this is (a data key fetched for the send is recorded as
    fetched for it). `service_principal`: an AWS service sending as itself ("sns.amazonaws.com",
    SNS delivering to a subscribed queue): the send never passed the gateway, so it is recorded in
    CloudTrail here, as that service's SendMessage (a data event)."""
    results: list[Sent | None] = [None] * len(checked)
    rows: list[Message] = []
    new_indexes: list[int] = []
    sequence_numbers: list[str] = []
    if queue.fifo:
        sequence_numbers = fifo.next_sequence_numbers(queue, len(checked))
    retention = dt.timedelta(seconds=queue.message_retention_period)
    sealer = encryption.sealer_for(queue, now=now, caller=caller)  # raises a Kms* error before anything is stored
    for index, item in enumerate(checked):
        message_id = str(uuid.uuid4())
        sequence_number = sequence_numbers[index] if queue.fifo else ""
        if queue.fifo:
            key = fifo.deduplication_key(queue, deduplication_id=item.deduplication_id, group_id=item.group_id)
            earlier = fifo.find_duplicate(queue, key=key, now=now) or fifo.remember(
                queue, key=key, message_id=message_id, sequence_number=sequence_number, now=now
            )
            if earlier is not None:
                results[index] = Sent(
                    earlier.message_id,
                    item.md5_of_body,
                    item.md5_of_attributes,
                    item.md5_of_system_attributes,
                    earlier.sequence_number,
                )
                continue
        visible_at = now + dt.timedelta(seconds=item.delay)
        rows.append(
            Message(
                sandbox_id=queue.sandbox_id,
                queue=queue,
                message_id=message_id,
                body="" if sealer else item.body,
                sealed_body=sealer.seal(message_id, item.body) if sealer else None,
                data_key=sealer.ciphertext_key if sealer else None,
                sealed_for=sealer.queue_arn if sealer else "",
                md5_of_body=item.md5_of_body,
                attributes=item.attributes,
                md5_of_attributes=item.md5_of_attributes,
                system_attributes=item.system_attributes,
                md5_of_system_attributes=item.md5_of_system_attributes,
                size=item.size,
                sender_id=sender_id,
                sent_at=now,
                enqueued_at=now,
                visible_at=visible_at,
                wake_at=visible_at if item.delay else None,
                expires_at=now + retention,
                group_id=item.group_id,
                deduplication_id=item.deduplication_id,
                sequence_number=sequence_number,
            )
        )
        new_indexes.append(index)
        results[index] = Sent(
            message_id, item.md5_of_body, item.md5_of_attributes, item.md5_of_system_attributes, sequence_number
        )
    if rows:
        insert_instances(Message, rows)
        for row in rows:
            events.flow(
                queue.sandbox,
                "sent",
                source=events.CLIENT,
                target=queue.arn,
                item_id=row.message_id,
                now=now,
                detail={"size": row.size, "delay": (row.visible_at - now).total_seconds(), "group": row.group_id},
            )
        sqs_metrics.messages_sent(queue, count=len(rows), now=now)
        # A waiting long poll looks again: at once for a message it can take, and for a delayed one
        # to sleep until that message's time instead of its next two-second slice (longpoll.py).
        wakeup.notify(queue.wake_channel)
    sent = [result for result in results if result is not None]
    if service_principal:
        for item, result in zip(checked, sent, strict=True):
            _to_cloudtrail(queue, item, result, service_principal=service_principal, now=now)
    return sent


def message_send(
    queue: Queue, outgoing: Outgoing, *, sender_id: str, now: dt.datetime, service_principal: str = ""
) -> Sent:
    return messages_send(
        queue, [check_message(queue, outgoing)], sender_id=sender_id, now=now, service_principal=service_principal
    )[0]


def _camel(output: dict[str, str]) -> dict[str, str]:
    return {key[:1].lower() + key[1:]: value for key, value in output.items()}


def _to_cloudtrail(queue: Queue, item: Checked, sent: Sent, *, service_principal: str, now: dt.datetime) -> None:
    """Record a send an AWS service made as CloudTrail records SQS's SendMessage: requestParameters
    as AWS's example shows them (the body hidden), responseElements SendMessage's answer."""
    from services.cloudtrail.public import service_call  # CloudTrail reaches SNS, which reaches SQS

    params: dict[str, Any] = {
        "queueUrl": f"https://sqs.{queue.region}.amazonaws.com/{queue.sandbox.account_id}/{queue.name}",
        "messageBody": "HIDDEN_DUE_TO_SECURITY_REASONS",
    }
    if item.deduplication_id:
        params["messageDeduplicationId"] = item.deduplication_id
    if item.group_id:
        params["messageGroupId"] = item.group_id
    service_call(
        sandbox=queue.sandbox, region=queue.region, service="sqs", operation="SendMessage",
        invoked_by=service_principal, read_only=False, now=now, request_parameters=params,
        response_elements=_camel(sent.as_output()), resources=[{"type": "AWS::SQS::Queue", "ARN": queue.arn}],
    )  # fmt: skip


# --- the received form -------------------------------------------------------------------------------

SYSTEM_ATTRIBUTES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)


def epoch_millis(moment: dt.datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def chosen_system_attributes(*lists: Iterable[str] | None) -> set[str]:
    names: set[str] = set()
    for names_list in lists:
        names.update(names_list or [])
    if "All" in names:
        return set(SYSTEM_ATTRIBUTES)
    return names & set(SYSTEM_ATTRIBUTES)


def message_attribute_selector(names: Iterable[str] | None) -> tuple[bool, set[str], tuple[str, ...]]:
    """(all?, exact names, prefixes) from MessageAttributeNames: "All", ".*", "name" or "prefix.*"."""
    exact: set[str] = set()
    prefixes: list[str] = []
    everything = False
    for name in names or []:
        if name in ("All", ".*"):
            everything = True
        elif name.endswith(".*"):
            prefixes.append(name[:-1])
        else:
            exact.add(name)
    return everything, exact, tuple(prefixes)


def received_form(
    message: Message,
    *,
    body: str,
    handle: str,
    system_names: set[str],
    selector: tuple[bool, set[str], tuple[str, ...]],
) -> dict[str, Any]:
    """One entry of ReceiveMessage's Messages, with the attributes the caller asked for."""
    output: dict[str, Any] = {
        "MessageId": message.message_id,
        "ReceiptHandle": handle,
        "MD5OfBody": message.md5_of_body,
        "Body": body,
    }
    values = {
        "SenderId": message.sender_id,
        "SentTimestamp": epoch_millis(message.sent_at),
        "ApproximateReceiveCount": str(message.receive_count),
        "ApproximateFirstReceiveTimestamp": (
            epoch_millis(message.first_received_at) if message.first_received_at else ""
        ),
        "SequenceNumber": message.sequence_number,
        "MessageDeduplicationId": message.deduplication_id,
        "MessageGroupId": message.group_id,
        "AWSTraceHeader": (message.system_attributes.get("AWSTraceHeader") or {}).get("StringValue", ""),
        "DeadLetterQueueSourceArn": message.dead_letter_source_arn,
    }
    attributes = {name: values[name] for name in SYSTEM_ATTRIBUTES if name in system_names and values[name]}
    if attributes:
        output["Attributes"] = attributes
    everything, exact, prefixes = selector
    chosen = {
        name: value
        for name, value in message.attributes.items()
        if everything or name in exact or name.startswith(prefixes)
    }
    if chosen:
        output["MD5OfMessageAttributes"] = md5_of_attributes(chosen)
        output["MessageAttributes"] = {name: _wire_attribute(value) for name, value in chosen.items()}
    return output


def _wire_attribute(value: dict[str, Any]) -> dict[str, Any]:
    if "BinaryValue" in value:
        return {"DataType": value["DataType"], "BinaryValue": base64.b64decode(value["BinaryValue"])}
    return {"DataType": value["DataType"], "StringValue": value["StringValue"]}
