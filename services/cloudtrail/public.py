"""What other services may use of CloudTrail (docs/services.md: services meet through public doors).

service_call   record an API call a service made of another AWS API for the account, one that
               never passed the gateway, sourceIPAddress and userAgent the calling service,
               eventType AwsApiCall:
               - for a principal of the account (principal_arn, access_key_id: KMS's
                 GenerateDataKey made by SQS to seal the message a student sends to a queue with
                 KmsMasterKeyId): userIdentity is the principal's, with invokedBy
                 "sqs.amazonaws.com";
               - as the service itself (no principal: SQS SendMessage made by SNS delivering to
                 a subscribed queue): userIdentity {"type": "AWSService", "invokedBy":
                 "sns.amazonaws.com"}, and a sharedEventID.
               An operation its service declares a data event (ServiceApp.data_events: SQS's
               SendMessage) is recorded as one: trails whose selectors take it get it,
               LookupEvents never shows it.
service_event  record a service's own event, one no API request caused (eventType
               AwsServiceEvent): KMS rotating a key automatically (RotateKey), with its
               serviceEventDetails.

Both are written in the caller's transaction and kept apart from the gateway's call log (the
student's own calls: labs and the activity panel never count them); LookupEvents, trail delivery
(S3, CloudWatch Logs) and EventBridge's events include them with the calls, in time order.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.db import connection

from playground.sandboxes.models import Sandbox
from services.cloudtrail import records
from services.cloudtrail.models import Trail
from services.cloudtrail.servicelog import record_service_event

__all__ = ["service_call", "service_event"]


def service_call(
    *,
    sandbox: Sandbox,
    region: str,
    service: str,
    operation: str,
    invoked_by: str,
    read_only: bool,
    now: dt.datetime,
    request_parameters: dict[str, Any] | None = None,
    response_elements: dict[str, Any] | None = None,
    resources: list[dict[str, str]] | None = None,
    additional_event_data: dict[str, Any] | None = None,
    principal_arn: str = "",
    access_key_id: str = "",
) -> None:
    """One API call of `service` ("kms") made by the AWS service `invoked_by`
    ("sqs.amazonaws.com"), for the principal `principal_arn` (signed with `access_key_id`) or,
    without one, as the service itself. request_parameters and response_elements in AWS's
    lowerCamelCase member names, what AWS never records left out; resources as
    [{"type": "AWS::KMS::Key", "ARN": ...}].

    A data event is kept only while a trail of the sandbox logs with advanced event selectors
    (the only selectors that take SQS data events, and what delivers data events to EventBridge
    too): SNS delivering to a queue must not write a row no one will read."""
    if records.data_resource_type(service, operation) and not _data_events_wanted(sandbox):
        return
    record_service_event(
        sandbox=sandbox, region=region, service=service, operation=operation, event_type="AwsApiCall",
        invoked_by=invoked_by, read_only=read_only, at=now, params=request_parameters,
        response=response_elements, resources=resources or [], additional=additional_event_data, details=None,
        principal_arn=principal_arn, access_key_id=access_key_id,
    )  # fmt: skip


def _data_events_wanted(sandbox: Sandbox) -> bool:
    """Whether a trail of the sandbox logs with advanced event selectors: asked for every SQS
    message an SNS delivery writes, so a plain statement (the queryset's building cost several
    times its answer)."""
    with connection.cursor() as cursor:
        cursor.execute(_wanted_statement(connection.vendor), [sandbox.pk, True])
        return cursor.fetchone() is not None


@functools.cache
def _wanted_statement(vendor: str) -> str:
    quote = connection.ops.quote_name
    column = {field.name: quote(str(field.column)) for field in Trail._meta.concrete_fields}
    return (
        f"SELECT 1 FROM {quote(Trail._meta.db_table)} WHERE {column['sandbox']} = %s "  # noqa: S608 (names, no values)
        f"AND {column['logging']} = %s AND {column['advanced_event_selectors']} IS NOT NULL LIMIT 1"
    )


def service_event(
    *,
    sandbox: Sandbox,
    region: str,
    service: str,
    operation: str,
    now: dt.datetime,
    details: dict[str, Any] | None = None,
    resources: list[dict[str, str]] | None = None,
    additional_event_data: dict[str, Any] | None = None,
) -> None:
    """One AwsServiceEvent of `service` ("kms", "RotateKey"), invoked by "AWS Internal"."""
    record_service_event(
        sandbox=sandbox, region=region, service=service, operation=operation, event_type="AwsServiceEvent",
        invoked_by="AWS Internal", read_only=False, at=now, params=None, resources=resources or [],
        additional=additional_event_data, details=details,
    )  # fmt: skip
