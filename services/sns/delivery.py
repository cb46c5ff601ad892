"""Delivering one published message to each subscriber, by protocol, with retries and
dead-lettering.

Deliverers are registered per protocol; the Lambda and Firehose issues register theirs here:

    register_deliverer("lambda", Deliverer(deliver=my_function))        # inline
    register_deliverer("https", Deliverer(build=..., attempt=...))       # queued

An **inline** deliverer runs inside the publishing transaction (SQS, email, email-json, SMS, mobile
push): `deliver(note) -> Outcome`. What it stores commits with the publish, so a subscriber never
sees a message whose publish failed. A **queued** deliverer (HTTP/S) must not run inside a
transaction: `build(note)` says what to send, a Delivery row keeps it, and `attempt(row)` makes
one attempt from a Celery task right after the commit, then from the tick when retries fall due
on the sandbox clock, following the subscription's effective delivery policy (retries.py).

Every attempt publishes one flow event (events.py): delivered, retried, failed or dead-lettered;
a message a filter policy rejects publishes filtered-out. A failed delivery with no retry left (or
a client-side error, which AWS never retries) goes to the subscription's dead-letter queue when it
has one, with the message attributes ErrorCode, ErrorMessage and RequestID.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

from playground.gateway.errors import AwsError
from playground.sandboxes.models import Clock, Sandbox
from services.sns import envelopes, events, outboxes, retries
from services.sns import metrics as sns_metrics
from services.sns.models import Delivery, Subscription, Topic
from services.sns.policies import queue_allows_topic

if TYPE_CHECKING:
    from services.kms.public import DataKey

LOG = logging.getLogger(__name__)

# While a worker attempts a delivery its row is leased for this long (sandbox time): a worker that
# died mid-attempt leaves the row due again afterwards.
LEASE = dt.timedelta(seconds=60)
DUE_BATCH = 25
SNS_SENDER_ID = "AIDAIT2UOQQY3AUEKVGXU"  # SenderId SQS shows for messages SNS sent
# Who SNS's sends to SQS are made by: the queue policy's principal, CloudTrail's invokedBy.
SNS_PRINCIPAL = "sns.amazonaws.com"


@dataclass
class Note:
    """One published message on its way to one subscription."""

    sandbox: Sandbox
    topic: Topic
    subscription: Subscription
    message_id: str
    message: str  # the text for this subscription's protocol (MessageStructure applied)
    subject: str | None
    attributes: dict[str, dict[str, Any]]
    sent_at: dt.datetime
    base_url: str
    sequence_number: str = ""
    group_id: str = ""
    deduplication_id: str = ""
    now: dt.datetime | None = None
    data_key: DataKey | None = None  # the topic's, with its plaintext, when it has KmsMasterKeyId

    @property
    def target(self) -> str:
        return node_of(self.subscription)

    def envelope(self) -> str:
        return envelopes.notification(
            message_id=self.message_id,
            topic_arn=self.topic.arn,
            subscription_arn=self.subscription.arn,
            message=self.message,
            subject=self.subject,
            attributes=self.attributes,
            sent_at=self.sent_at,
            sequence_number=self.sequence_number,
            signature_version=self.topic.signature_version,
            base_url=self.base_url,
        )

    def payload(self) -> str:
        """What the subscriber receives: the raw message, or the envelope."""
        return self.message if self.subscription.raw else self.envelope()


@dataclass
class Outcome:
    delivered: bool
    retryable: bool = False  # a server-side error: the delivery policy may retry
    code: str = ""
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def ok(cls, **detail: Any) -> Outcome:
        return cls(True, detail=detail)

    @classmethod
    def client_error(cls, code: str, reason: str, **detail: Any) -> Outcome:
        return cls(False, False, code, reason, detail)

    @classmethod
    def server_error(cls, code: str, reason: str, **detail: Any) -> Outcome:
        return cls(False, True, code, reason, detail)


@dataclass(frozen=True)
class Prepared:
    body: str
    headers: dict[str, str]
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Deliverer:
    deliver: Callable[[Note], Outcome] | None = None  # inline, inside the publish's transaction
    # An inline deliverer that may write before it fails runs in a savepoint, rolled back on failure;
    # one that checks everything before it writes (as the built-in ones do) saves that round trip.
    atomic: bool = True
    build: Callable[[Note], Prepared] | None = None  # queued: what a Delivery row keeps
    attempt: Callable[[Delivery], Outcome] | None = None  # queued: one attempt, outside any transaction
    retry_policy: Callable[[Subscription], dict[str, Any]] | None = None


_deliverers: dict[str, Deliverer] = {}


def register_deliverer(protocol: str, deliverer: Deliverer) -> None:
    if deliverer.deliver is None and (deliverer.build is None or deliverer.attempt is None):
        raise ValueError("a deliverer delivers inline, or builds and attempts queued deliveries")
    _deliverers[protocol] = deliverer


def deliverer_for(protocol: str) -> Deliverer | None:
    return _deliverers.get(protocol)


def node_of(subscription: Subscription) -> str:
    """The diagram node a subscription delivers to: the queue for SQS, the subscription otherwise."""
    return subscription.endpoint if subscription.protocol in ("sqs", "lambda", "firehose") else subscription.arn


def delivery_problem(subscription: Subscription, *, topic_arn: str) -> Outcome | None:
    """What makes every delivery to an SQS subscription fail right now, as the `failed` flow event
    would say it (code, reason), or None: the queue is gone, or its policy does not let the topic
    send. The diagram marks the subscription's edge with it (graph.py), so that a student sees the
    loss AWS keeps silent before publishing, and after a reload."""
    if subscription.protocol != "sqs":
        return None
    from services.sqs.public import queue_by_arn

    queue = queue_by_arn(sandbox=subscription.sandbox, arn=subscription.endpoint)
    if queue is None:
        return Outcome.client_error("NonExistentQueue", f"the queue {subscription.endpoint} does not exist")
    decision = queue_allows_topic(policy=queue.policy, queue_arn=queue.arn, topic_arn=topic_arn)
    if not decision.allowed:
        return Outcome.client_error("AccessDenied", f"the queue refused the topic: {decision.reason}")
    return None


# --- fan-out ------------------------------------------------------------------------------------------


def deliver(note: Note) -> None:
    """Hand one message to one subscription (filter policy already passed): inline or queued."""
    now = note.now or note.sent_at
    deliverer = _deliverers.get(note.subscription.protocol)
    if deliverer is None:
        _record(
            note,
            Outcome.client_error(
                "NotSupported", f"Playground does not deliver to {note.subscription.protocol} subscribers yet"
            ),
            attempt=1,
            now=now,
        )
        return
    if deliverer.deliver is not None:
        try:
            if deliverer.atomic:
                with transaction.atomic():
                    outcome = deliverer.deliver(note)
            else:
                outcome = deliverer.deliver(note)
        except AwsError as problem:
            outcome = Outcome.client_error(problem.code, problem.message)
        _record(note, outcome, attempt=1, now=now)
        return
    assert deliverer.build is not None
    prepared = deliverer.build(note)
    policy = (
        deliverer.retry_policy(note.subscription)
        if deliverer.retry_policy
        else dict(retries.DEFAULT_HEALTHY_RETRY_POLICY)
    )
    sealed = _seal(note.data_key, prepared.body, message_id=note.message_id)
    row = Delivery.objects.create(
        sandbox=note.sandbox,
        subscription=note.subscription,
        subscription_arn=note.subscription.arn,
        topic_arn=note.topic.arn,
        protocol=note.subscription.protocol,
        endpoint=note.subscription.endpoint,
        kind=Delivery.NOTIFICATION,
        message_id=note.message_id,
        body="" if sealed else prepared.body,
        sealed_body=sealed,
        data_key=note.data_key.ciphertext if sealed and note.data_key else None,
        headers=prepared.headers,
        context={
            **prepared.context,
            "attributes": note.attributes,
            "group_id": note.group_id,
            "deduplication_id": note.deduplication_id,
            "raw": note.subscription.raw,
        },
        retry_policy=policy,
        due_at=now,
        size=len(prepared.body.encode("utf-8")),
    )
    _attempt_after_commit(row.pk)


# --- encryption at rest -----------------------------------------------------------------------------


def _seal(data_key: DataKey | None, body: str, *, message_id: str) -> bytes | None:
    if data_key is None:
        return None
    from services.kms.public import sse

    return sse.seal(data_key.plaintext, body.encode("utf-8"), aad=message_id.encode("ascii"))


def _open(row: Delivery, *, now: dt.datetime) -> str:
    """The body of a queued delivery, opened with its topic's data key: without KMS while the topic
    still holds that key, through KMS Decrypt otherwise (which fails when the key is unusable)."""
    if row.sealed_body is None or row.data_key is None:
        return row.body
    from services.kms.public import sse
    from services.sns.publishing import DATA_KEY_REUSE

    wrapped = bytes(row.data_key)
    topic = Topic.objects.filter(sandbox=row.sandbox, arn=row.topic_arn).first()
    held = topic is not None and sse.holds(
        topic.data_key_ciphertext, topic.data_key_made_at, reuse=DATA_KEY_REUSE, now=now, wrapped=wrapped
    )
    data_key = sse.open_data_key(
        sandbox=row.sandbox,
        region=row.topic_arn.split(":")[3],
        ciphertext=wrapped,
        context=sse.sns_context(row.topic_arn),
        source_arn=row.topic_arn,
        held=held,
        now=now,
    )
    return sse.open_sealed(data_key.plaintext, bytes(row.sealed_body), aad=row.message_id.encode("ascii")).decode()


def _attempt_after_commit(delivery_id: int) -> None:
    from services.sns import tasks

    def send() -> None:
        try:
            tasks.attempt.apply_async(args=(delivery_id,), queue=settings.CELERY_TASK_DEFAULT_QUEUE)
        except Exception:  # the broker is away: the tick attempts it when it is due
            LOG.warning("could not queue the delivery %s; the tick will attempt it", delivery_id, exc_info=True)

    transaction.on_commit(send)


def _record(note: Note, outcome: Outcome, *, attempt: int, now: dt.datetime) -> None:
    """The flow event of an inline attempt, and dead-lettering of a failed one."""
    subscription = note.subscription
    if outcome.delivered:
        events.flow(
            note.sandbox,
            events.DELIVERED,
            source=note.topic.arn,
            target=note.target,
            item_id=note.message_id,
            now=now,
            detail={"protocol": subscription.protocol, "attempt": attempt, **outcome.detail},
        )
        return
    dead_letter(
        sandbox=note.sandbox,
        subscription=subscription,
        topic_arn=note.topic.arn,
        message_id=note.message_id,
        body=note.payload() if subscription.protocol in ("sqs", "http", "https", "firehose") else note.message,
        attributes=note.attributes if subscription.raw else {},
        group_id=note.group_id,
        deduplication_id=note.deduplication_id,
        outcome=outcome,
        attempt=attempt,
        now=now,
    )


# --- dead-letter queues -------------------------------------------------------------------------------


def dead_letter(
    *,
    sandbox: Sandbox,
    subscription: Subscription | None,
    topic_arn: str,
    message_id: str,
    body: str,
    attributes: dict[str, dict[str, Any]],
    group_id: str,
    deduplication_id: str,
    outcome: Outcome,
    attempt: int,
    now: dt.datetime,
) -> None:
    """Send an undeliverable message to the subscription's dead-letter queue, or record it lost."""
    sns_metrics.notification_failed(sandbox=sandbox, topic_arn=topic_arn, now=now)
    target = node_of(subscription) if subscription is not None else ""
    detail: dict[str, Any] = {
        "protocol": subscription.protocol if subscription is not None else "",
        "attempt": attempt,
        "error_code": outcome.code,
        "reason": outcome.reason,
        **outcome.detail,
    }
    dlq_arn = subscription.dead_letter_arn if subscription is not None else ""
    if not dlq_arn:
        events.flow(sandbox, events.FAILED, source=topic_arn, target=target, item_id=message_id, now=now, detail=detail)
        return
    from services.sqs.public import Outgoing, message_send, queue_by_arn

    queue = queue_by_arn(sandbox=sandbox, arn=dlq_arn)
    refusal = ""
    if queue is None:
        refusal = f"the dead-letter queue {dlq_arn} does not exist"
    else:
        decision = queue_allows_topic(policy=queue.policy, queue_arn=queue.arn, topic_arn=topic_arn)
        if not decision.allowed:
            refusal = f"the dead-letter queue refused the message: {decision.reason}"
    if queue is not None and not refusal:
        error_attributes = {
            "ErrorCode": {"DataType": "String", "StringValue": outcome.code or "Unknown"},
            "ErrorMessage": {"DataType": "String", "StringValue": (outcome.reason or "delivery failed")[:1000]},
            "RequestID": {"DataType": "String", "StringValue": str(uuid.uuid4())},
        }
        merged = {**envelopes.sqs_attributes(attributes), **error_attributes}
        if len(merged) > 10:
            merged = error_attributes
        outgoing = Outgoing(
            body=body,
            attributes=merged,
            group_id=(group_id or "default") if queue.fifo else (group_id or None),
            deduplication_id=(deduplication_id or message_id) if queue.fifo else None,
        )
        try:
            with transaction.atomic():
                message_send(queue, outgoing, sender_id=SNS_SENDER_ID, now=now, service_principal=SNS_PRINCIPAL)
        except AwsError as problem:
            refusal = f"the dead-letter queue refused the message: {problem.message}"
    if refusal:
        detail["dead_letter_error"] = refusal
        events.flow(sandbox, events.FAILED, source=topic_arn, target=target, item_id=message_id, now=now, detail=detail)
        return
    detail["subscriber"] = target
    events.flow(
        sandbox, events.DEAD_LETTERED, source=topic_arn, target=dlq_arn, item_id=message_id, now=now, detail=detail
    )


