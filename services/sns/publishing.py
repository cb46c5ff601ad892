"""Publishing: the checks AWS makes on a message, FIFO sequencing and deduplication, encryption at
rest, and fan-out to the topic's subscribers.

`topic_publish` is the one domain function that publishes to a topic; the API's Publish and
PublishBatch call it, and so will CloudWatch alarms, EventBridge and S3 notifications:

    topic_publish(topic=topic, message="...", subject=None, attributes={...}, now=now)

It runs inside the caller's transaction. Each confirmed subscription's filter policy is applied,
then its protocol's deliverer (delivery.py) takes the message: SQS, email, SMS and push deliveries
commit with the publish; HTTP/S deliveries are attempted by a worker right after it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from playground.db import find_all
from playground.gateway.errors import AwsError
from playground.sandboxes.models import Sandbox
from services.sns import delivery, envelopes, events, filters, outboxes, platforms, sms, topics
from services.sns import metrics as sns_metrics
from services.sns.exceptions import (
    KMS_ERRORS,
    EndpointDisabledException,
    PlatformApplicationDisabledException,
    invalid_parameter,
)
from services.sns.messages import check_attributes, check_fifo_id, check_message, check_structure, check_subject
from services.sns.models import DeduplicationRecord, Subscription, Topic

if TYPE_CHECKING:
    from services.kms.public import Caller, DataKey

DEDUPLICATION_INTERVAL = dt.timedelta(minutes=5)
DATA_KEY_REUSE = dt.timedelta(minutes=5)
SEQUENCE_BASE = 10**19


def new_message_id() -> str:
    """A UUID-shaped message id. Not a secret: random.getrandbits spares a read of os.urandom, slow on
    some virtual machines, on every publish."""
    return str(uuid.UUID(int=random.getrandbits(128), version=4))


@dataclass(frozen=True)
class Published:
    message_id: str
    sequence_number: str = ""

    def as_output(self) -> dict[str, str]:
        output = {"MessageId": self.message_id}
        if self.sequence_number:
            output["SequenceNumber"] = self.sequence_number
        return output


# --- encryption at rest --------------------------------------------------------------------------------


def _check_encryption(topic: Topic, *, now: dt.datetime, caller: Caller | None = None) -> DataKey | None:
    """With KmsMasterKeyId, SNS holds a data key made under the KMS key (GenerateDataKey, reused for
    five minutes; recorded as made for `caller`, the publisher) and seals what it keeps of a
    message with it (queued HTTP/S deliveries); a disabled, deleted or unusable key fails the
    publish with SNS's KMS* error."""
    key_id = str(topic.attributes.get("KmsMasterKeyId") or "")
    if not key_id:
        return None
    from services.kms.public import KmsError, sse

    context = sse.sns_context(topic.arn)
    try:
        master = sse.master_key(sandbox=topic.sandbox, region=topic.region, key_id=key_id, now=now)
        if topic.data_key_ciphertext and sse.holds(
            topic.data_key_ciphertext, topic.data_key_made_at, reuse=DATA_KEY_REUSE, now=now
        ):
            reused = sse.reuse_data_key(
                sandbox=topic.sandbox,
                region=topic.region,
                ciphertext=bytes(topic.data_key_ciphertext),
                context=context,
                now=now,
            )
            if reused.key_arn == master.arn:
                return reused
        data_key = sse.new_data_key(
            sandbox=topic.sandbox, region=topic.region, key_id=key_id, context=context, source_arn=topic.arn, now=now,
            caller=caller,
        )  # fmt: skip
    except KmsError as problem:
        shape = sse.SNS_ERRORS.get(problem.code, "KMSInvalidStateException")
        raise KMS_ERRORS[shape](problem.message or f"The KMS key {key_id} cannot be used") from None
    Topic.objects.filter(pk=topic.pk).update(data_key_ciphertext=data_key.ciphertext, data_key_made_at=now)
    topic.data_key_ciphertext = data_key.ciphertext
    topic.data_key_made_at = now
    return data_key


# --- FIFO ----------------------------------------------------------------------------------------------


