"""The events services record of what they did for the account (models.ServiceEvent, written
through public.py), as CloudTrail records: the shapes of AWS's documented examples.

An API call one service made of another (eventType AwsApiCall): userIdentity
{"type": "AWSService", "invokedBy": "sqs.amazonaws.com"}, sourceIPAddress and userAgent the calling
service, managementEvent true. A service's own event (eventType AwsServiceEvent, as AWS's example
of KMS rotating a key): userIdentity {"accountId", "invokedBy": "AWS Internal"}, sourceIPAddress
and userAgent "AWS Internal", requestParameters and responseElements null, serviceEventDetails.

eventIDs encode the row's id under a key of their own, so they never meet a call's eventID.
EventBridge receives them once the transaction that recorded them commits: an AwsApiCall as "AWS
API Call via CloudTrail" (not List/Get/Describe, as for calls), an AwsServiceEvent as "AWS Service
Event via CloudTrail", when a logging trail of the account takes the record.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.db import transaction

from playground.sandboxes.models import Sandbox
from services.cloudtrail import records
from services.cloudtrail.models import ServiceEvent

LOG = logging.getLogger(__name__)
SERVICE_EVENT = "AwsServiceEvent"
SERVICE_EVENT_DETAIL_TYPE = "AWS Service Event via CloudTrail"


SALT = "cloudtrail-service"  # service events' eventIDs (records.event_id): apart from the calls'


def event_id(*, pk: int, account_id: str) -> str:
    return records.event_id(call_id=pk, account_id=account_id, salt=SALT)


def pk_of(event_id_text: str, *, account_id: str) -> int | None:
    return records.call_id_of(event_id_text, account_id=account_id, salt=SALT)


def record_service_event(
    *,
    sandbox: Sandbox,
    region: str,
    service: str,
    operation: str,
    event_type: str,
    invoked_by: str,
    read_only: bool,
    at: dt.datetime,
    params: dict[str, Any] | None,
    resources: list[dict[str, str]],
    additional: dict[str, Any] | None,
    details: dict[str, Any] | None,
) -> ServiceEvent:
    row = ServiceEvent.objects.create(
        sandbox=sandbox, region=region, at=at, service=service, operation=operation, event_type=event_type,
        invoked_by=invoked_by, read_only=read_only, params=params, resources=resources, additional=additional,
        details=details, request_id=str(uuid.uuid4()) if event_type != SERVICE_EVENT else "",
    )  # fmt: skip
    transaction.on_commit(lambda: _to_eventbridge(row))
    return row


def user_identity(row: ServiceEvent, *, account_id: str) -> dict[str, Any]:
    if row.event_type == SERVICE_EVENT:
        return {"accountId": account_id, "invokedBy": row.invoked_by}
    return {"type": "AWSService", "invokedBy": row.invoked_by}


def record_of(row: ServiceEvent, *, account_id: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventVersion": records.EVENT_VERSION,
        "userIdentity": user_identity(row, account_id=account_id),
        "eventTime": records.iso(row.at),
        "eventSource": records.event_source(row.service),
        "eventName": row.operation,
        "awsRegion": row.region,
        "sourceIPAddress": row.invoked_by,
        "userAgent": row.invoked_by,
        "requestParameters": row.params or None,
        "responseElements": None,
    }
    if row.additional:
        record["additionalEventData"] = row.additional
    if row.request_id:
        record["requestID"] = row.request_id
    record["eventID"] = event_id(pk=row.pk, account_id=account_id)
    record["readOnly"] = row.read_only
    record["resources"] = [{"accountId": account_id, **item} for item in row.resources]
    record["eventType"] = row.event_type
    if row.event_type != SERVICE_EVENT:
        record["managementEvent"] = True
    record["recipientAccountId"] = account_id
    if row.details is not None:
        record["serviceEventDetails"] = row.details
    record["eventCategory"] = "Management"
    return record


def lookup_resources(row: ServiceEvent) -> list[dict[str, str]]:
    """LookupEvents' Resources of the event: [{ResourceType, ResourceName}]."""
    return [{"ResourceType": item["type"], "ResourceName": item["ARN"]} for item in row.resources if "ARN" in item]


def _to_eventbridge(row: ServiceEvent) -> None:
    from services.cloudtrail import eventbus

    if row.event_type != SERVICE_EVENT and not eventbus.is_sent(row.operation):
        return
    its_trails = eventbus._logging_trails().get(row.sandbox_id)
    if not its_trails:
        return
    try:
        eventbus.send_service_events(its_trails, [row])
    except Exception:  # the service's own work is done; only the event is lost
        LOG.exception("CloudTrail service event %s not sent to EventBridge", row.pk)