# --- queued attempts -----------------------------------------------------------------------------------


def _claim(row: Delivery, *, now: dt.datetime) -> bool:
    """Take a due row for one attempt: only the worker whose update matched the row's state gets it.
    The row stays leased (not due) until the attempt is recorded, or LEASE passes."""
    claimed = Delivery.objects.filter(pk=row.pk, attempts=row.attempts, due_at=row.due_at).update(
        attempts=row.attempts + 1, due_at=now + LEASE
    )
    if claimed:
        row.attempts += 1
    return bool(claimed)


def attempt_delivery(delivery_id: int, *, claimed_attempt: int | None = None) -> bool:
    """Make one attempt of a queued delivery, outside any transaction. With `claimed_attempt` the
    tick has claimed the row for that attempt already; otherwise (the first attempt, right after
    the publish) the row is claimed here when due. False when there is nothing to do."""
    row = Delivery.objects.select_related("sandbox").filter(pk=delivery_id).first()
    if row is None:
        return False
    sandbox = row.sandbox
    if claimed_attempt is not None:
        if row.attempts != claimed_attempt:
            return False  # finished, or claimed again after the lease ran out
    else:
        current = Clock.current(sandbox.pk).now()
        if row.due_at > current or not _claim(row, now=current):
            return False
    deliverer = _deliverers.get(row.protocol)
    try:
        row.body = _open(row, now=Clock.current(sandbox.pk).now())  # in memory only: the row stays sealed
    except AwsError as problem:  # the topic's KMS key can no longer open it
        outcome = Outcome.client_error(f"KMS.{problem.code}", problem.message)
    else:
        outcome = _attempt(deliverer, row)
    finished = Clock.current(sandbox.pk).now()
    with transaction.atomic():
        if not Delivery.objects.filter(pk=row.pk, attempts=row.attempts).exists():
            return False  # unsubscribed, or the topic deleted, meanwhile
        _finish(row, outcome, now=finished)
    return True