def _next_sequence_number(topic: Topic) -> str:
    Topic.objects.filter(pk=topic.pk).update(last_sequence=F("last_sequence") + 1)
    last = Topic.objects.filter(pk=topic.pk).values_list("last_sequence", flat=True).get()
    topic.last_sequence = last
    return str(SEQUENCE_BASE + last)


def _deduplication_key(topic: Topic, *, deduplication_id: str, group_id: str) -> str:
    if topic.attributes.get("FifoThroughputScope") == "MessageGroup":
        return f"{group_id}\n{deduplication_id}"
    return deduplication_id


def _earlier(topic: Topic, *, key: str, now: dt.datetime) -> Published | None:
    record = DeduplicationRecord.objects.filter(topic=topic, key=key).first()
    if record is None:
        return None
    if record.expires_at > now:
        return Published(record.message_id, record.sequence_number)
    record.delete()
    return None


def _remember(topic: Topic, *, key: str, published: Published, now: dt.datetime) -> Published | None:
    try:
        with transaction.atomic():
            DeduplicationRecord.objects.create(
                sandbox_id=topic.sandbox_id,
                topic=topic,
                key=key,
                message_id=published.message_id,
                sequence_number=published.sequence_number,
                expires_at=now + DEDUPLICATION_INTERVAL,
            )
    except IntegrityError:
        return _earlier(topic, key=key, now=now)
    return None


# --- publishing to a topic -----------------------------------------------------------------------------


def topic_publish(
    *,
    topic: Topic,
    message: str,
    subject: str | None = None,
    attributes: Mapping[str, Mapping[str, Any]] | None = None,
    structure: str | None = None,
    group_id: str | None = None,
    deduplication_id: str | None = None,
    base_url: str | None = None,
    now: dt.datetime,
    caller: Caller | None = None,
) -> Published:
    """Publish a message to a topic and hand it to every subscriber whose filter policy accepts it.

    `attributes` are message attributes as boto3 takes them ({"name": {"DataType": "String",
    "StringValue": "..."}}); `structure` "json" makes `message` a JSON object of per-protocol
    messages. Raises SNS's errors for bad input; a FIFO repeat within five minutes is accepted and
    answered with the first publish's ids without delivering again.
    """
    stored, attributes_size = check_attributes(attributes)
    check_message(message, attributes_size=attributes_size, limit=topics.max_message_size(topic))
    check_subject(subject)
    document = check_structure(message, structure)
    group_id, deduplication_id = _check_fifo_parameters(topic, message, group_id, deduplication_id)
    data_key = _check_encryption(topic, now=now, caller=caller)
    message_id = new_message_id()
    sequence_number = ""
    if topic.fifo:
        key = _deduplication_key(topic, deduplication_id=deduplication_id, group_id=group_id)
        earlier = _earlier(topic, key=key, now=now)
        if earlier is not None:
            return earlier
        sequence_number = _next_sequence_number(topic)
        earlier = _remember(topic, key=key, published=Published(message_id, sequence_number), now=now)
        if earlier is not None:
            return earlier
    subscriptions = find_all(Subscription, topic=topic, status=Subscription.CONFIRMED)
    events.flow(
        topic.sandbox,
        events.PUBLISHED,
        source=events.CLIENT,
        target=topic.arn,
        item_id=message_id,
        now=now,
        detail={"size": len(message.encode("utf-8")), "subscribers": len(subscriptions), "group": group_id},
    )
    sns_metrics.message_published(sandbox=topic.sandbox, topic_arn=topic.arn, now=now)
    for subscription in subscriptions:
        subscription.sandbox = topic.sandbox
        subscription.topic = topic
        text = _message_for(subscription, message, document)
        if subscription.filter_policy:
            scope = subscription.filter_scope or filters.SCOPE_ATTRIBUTES
            policy = filters.check_policy(subscription.filter_policy, scope=scope)
            # The body scope reads the message this subscriber would get.
            if not policy.matches(attributes=stored, body=text):
                events.flow(
                    topic.sandbox,
                    events.FILTERED_OUT,
                    source=topic.arn,
                    target=delivery.node_of(subscription),
                    item_id=message_id,
                    now=now,
                    detail={"protocol": subscription.protocol, "scope": scope},
                )
                continue
        delivery.deliver(
            delivery.Note(
                sandbox=topic.sandbox,
                topic=topic,
                subscription=subscription,
                message_id=message_id,
                message=text,
                subject=subject,
                attributes=stored,
                sent_at=now,
                base_url=base_url or subscription.base_url or settings.PLAYGROUND_PUBLIC_URL,
                sequence_number=sequence_number,
                group_id=group_id,
                deduplication_id=deduplication_id,
                now=now,
                data_key=data_key,
            )
        )
    return Published(message_id, sequence_number)


