"""The built-in deliverers, registered with delivery.py's registry on import:

    sqs                      inline: into the queue with SQS's own domain functions, when the queue's
                             policy lets the topic send (policies.py); FIFO ids passed along
    email, email-json        inline: the email outbox (outboxes.py)
    sms                      inline: the SMS outbox, for verified numbers that did not opt out
    application              inline: the platform endpoint's inbox
    firehose                 inline: one record into the delivery stream (services.firehose.public),
                             the JSON envelope or (RawMessageDelivery) the bare message
    http, https              queued: a real POST with the x-amz-sns-* headers, at most 2 s to connect
                             and 5 s to answer; 2xx delivers, 429 / 5xx / no answer are retried,
                             other statuses are client-side errors

Each inline deliverer checks everything before it writes, so it needs no savepoint of its own.
"""

from __future__ import annotations

import requests

from services.sns import delivery, envelopes, outboxes
from services.sns.delivery import SNS_PRINCIPAL, SNS_SENDER_ID, Deliverer, Note, Outcome, Prepared, register_deliverer
from services.sns.models import Delivery
from services.sns.policies import queue_allows_topic

HTTP_CONNECT_TIMEOUT = 2.0
HTTP_READ_TIMEOUT = 5.0


def _build_http(note: Note) -> Prepared:
    headers = envelopes.http_headers(
        kind="Notification",
        message_id=note.message_id,
        topic_arn=note.topic.arn,
        subscription_arn=note.subscription.arn,
        raw=note.subscription.raw,
        content_type=delivery.content_type(note.subscription),
    )
    return Prepared(body=note.payload(), headers=headers)


def _attempt_http(row: Delivery) -> Outcome:
    try:
        response = requests.post(
            row.endpoint,
            data=row.body.encode("utf-8"),
            headers=row.headers,
            timeout=(HTTP_CONNECT_TIMEOUT, HTTP_READ_TIMEOUT),
            allow_redirects=False,
        )
    except requests.Timeout:
        return Outcome.server_error("Timeout", f"the endpoint did not answer within {HTTP_READ_TIMEOUT:g} s")
    except requests.RequestException as problem:
        return Outcome.server_error("ConnectionError", f"could not reach the endpoint: {type(problem).__name__}")
    status = response.status_code
    response.close()
    if 200 <= status < 300:
        return Outcome.ok(status=status)
    if status == 429 or status >= 500:
        return Outcome.server_error(str(status), f"the endpoint answered HTTP {status}", status=status)
    return Outcome.client_error(str(status), f"the endpoint answered HTTP {status}", status=status)


def _deliver_sqs(note: Note) -> Outcome:
    from services.sqs.public import Outgoing, check_message, messages_send, queue_by_arn

    queue = queue_by_arn(sandbox=note.sandbox, arn=note.subscription.endpoint)
    if queue is None:
        return Outcome.client_error("NonExistentQueue", f"the queue {note.subscription.endpoint} does not exist")
    decision = queue_allows_topic(policy=queue.policy, queue_arn=queue.arn, topic_arn=note.topic.arn)
    if not decision.allowed:
        return Outcome.client_error("AccessDenied", f"the queue refused the topic: {decision.reason}")
    if queue.fifo and not note.topic.fifo:
        return Outcome.client_error("InvalidParameterValue", "a standard topic cannot deliver to a FIFO queue")
    raw = note.subscription.raw
    outgoing = Outgoing(
        body=note.payload(),
        attributes=envelopes.sqs_attributes(note.attributes) if raw and note.attributes else None,
        group_id=(note.group_id or None) if (queue.fifo or note.group_id) else None,
        deduplication_id=note.deduplication_id if queue.fifo else None,
    )
    checked = check_message(queue, outgoing)  # raises (SQS's error) before anything is written
    [sent] = messages_send(
        queue, [checked], sender_id=SNS_SENDER_ID, now=note.now or note.sent_at, service_principal=SNS_PRINCIPAL
    )
    return Outcome.ok(sqs_message_id=sent.message_id)


def _deliver_email(note: Note) -> Outcome:
    outboxes.email_notification(note=note)
    return Outcome.ok()


def _deliver_sms(note: Note) -> Outcome:
    return outboxes.sms_from_topic(note=note)


def _deliver_application(note: Note) -> Outcome:
    return outboxes.push_from_topic(note=note)


def _deliver_firehose(note: Note) -> Outcome:
    from services.firehose.public import FirehoseError, records_put

    arn = note.subscription.endpoint
    try:
        [record_id] = records_put(sandbox=note.sandbox, region=arn.split(":")[3], delivery_stream=arn,
                                  records=[note.payload().encode("utf-8")], now=note.now or note.sent_at)  # fmt: skip
    except FirehoseError as problem:
        return Outcome.client_error(problem.code, problem.message)
    if record_id is None:
        return Outcome.server_error("ServiceUnavailableException", "Slow down.")
    return Outcome.ok(record_id=record_id)


register_deliverer("sqs", Deliverer(deliver=_deliver_sqs, atomic=False))
register_deliverer("firehose", Deliverer(deliver=_deliver_firehose, atomic=False))
register_deliverer("email", Deliverer(deliver=_deliver_email, atomic=False))
register_deliverer("email-json", Deliverer(deliver=_deliver_email, atomic=False))
register_deliverer("sms", Deliverer(deliver=_deliver_sms, atomic=False))
register_deliverer("application", Deliverer(deliver=_deliver_application, atomic=False))
for _protocol in ("http", "https"):
    register_deliverer(
        _protocol, Deliverer(build=_build_http, attempt=_attempt_http, retry_policy=delivery.http_retry_policy)
    )
