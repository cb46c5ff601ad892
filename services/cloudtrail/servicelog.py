"""The events services record of what they did for the account (models.ServiceEvent, written
through public.py), as CloudTrail records: the shapes of AWS's documented examples.

An API call one service made of another (eventType AwsApiCall), sourceIPAddress and userAgent
the calling service, as AWS's examples of KMS calls made by DynamoDB show them:
- made for a principal of the account (SQS asking KMS for a data key to seal the message a student
  sends): userIdentity is that principal's (IAMUser, AssumedRole with its sessionContext...) with
  "invokedBy": "sqs.amazonaws.com"; the caller and the key are of one account, so one event and no
  sharedEventID;
- made by the service as itself (SNS sending a topic's message to a subscribed queue): userIdentity
  {"type": "AWSService", "invokedBy": "sns.amazonaws.com"}; the service's own account calling into
  the student's, so the record carries a sharedEventID, as AWS's examples of such events do.
A call that the called service's app declares a data event (SQS SendMessage) is one here too:
managementEvent false, eventCategory Data, resources typed as declared; LookupEvents leaves it out.

A service's own event (eventType AwsServiceEvent, as AWS's example of KMS rotating a key):
userIdentity {"accountId", "invokedBy": "AWS Internal"}, sourceIPAddress and userAgent "AWS
Internal", requestParameters and responseElements null, serviceEventDetails.

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
SHARED_SALT = "cloudtrail-shared"  # their sharedEventIDs


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
    response: dict[str, Any] | None = None,
    principal_arn: str = "",
    access_key_id: str = "",
) -> ServiceEvent:
    row = ServiceEvent.objects.create(
        sandbox=sandbox, region=region, at=at, service=service, operation=operation, event_type=event_type,
        invoked_by=invoked_by, read_only=read_only, params=params, response=response, resources=resources,
        additional=additional, details=details, request_id=str(uuid.uuid4()) if event_type != SERVICE_EVENT else "",
        principal_arn=principal_arn, access_key_id=access_key_id,
    )  # fmt: skip
    transaction.on_commit(lambda: _to_eventbridge(row))
    return row


def user_identity(row: ServiceEvent, *, account_id: str, session_created: dt.datetime | None = None) -> dict[str, Any]:
    if row.event_type == SERVICE_EVENT:
        return {"accountId": account_id, "invokedBy": row.invoked_by}
    if row.principal_arn:
        identity = records.principal_identity(
            row.principal_arn, access_key_id=row.access_key_id, account_id=account_id, session_created=session_created
        )
        return {**identity, "invokedBy": row.invoked_by}
    return {"type": "AWSService", "invokedBy": row.invoked_by}


def record_of(row: ServiceEvent, *, account_id: str, session_created: dt.datetime | None = None) -> dict[str, Any]:
    data_type = records.data_resource_type(row.service, row.operation) if row.event_type != SERVICE_EVENT else None
    record: dict[str, Any] = {
        "eventVersion": records.EVENT_VERSION,
        "userIdentity": user_identity(row, account_id=account_id, session_created=session_created),
        "eventTime": records.iso(row.at),
        "eventSource": records.event_source(row.service),
        "eventName": row.operation,
        "awsRegion": row.region,
        "sourceIPAddress": row.invoked_by,
        "userAgent": row.invoked_by,
        "requestParameters": row.params or None,
        "responseElements": row.response or None,
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
        record["managementEvent"] = data_type is None
    record["recipientAccountId"] = account_id
    if row.event_type != SERVICE_EVENT and not row.principal_arn:
        # An AWS service's own account calling into the student's: AWS delivers the event to both
        # and marks the pair with a sharedEventID (the caller's copy is not the student's to see).
        record["sharedEventID"] = records.event_id(call_id=row.pk, account_id=account_id, salt=SHARED_SALT)
    if row.details is not None:
        record["serviceEventDetails"] = row.details
    record["eventCategory"] = "Data" if data_type is not None else "Management"
    return record


def records_of(rows: list[ServiceEvent], *, account_id: str) -> list[dict[str, Any]]:
    dates = records.session_dates(rows)
    return [record_of(row, account_id=account_id, session_created=dates.get(row.access_key_id)) for row in rows]


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