def _message_for(subscription: Subscription, message: str, document: dict[str, Any] | None) -> str:
    if subscription.protocol == "application":
        return outboxes.push_payload(message, document, outboxes.platform_of(subscription.endpoint))
    return envelopes.message_for(subscription.protocol, message, document)


def _check_fifo_parameters(
    topic: Topic, message: str, group_id: str | None, deduplication_id: str | None
) -> tuple[str, str]:
    if group_id is not None:
        check_fifo_id("MessageGroupId", group_id)
    if deduplication_id is not None:
        check_fifo_id("MessageDeduplicationId", deduplication_id)
    if not topic.fifo:
        if deduplication_id is not None:
            raise invalid_parameter(
                "MessageDeduplicationId",
                "The request includes MessageDeduplicationId parameter that is not valid for this topic type",
            )
        return group_id or "", ""
    if not group_id:
        raise invalid_parameter("The MessageGroupId parameter is required for FIFO topics")
    if not deduplication_id:
        if not topic.content_based_deduplication:
            raise invalid_parameter(
                "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided "
                "explicitly"
            )
        deduplication_id = hashlib.sha256(message.encode("utf-8")).hexdigest()
    return group_id, deduplication_id


# --- the Publish operation -------------------------------------------------------------------------------


def publish(
    *,
    sandbox: Sandbox,
    topic_arn: str | None,
    target_arn: str | None,
    phone_number: str | None,
    message: str,
    subject: str | None,
    structure: str | None,
    attributes: Mapping[str, Mapping[str, Any]] | None,
    group_id: str | None,
    deduplication_id: str | None,
    base_url: str,
    now: dt.datetime,
    caller: Caller | None = None,
) -> Published:
    """Publish to a topic (TopicArn, or a topic's TargetArn), a platform endpoint or a phone number."""
    given = [value for value in (topic_arn, target_arn, phone_number) if value]
    if not given:
        raise invalid_parameter("TopicArn or TargetArn Reason: no value for required parameter")
    if len(given) > 1:
        raise invalid_parameter("TopicArn or TargetArn or PhoneNumber", "only one of them may be given")
    arn = topic_arn or target_arn or ""
    if phone_number:
        return _publish_sms(sandbox, phone_number, message, subject, structure, attributes, now)
    if ":endpoint/" in arn:
        return _publish_push(sandbox, arn, message, subject, structure, attributes, now)
    topic = topics.topic_by_arn(sandbox=sandbox, arn=arn, parameter="TopicArn" if topic_arn else "TargetArn")
    if topic.fifo:
        topic = topics.topic_by_arn(sandbox=sandbox, arn=arn, lock=True)
    return topic_publish(
        topic=topic,
        message=message,
        subject=subject,
        attributes=attributes,
        structure=structure,
        group_id=group_id,
        deduplication_id=deduplication_id,
        base_url=base_url,
        now=now,
        caller=caller,
    )


def _publish_sms(
    sandbox: Sandbox,
    phone_number: str,
    message: str,
    subject: str | None,
    structure: str | None,
    attributes: Mapping[str, Mapping[str, Any]] | None,
    now: dt.datetime,
) -> Published:
    stored, size = check_attributes(attributes)
    check_message(message, attributes_size=size, limit=topics.DEFAULT_MAX_MESSAGE_SIZE)
    check_subject(subject)
    document = check_structure(message, structure)
    text = envelopes.message_for("sms", message, document)
    message_id = new_message_id()
    sms.sms_publish(
        sandbox=sandbox, phone_number=phone_number, message=text, message_id=message_id, attributes=stored, now=now
    )
    return Published(message_id)