def _attempt(deliverer: Deliverer | None, row: Delivery) -> Outcome:
    if deliverer is None or deliverer.attempt is None:
        return Outcome.client_error("NotSupported", f"no deliverer for {row.protocol}")
    try:
        return deliverer.attempt(row)
    except Exception as problem:  # a deliverer's bug must not leave the row leased forever
        LOG.exception("delivery %s failed unexpectedly", row.pk)
        return Outcome.server_error("InternalFailure", str(problem))


def _finish(row: Delivery, outcome: Outcome, *, now: dt.datetime) -> None:
    subscription = Subscription.objects.filter(pk=row.subscription_id).first() if row.subscription_id else None
    target = node_of(subscription) if subscription is not None else row.subscription_arn
    detail = {"protocol": row.protocol, "attempt": row.attempts, "type": row.kind, **outcome.detail}
    if outcome.delivered:
        Delivery.objects.filter(pk=row.pk).delete()
        events.flow(row.sandbox, events.DELIVERED, source=row.topic_arn, target=target, item_id=row.message_id,
                    now=now, detail=detail)  # fmt: skip
        return
    delay = retries.delay_before_retry(row.retry_policy, row.attempts) if outcome.retryable else None
    if delay is not None and (subscription is not None or row.kind != Delivery.NOTIFICATION):
        retry_at = now + dt.timedelta(seconds=delay)
        Delivery.objects.filter(pk=row.pk).update(due_at=retry_at, last_error=outcome.reason[:1024])
        events.flow(
            row.sandbox,
            events.RETRIED,
            source=row.topic_arn,
            target=target,
            item_id=row.message_id,
            now=now,
            detail={**detail, "error_code": outcome.code, "reason": outcome.reason, "retry_at": retry_at.isoformat()},
        )
        return
    Delivery.objects.filter(pk=row.pk).delete()
    if row.kind != Delivery.NOTIFICATION:
        events.flow(row.sandbox, events.FAILED, source=row.topic_arn, target=target, item_id=row.message_id, now=now,
                    detail={**detail, "error_code": outcome.code, "reason": outcome.reason})  # fmt: skip
        return
    context = row.context or {}
    dead_letter(
        sandbox=row.sandbox,
        subscription=subscription,
        topic_arn=row.topic_arn,
        message_id=row.message_id,
        body=row.body,
        attributes=context.get("attributes", {}) if context.get("raw") else {},
        group_id=context.get("group_id", ""),
        deduplication_id=context.get("deduplication_id", ""),
        outcome=outcome,
        attempt=row.attempts,
        now=now,
    )


