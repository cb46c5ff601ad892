"""What other services may use of CloudTrail (docs/services.md: services meet through public doors).

service_call   record an API call a service made of another AWS API for the account, one that
               never passed the gateway: KMS's GenerateDataKey made by SQS for a queue with
               KmsMasterKeyId is recorded as a KMS event whose userIdentity is the calling
               service (type AWSService, invokedBy "sqs.amazonaws.com"), sourceIPAddress and
               userAgent "sqs.amazonaws.com", eventType AwsApiCall.
service_event  record a service's own event, one no API request caused (eventType
               AwsServiceEvent): KMS rotating a key automatically (RotateKey), with its
               serviceEventDetails.

Both are written in the caller's transaction and kept apart from the gateway's call log (the
student's own calls: labs and the activity panel never count them); LookupEvents, trail delivery
(S3, CloudWatch Logs) and EventBridge's events include them with the calls, in time order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.sandboxes.models import Sandbox
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
    resources: list[dict[str, str]] | None = None,
    additional_event_data: dict[str, Any] | None = None,
) -> None:
    """One API call of `service` ("kms") made by the AWS service `invoked_by`
    ("sqs.amazonaws.com"). request_parameters in AWS's lowerCamelCase member names; resources as
    [{"type": "AWS::KMS::Key", "ARN": ...}]."""
    record_service_event(
        sandbox=sandbox, region=region, service=service, operation=operation, event_type="AwsApiCall",
        invoked_by=invoked_by, read_only=read_only, at=now, params=request_parameters,
        resources=resources or [], additional=additional_event_data, details=None,
    )  # fmt: skip


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