def _publish_push(
    sandbox: Sandbox,
    arn: str,
    message: str,
    subject: str | None,
    structure: str | None,
    attributes: Mapping[str, Mapping[str, Any]] | None,
    now: dt.datetime,
) -> Published:
    _, size = check_attributes(attributes)
    check_message(message, attributes_size=size, limit=topics.DEFAULT_MAX_MESSAGE_SIZE)
    check_subject(subject)
    document = check_structure(message, structure)
    try:
        endpoint = platforms.endpoint_by_arn(sandbox=sandbox, arn=arn, parameter="TargetArn")
    except AwsError as problem:
        if problem.code == "NotFound":
            raise invalid_parameter("TargetArn", "No endpoint found for the target arn specified") from None
        raise
    if not endpoint.application.enabled:
        raise PlatformApplicationDisabledException("Platform application is disabled")
    if not endpoint.enabled:
        raise EndpointDisabledException("Endpoint is disabled")
    message_id = new_message_id()
    payload = outboxes.push_payload(message, document, endpoint.application.platform)
    outboxes.push_send(endpoint=endpoint, payload=payload, message_id=message_id, now=now)
    events.flow(
        sandbox, events.DELIVERED, source=events.CLIENT, target=endpoint.arn, item_id=message_id, now=now,
        detail={"protocol": "application", "attempt": 1, "platform": endpoint.application.platform},
    )  # fmt: skip
    return Published(message_id)


# --- PublishBatch ---------------------------------------------------------------------------------------


MAX_BATCH_ENTRIES = 10
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def publish_batch(
    *, topic: Topic, entries: list[dict[str, Any]], base_url: str, now: dt.datetime, caller: Caller | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(Successful, Failed) as PublishBatch answers them; batch-level problems raise."""
    from services.sns.exceptions import (
        BatchEntryIdsNotDistinctException,
        BatchRequestTooLongException,
        EmptyBatchRequestException,
        InvalidBatchEntryIdException,
        TooManyEntriesInBatchRequestException,
    )

    if not entries:
        raise EmptyBatchRequestException("The batch request doesn't contain any entries.")
    if len(entries) > MAX_BATCH_ENTRIES:
        raise TooManyEntriesInBatchRequestException("The batch request contains more entries than permissible.")
    ids = [str(entry.get("Id", "")) for entry in entries]
    if len(set(ids)) != len(ids):
        raise BatchEntryIdsNotDistinctException("Two or more batch entries in the request have the same Id.")
    for entry_id in ids:
        if not _BATCH_ID.match(entry_id):
            raise InvalidBatchEntryIdException(
                "The Id of a batch entry in a batch request doesn't abide by the specification."
            )
    total = 0
    for entry in entries:
        _, size = check_attributes(entry.get("MessageAttributes"))
        total += len(str(entry.get("Message") or "").encode("utf-8")) + size
    if total > topics.max_message_size(topic):
        raise BatchRequestTooLongException("The length of all the messages put together is more than the limit.")
    successful: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for entry in entries:
        try:
            with transaction.atomic():
                published = topic_publish(
                    topic=topic,
                    message=entry.get("Message", ""),
                    subject=entry.get("Subject"),
                    attributes=entry.get("MessageAttributes"),
                    structure=entry.get("MessageStructure"),
                    group_id=entry.get("MessageGroupId"),
                    deduplication_id=entry.get("MessageDeduplicationId"),
                    base_url=base_url,
                    now=now,
                    caller=caller,
                )
        except AwsError as problem:
            failed.append({"Id": entry["Id"], "Code": problem.code, "Message": problem.message, "SenderFault": True})
            continue
        successful.append({"Id": entry["Id"], **published.as_output()})
    return successful, failed