def run_due(sandbox: Sandbox, now: dt.datetime) -> int:
    """The tick's work: claim the sandbox's queued deliveries that fell due and hand each attempt to
    a Celery task, so that a slow endpoint never holds up the tick (of every sandbox)."""
    due = list(Delivery.objects.filter(sandbox=sandbox, due_at__lte=now).order_by("due_at", "id")[:DUE_BATCH])
    claimed = 0
    for row in due:
        if _claim(row, now=now):
            claimed += 1
            _attempt_claimed(row.pk, row.attempts)
    return claimed


def _attempt_claimed(delivery_id: int, attempt: int) -> None:
    from services.sns import tasks

    try:
        tasks.attempt.apply_async(args=(delivery_id, attempt), queue=settings.CELERY_TASK_DEFAULT_QUEUE)
    except Exception:  # the broker is away: attempt it here rather than wait for the lease to run out
        LOG.warning("could not queue the delivery %s; attempting it in the tick", delivery_id, exc_info=True)
        attempt_delivery(delivery_id, claimed_attempt=attempt)


# --- confirmations ---------------------------------------------------------------------------------------


def send_confirmation(subscription: Subscription, *, kind: str, base_url: str, now: dt.datetime) -> None:
    """A SubscriptionConfirmation or UnsubscribeConfirmation to an HTTP/S or email endpoint."""
    topic = subscription.topic
    message_id = str(uuid.uuid4())
    base = base_url or subscription.base_url or settings.PLAYGROUND_PUBLIC_URL
    if subscription.protocol in ("email", "email-json"):
        outboxes.email_confirmation(subscription=subscription, message_id=message_id, base_url=base, now=now)
        return
    if subscription.protocol not in ("http", "https"):
        return
    body = envelopes.confirmation(
        kind=kind,
        message_id=message_id,
        topic_arn=topic.arn,
        subscription_arn=subscription.arn,
        token=subscription.token,
        sent_at=now,
        signature_version=topic.signature_version,
        base_url=base,
    )
    policy = http_retry_policy(subscription)
    headers = envelopes.http_headers(
        kind=kind,
        message_id=message_id,
        topic_arn=topic.arn,
        subscription_arn=subscription.arn,
        raw=False,
        content_type=content_type(subscription),
    )
    row = Delivery.objects.create(
        sandbox=subscription.sandbox,
        subscription=subscription,
        subscription_arn=subscription.arn,
        topic_arn=topic.arn,
        protocol=subscription.protocol,
        endpoint=subscription.endpoint,
        kind=kind,
        message_id=message_id,
        body=body,
        headers=headers,
        retry_policy=policy,
        due_at=now,
        size=len(body.encode("utf-8")),
    )
    _attempt_after_commit(row.pk)


# --- delivery policies ---------------------------------------------------------------------------------


def _effective_policy(subscription: Subscription) -> dict[str, Any]:
    return retries.effective_subscription_policy(
        str(subscription.topic.attributes.get("DeliveryPolicy", "")),
        str(subscription.attributes.get("DeliveryPolicy", "")),
    )


def http_retry_policy(subscription: Subscription) -> dict[str, Any]:
    policy: dict[str, Any] = _effective_policy(subscription)["healthyRetryPolicy"]
    return policy


def content_type(subscription: Subscription) -> str:
    request_policy = _effective_policy(subscription).get("requestPolicy") or {}
    return str(request_policy.get("headerContentType") or retries.DEFAULT_CONTENT_TYPE)
