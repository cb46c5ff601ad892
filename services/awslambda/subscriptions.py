"""SNS's `lambda` protocol: a topic's message to a subscribed function, through SNS's deliverer
registry (services.sns.public). The delivery is inline, inside the publish's transaction: it only
checks the function's policy (sns.amazonaws.com for the topic) and queues an Event invocation with
the SNS event, as SNS invokes functions asynchronously."""

from __future__ import annotations

import json
from typing import Any

from services.awslambda import functions, invoking, permissions
from services.sns.public import Deliverer, Note, Outcome, register_deliverer


def sns_event(note: Note) -> dict[str, Any]:
    envelope = json.loads(note.envelope())
    message: dict[str, Any] = {
        "Type": envelope.get("Type", "Notification"),
        "MessageId": envelope.get("MessageId"),
        "TopicArn": envelope.get("TopicArn"),
        "Subject": envelope.get("Subject"),
        "Message": envelope.get("Message"),
        "Timestamp": envelope.get("Timestamp"),
        "SignatureVersion": envelope.get("SignatureVersion"),
        "Signature": envelope.get("Signature"),
        "SigningCertUrl": envelope.get("SigningCertURL"),
        "UnsubscribeUrl": envelope.get("UnsubscribeURL"),
        "MessageAttributes": envelope.get("MessageAttributes", {}),
    }
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
                         "EventSubscriptionArn": note.subscription.arn, "Sns": message}]}  # fmt: skip


def deliver(note: Note) -> Outcome:
    function = functions.by_arn(sandbox=note.sandbox, arn=note.subscription.endpoint)
    if function is None:
        return Outcome.client_error("ResourceNotFoundException", f"Function not found: {note.subscription.endpoint}")
    if not permissions.allows(
        function, service_principal="sns.amazonaws.com", source_arn=note.topic.arn, source_account=None
    ):
        return Outcome.client_error(
            "AccessDeniedException", "the function's resource policy does not let sns.amazonaws.com invoke it"
        )
    queued = invoking.enqueue(
        function=function, payload=json.dumps(sns_event(note)).encode(), now=note.now or note.sent_at, kind="SNS",
        source=note.topic.arn,
    )  # fmt: skip
    return Outcome.ok(request_id=queued.request_id)


register_deliverer("lambda", Deliverer(deliver=deliver, atomic=False))
