"""Trails: create, update, find, describe, list, delete, start and stop logging, status, event
selectors. A trail lives in its home region; a multi-region trail is also seen (as a shadow
trail) from every other region, where only its home region may change it."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Any

import services.logs.public as logs
import services.s3.public as s3
import services.sns.public as sns
from playground.policies import as_list
from playground.sandboxes.models import Sandbox
from services.cloudtrail import digests, events
from services.cloudtrail.digests import ACL, PRINCIPAL
from services.cloudtrail.exceptions import (
    CloudTrailARNInvalidException,
    InsufficientS3BucketPolicyException,
    InsufficientSnsTopicPolicyException,
    InvalidCloudWatchLogsLogGroupArnException,
    InvalidCloudWatchLogsRoleArnException,
    InvalidEventSelectorsException,
    InvalidHomeRegionException,
    InvalidParameterCombinationException,
    InvalidS3PrefixException,
    InvalidTagParameterException,
    InvalidTrailNameException,
    S3BucketDoesNotExistException,
    TagsLimitExceededException,
    TrailAlreadyExistsException,
    TrailNotFoundException,
)
from services.cloudtrail.models import ServiceEvent, Trail

DELIVERY_PERIOD = dt.timedelta(minutes=5)
_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
_ARN = re.compile(r"^arn:aws[a-z-]*:cloudtrail:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):trail/(?P<name>.+)$")
_LOG_GROUP_ARN = re.compile(
    r"^arn:aws[a-z-]*:logs:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):log-group:(?P<name>[\w./#-]+):\*$"
)
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
DATA_TYPES = ("AWS::S3::Object", "AWS::Lambda::Function", "AWS::DynamoDB::Table")
ADVANCED_FIELDS = (
    "eventCategory", "readOnly", "eventSource", "eventName", "eventType", "resources.type", "resources.ARN",
    "sessionCredentialFromConsole", "userIdentity.arn", "errorCode",
)  # fmt: skip
OPERATORS = ("Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith", "NotEndsWith")


def check_name(name: str) -> None:
    """AWS's trail naming rules."""
    if len(name) < 3:
        raise InvalidTrailNameException(
            "Trail name too short. Minimum allowed length: 3 characters. "
            f"Specified name length: {len(name)} characters."
        )
    if len(name) > 128:
        raise InvalidTrailNameException(
            "Trail name too long. Maximum allowed length: 128 characters. "
            f"Specified name length: {len(name)} characters."
        )
    if not _NAME.match(name):
        raise InvalidTrailNameException(
            "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), "
            "hyphens (-), and underscores (_)."
        )
    if not (name[0].isalnum() and name[-1].isalnum()):
        raise InvalidTrailNameException("Trail name must starts with a letter or number.")
    if re.search(r"[._-]{2}", name):
        raise InvalidTrailNameException(
            "Trail name cannot contain consecutive special characters: periods (.), hyphens (-), or underscores (_)."
        )
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return
    raise InvalidTrailNameException("Trail name cannot be formatted as an IP address.")


def arn_of(*, sandbox: Sandbox, region: str, name: str) -> str:
    return f"arn:aws:cloudtrail:{region}:{sandbox.account_id}:trail/{name}"


def _not_found(sandbox: Sandbox, region: str, name: str) -> TrailNotFoundException:
    return TrailNotFoundException(
        f"Unknown trail: {arn_of(sandbox=sandbox, region=region, name=name)} for the user: {sandbox.account_id}"
    )


def find(*, sandbox: Sandbox, region: str, name: str | None, home: bool = False, lock: bool = False) -> Trail:
    """The trail a Name (or TrailName) parameter names: a name or an ARN. `home`: the call changes
    the trail, which only its home region may."""
    if not name:
        raise InvalidTrailNameException("Trail name or ARN is required.")
    rows = Trail.objects.select_related("sandbox").filter(sandbox=sandbox)
    if lock:
        rows = rows.select_for_update()
    if name.startswith("arn:"):
        match = _ARN.match(name)
        if match is None:
            raise CloudTrailARNInvalidException(
                f"Invalid trail ARN: {name}. The ARN must be in the format "
                "arn:aws:cloudtrail:<region>:<account id>:trail/<trail name>."
            )
        trail_name, trail_region = match.group("name"), match.group("region")
        if match.group("account") != sandbox.account_id:
            raise _not_found(sandbox, trail_region, trail_name)
        trail = rows.filter(name=trail_name, region=trail_region).first()
        if trail is None or (trail.region != region and not trail.multi_region):
            raise _not_found(sandbox, trail_region, trail_name)
    else:
        check_name(name)
        trail = rows.filter(name=name, region=region).first()
        if trail is None:
            trail = rows.filter(name=name, multi_region=True).first()
        if trail is None:
            raise _not_found(sandbox, region, name)
    if home and trail.region != region:
        raise InvalidHomeRegionException(f"This operation must be called from the trail's home region: {trail.region}.")
    return trail


def visible(*, sandbox: Sandbox, region: str) -> list[Trail]:
    """The trails a region sees: its own and the multi-region trails of other regions."""
    rows = Trail.objects.select_related("sandbox").filter(sandbox=sandbox).order_by("name")
    return [trail for trail in rows if trail.region == region or trail.multi_region]


def _check_destination(
    *,
    sandbox: Sandbox,
    region: str,
    name: str,
    bucket: str,
    prefix: str,
    topic: str | None,
    log_group: str | None,
    role: str | None = None,
) -> str:
    """The S3 bucket, its policy, the prefix, the topic: as CreateTrail and UpdateTrail check them.
    Answers the topic's ARN ("" for none)."""
    if len(prefix) > 200 or prefix.startswith("/") or prefix.endswith("/") or "//" in prefix:
        raise InvalidS3PrefixException(f"Invalid S3 prefix: {prefix}")
    if not s3.bucket_exists(sandbox=sandbox, bucket=bucket):
        raise S3BucketDoesNotExistException(f"S3 bucket {bucket} does not exist.")
    key = f"{prefix + '/' if prefix else ''}AWSLogs/{sandbox.account_id}/CloudTrail/{region}/probe"
    if not s3.service_may_write(
        sandbox=sandbox, bucket=bucket, key=key, service_principal=PRINCIPAL,
        source_arn=arn_of(sandbox=sandbox, region=region, name=name), acl=ACL,
    ):  # fmt: skip
        raise InsufficientS3BucketPolicyException(f"Incorrect S3 bucket policy is detected for bucket: {bucket}")
    topic_arn = ""
    if topic:
        topic_arn = topic if topic.startswith("arn:") else f"arn:aws:sns:{region}:{sandbox.account_id}:{topic}"
        policy = sns.topic_policy(sandbox=sandbox, arn=topic_arn)
        if policy is None or not _topic_allows(policy, topic_arn):
            raise InsufficientSnsTopicPolicyException("SNS Topic does not exist or the topic policy is incorrect!")
    if log_group:
        _check_log_group(sandbox=sandbox, arn=log_group, role=role or "")
    return topic_arn


def _check_log_group(*, sandbox: Sandbox, arn: str, role: str) -> None:
    """The log group must be the account's and exist (CloudTrail tries its role on it: AWS answers
    a missing group with the role's "Access denied"); the role ARN must be an IAM role's."""
    match = _LOG_GROUP_ARN.match(arn)
    if match is None or match.group("account") != sandbox.account_id:
        raise InvalidCloudWatchLogsLogGroupArnException("CloudTrail cannot validate the specified log group ARN.")
    if not _ROLE_ARN.match(role):
        raise InvalidCloudWatchLogsRoleArnException("Access denied. Check the trust relationships for your role.")
    if not logs.group_exists(sandbox=sandbox, region=match.group("region"), group_name=match.group("name")):
        raise InvalidCloudWatchLogsLogGroupArnException("Access denied. Check the permissions for your role.")


def _topic_allows(policy: str, topic_arn: str) -> bool:
    from playground.policies import service_allowed

    return service_allowed(policy, service_principal=PRINCIPAL, action="SNS:Publish", resource=topic_arn, context={})


def check_tags(tags: list[dict[str, str]] | None) -> list[dict[str, str]]:
    tags = tags or []
    if len(tags) > 50:
        raise TagsLimitExceededException("The number of tags exceeds the limit of 50.")
    for tag in tags:
        if not tag.get("Key") or len(tag["Key"]) > 128 or len(tag.get("Value") or "") > 256:
            raise InvalidTagParameterException("The tag key or value is not valid.")
    return tags


def create(*, sandbox: Sandbox, region: str, params: dict[str, Any], now: dt.datetime) -> Trail:
    name = params["Name"]
    check_name(name)
    if Trail.objects.filter(sandbox=sandbox, region=region, name=name).exists():
        raise TrailAlreadyExistsException(f"Trail {name} already exists for customer: {sandbox.account_id}")
    _check_combination(params)
    topic_arn = _check_destination(
        sandbox=sandbox, region=region, name=name, bucket=params["S3BucketName"],
        prefix=params.get("S3KeyPrefix") or "", topic=params.get("SnsTopicName"),
        log_group=params.get("CloudWatchLogsLogGroupArn"), role=params.get("CloudWatchLogsRoleArn"),
    )  # fmt: skip
    trail = Trail.objects.create(
        sandbox=sandbox,
        region=region,
        name=name,
        s3_bucket=params["S3BucketName"],
        s3_key_prefix=params.get("S3KeyPrefix") or "",
        sns_topic_arn=topic_arn,
        include_global_events=params.get("IncludeGlobalServiceEvents", True),
        multi_region=params.get("IsMultiRegionTrail", False),
        organization=params.get("IsOrganizationTrail", False),
        log_file_validation=params.get("EnableLogFileValidation", False),
        log_group_arn=params.get("CloudWatchLogsLogGroupArn") or "",
        logs_role_arn=params.get("CloudWatchLogsRoleArn") or "",
        kms_key_id=params.get("KmsKeyId") or "",
        tags=check_tags(params.get("TagsList")),
        created_at=now,
    )
    events.trail_changed(trail, "created", now=now)
    return trail


def _check_combination(params: dict[str, Any]) -> None:
    if params.get("IsMultiRegionTrail") and params.get("IncludeGlobalServiceEvents") is False:
        raise InvalidParameterCombinationException("Multi-Region trail must include global service events.")
    if params.get("CloudWatchLogsLogGroupArn") and not params.get("CloudWatchLogsRoleArn"):
        raise InvalidCloudWatchLogsRoleArnException("You must specify a role ARN as well as a log group.")
    if params.get("CloudWatchLogsRoleArn") and not params.get("CloudWatchLogsLogGroupArn"):
        raise InvalidCloudWatchLogsLogGroupArnException("You must specify a log group as well as a role ARN.")


def update(*, sandbox: Sandbox, region: str, params: dict[str, Any], now: dt.datetime) -> Trail:
    trail = find(sandbox=sandbox, region=region, name=params["Name"], home=True, lock=True)
    merged = {
        "IsMultiRegionTrail": params.get("IsMultiRegionTrail", trail.multi_region),
        "IncludeGlobalServiceEvents": params.get("IncludeGlobalServiceEvents", trail.include_global_events),
        "CloudWatchLogsLogGroupArn": params.get("CloudWatchLogsLogGroupArn", trail.log_group_arn),
        "CloudWatchLogsRoleArn": params.get("CloudWatchLogsRoleArn", trail.logs_role_arn),
    }
    _check_combination(merged)
    bucket = params.get("S3BucketName", trail.s3_bucket)
    prefix = params.get("S3KeyPrefix", trail.s3_key_prefix) or ""
    topic = params.get("SnsTopicName", trail.sns_topic_arn) or None
    topic_arn = _check_destination(
        sandbox=sandbox, region=region, name=trail.name, bucket=bucket, prefix=prefix, topic=topic,
        log_group=merged["CloudWatchLogsLogGroupArn"] or None, role=merged["CloudWatchLogsRoleArn"],
    )  # fmt: skip
    trail.s3_bucket, trail.s3_key_prefix, trail.sns_topic_arn = bucket, prefix, topic_arn
    trail.multi_region = merged["IsMultiRegionTrail"]
    trail.include_global_events = merged["IncludeGlobalServiceEvents"]
    trail.log_group_arn = merged["CloudWatchLogsLogGroupArn"] or ""
    trail.logs_role_arn = merged["CloudWatchLogsRoleArn"] or ""
    trail.organization = params.get("IsOrganizationTrail", trail.organization)
    trail.log_file_validation = params.get("EnableLogFileValidation", trail.log_file_validation)
    trail.kms_key_id = params.get("KmsKeyId", trail.kms_key_id) or ""
    digests.arm(trail, now=now)
    trail.save()
    events.trail_changed(trail, "changed", now=now)
    return trail


def delete(*, sandbox: Sandbox, region: str, name: str, now: dt.datetime) -> None:
    trail = find(sandbox=sandbox, region=region, name=name, home=True, lock=True)
    events.trail_changed(trail, "deleted", now=now)
    trail.delete()


def start_logging(*, sandbox: Sandbox, region: str, name: str, now: dt.datetime) -> None:
    from playground.gateway.models import ApiCall

    trail = find(sandbox=sandbox, region=region, name=name, home=True, lock=True)
    if not trail.logging:
        trail.logging = True
        trail.start_logging_time = now
        # Calls already recorded are not the trail's; later ones are (by id, and time).
        last = ApiCall.objects.filter(sandbox=sandbox).order_by("-pk").values_list("pk", flat=True).first()
        trail.delivered_through = max(trail.delivered_through, last or 0)
        last = ServiceEvent.objects.filter(sandbox=sandbox).order_by("-pk").values_list("pk", flat=True).first()
        trail.services_delivered_through = max(trail.services_delivered_through, last or 0)
        trail.next_delivery_at = now + DELIVERY_PERIOD
        digests.arm(trail, now=now)
        trail.save()
        events.trail_changed(trail, "changed", now=now)


def stop_logging(*, sandbox: Sandbox, region: str, name: str, now: dt.datetime) -> None:
    trail = find(sandbox=sandbox, region=region, name=name, home=True, lock=True)
    if trail.logging:
        trail.logging = False
        trail.stop_logging_time = now
        # What was recorded while it logged still goes out at the next delivery.
        trail.save()
        events.trail_changed(trail, "changed", now=now)


def description(trail: Trail, *, region: str) -> dict[str, Any]:
    """The trail as DescribeTrails and GetTrail answer it."""
    result: dict[str, Any] = {
        "Name": trail.name,
        "S3BucketName": trail.s3_bucket,
        "IncludeGlobalServiceEvents": trail.include_global_events,
        "IsMultiRegionTrail": trail.multi_region,
        "HomeRegion": trail.region,
        "TrailARN": trail.arn,
        "LogFileValidationEnabled": trail.log_file_validation,
        "HasCustomEventSelectors": trail.event_selectors is not None or trail.advanced_event_selectors is not None,
        "HasInsightSelectors": False,
        "IsOrganizationTrail": trail.organization,
    }
    if trail.s3_key_prefix:
        result["S3KeyPrefix"] = trail.s3_key_prefix
    if trail.sns_topic_arn:
        result["SnsTopicName"] = trail.sns_topic_arn.rsplit(":", 1)[-1]
        result["SnsTopicARN"] = trail.sns_topic_arn
    if trail.log_group_arn:
        result["CloudWatchLogsLogGroupArn"] = trail.log_group_arn
        result["CloudWatchLogsRoleArn"] = trail.logs_role_arn
    if trail.kms_key_id:
        result["KmsKeyId"] = trail.kms_key_id
    return result


def created_answer(trail: Trail) -> dict[str, Any]:
    """What CreateTrail and UpdateTrail answer."""
    keys = (
        "Name", "S3BucketName", "S3KeyPrefix", "SnsTopicName", "SnsTopicARN", "IncludeGlobalServiceEvents",
        "IsMultiRegionTrail", "TrailARN", "LogFileValidationEnabled", "CloudWatchLogsLogGroupArn",
        "CloudWatchLogsRoleArn", "KmsKeyId", "IsOrganizationTrail",
    )  # fmt: skip
    described = description(trail, region=trail.region)
    return {key: described[key] for key in keys if key in described}


def status(trail: Trail) -> dict[str, Any]:
    result: dict[str, Any] = {"IsLogging": trail.logging}
    times = {
        "StartLoggingTime": trail.start_logging_time,
        "StopLoggingTime": trail.stop_logging_time,
        "LatestDeliveryTime": trail.latest_delivery_time,
        "LatestDeliveryAttemptTime": trail.latest_delivery_attempt_time,
        "LatestNotificationTime": trail.latest_notification_time,
        "LatestNotificationAttemptTime": trail.latest_notification_attempt_time,
        "LatestDigestDeliveryTime": trail.latest_digest_time,
        "LatestCloudWatchLogsDeliveryTime": trail.latest_logs_time,
    }
    for key, value in times.items():
        if value is not None:
            result[key] = value
    if trail.latest_delivery_error:
        result["LatestDeliveryError"] = trail.latest_delivery_error
    if trail.latest_notification_error:
        result["LatestNotificationError"] = trail.latest_notification_error
    if trail.latest_digest_error:
        result["LatestDigestDeliveryError"] = trail.latest_digest_error
    if trail.latest_logs_error:
        result["LatestCloudWatchLogsDeliveryError"] = trail.latest_logs_error
    # The string forms AWS answers beside the timestamps.
    for key, value in (
        ("TimeLoggingStarted", trail.start_logging_time),
        ("TimeLoggingStopped", trail.stop_logging_time),
        ("LatestDeliveryAttemptTime", trail.latest_delivery_attempt_time),
        ("LatestNotificationAttemptTime", trail.latest_notification_attempt_time),
    ):
        if value is not None:
            result[key] = value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if trail.latest_delivery_attempt_time is not None:
        result["LatestDeliveryAttemptSucceeded"] = (
            "" if trail.latest_delivery_error else _iso(trail.latest_delivery_time)
        )
    if trail.latest_notification_attempt_time is not None:
        result["LatestNotificationAttemptSucceeded"] = (
            "" if trail.latest_notification_error else _iso(trail.latest_notification_time)
        )
    return result


def _iso(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else ""


# --- event selectors


def default_selectors() -> list[dict[str, Any]]:
    return [
        {
            "ReadWriteType": "All",
            "IncludeManagementEvents": True,
            "DataResources": [],
            "ExcludeManagementEventSources": [],
        }
    ]


def put_selectors(*, sandbox: Sandbox, region: str, params: dict[str, Any], now: dt.datetime) -> Trail:
    trail = find(sandbox=sandbox, region=region, name=params.get("TrailName"), home=True, lock=True)
    basic, advanced = params.get("EventSelectors"), params.get("AdvancedEventSelectors")
    if basic is not None and advanced is not None:
        raise InvalidEventSelectorsException(
            "You cannot apply both event selectors and advanced event selectors to a trail."
        )
    if basic is None and advanced is None:
        raise InvalidEventSelectorsException("You must specify EventSelectors or AdvancedEventSelectors.")
    if basic is not None:
        trail.event_selectors = [_basic(selector) for selector in _limited(basic)]
        trail.advanced_event_selectors = None
    else:
        trail.advanced_event_selectors = [_advanced(selector) for selector in _limited(advanced or [])]
        trail.event_selectors = None
    trail.save(update_fields=["event_selectors", "advanced_event_selectors"])
    events.trail_changed(trail, "changed", now=now)
    return trail


def _limited(selectors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not selectors:
        raise InvalidEventSelectorsException("At least one event selector is required.")
    if len(selectors) > 5:
        raise InvalidEventSelectorsException("A trail can have at most 5 event selectors.")
    return selectors


def _basic(selector: dict[str, Any]) -> dict[str, Any]:
    resources = []
    for resource in selector.get("DataResources") or []:
        kind = resource.get("Type", "")
        if kind not in DATA_TYPES:
            raise InvalidEventSelectorsException(f"Value {kind} for parameter DataResources.Type is invalid.")
        values = resource.get("Values") or []
        prefix = "arn:aws:s3" if kind == "AWS::S3::Object" else "arn:aws:lambda" if "Lambda" in kind else "arn:aws:"
        for value in values:
            if not value.startswith(prefix) or (
                kind == "AWS::S3::Object"
                and value not in ("arn:aws:s3", "arn:aws:s3:::")
                and not re.match(r"^arn:aws:s3:::[a-z0-9.-]{3,63}/", value)
            ):
                raise InvalidEventSelectorsException(f"Value {value} for parameter DataResources.Values is invalid.")
        resources.append({"Type": kind, "Values": values})
    return {
        "ReadWriteType": selector.get("ReadWriteType", "All"),
        "IncludeManagementEvents": selector.get("IncludeManagementEvents", True),
        "DataResources": resources,
        "ExcludeManagementEventSources": selector.get("ExcludeManagementEventSources") or [],
    }


def _advanced(selector: dict[str, Any]) -> dict[str, Any]:
    fields = selector.get("FieldSelectors") or []
    names = [field.get("Field") for field in fields]
    if "eventCategory" not in names:
        raise InvalidEventSelectorsException("Advanced event selectors must contain an eventCategory field selector.")
    for field in fields:
        if field.get("Field") not in ADVANCED_FIELDS:
            raise InvalidEventSelectorsException(f"Invalid field name: {field.get('Field')}")
        operators = [key for key in OPERATORS if field.get(key)]
        if not operators:
            raise InvalidEventSelectorsException(f"Field selector {field.get('Field')} must have an operator.")
        if field["Field"] == "eventCategory" and any(v not in ("Management", "Data") for v in field.get("Equals", [])):
            raise InvalidEventSelectorsException("Invalid value for eventCategory: must be Management or Data.")
    result = {"FieldSelectors": [{key: value for key, value in field.items() if value} for field in fields]}
    if selector.get("Name"):
        result["Name"] = selector["Name"]
    return result


def selectors_answer(trail: Trail) -> dict[str, Any]:
    if trail.advanced_event_selectors is not None:
        return {"TrailARN": trail.arn, "AdvancedEventSelectors": trail.advanced_event_selectors}
    return {"TrailARN": trail.arn, "EventSelectors": trail.event_selectors or default_selectors()}


def wants(trail: Trail, record: dict[str, Any]) -> bool:
    """Whether the trail's selectors take a record."""
    if trail.advanced_event_selectors is not None:
        return any(_advanced_takes(selector, record) for selector in trail.advanced_event_selectors)
    for selector in trail.event_selectors or default_selectors():
        read_write = selector.get("ReadWriteType", "All")
        if read_write == "ReadOnly" and not record["readOnly"]:
            continue
        if read_write == "WriteOnly" and record["readOnly"]:
            continue
        if record["eventCategory"] == "Management":
            if selector.get("IncludeManagementEvents", True) and record["eventSource"] not in as_list(
                selector.get("ExcludeManagementEventSources")
            ):
                return True
            continue
        for resource in selector.get("DataResources") or []:
            types = {item["type"] for item in record.get("resources", [])}
            if resource["Type"] not in types:
                continue
            arns = [item.get("ARN", "") for item in record.get("resources", [])]
            for value in resource["Values"]:
                if value in ("arn:aws:s3", "arn:aws:s3:::", "arn:aws:lambda") or any(a.startswith(value) for a in arns):
                    return True
    return False


def _field_values(field: str, record: dict[str, Any]) -> list[str]:
    if field == "resources.type":
        return [item.get("type", "") for item in record.get("resources", [])]
    if field == "resources.ARN":
        return [item.get("ARN", "") for item in record.get("resources", [])]
    if field == "userIdentity.arn":
        return [record["userIdentity"].get("arn", "")]
    value = record.get(field)
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return [str(value)] if value is not None else [""]


def _advanced_takes(selector: dict[str, Any], record: dict[str, Any]) -> bool:
    for field in selector["FieldSelectors"]:
        values = _field_values(field["Field"], record)
        tests = {
            "Equals": lambda v, x: v == x,
            "StartsWith": lambda v, x: v.startswith(x),
            "EndsWith": lambda v, x: v.endswith(x),
        }
        for operator, test in tests.items():
            if field.get(operator) and not any(test(v, x) for v in values for x in field[operator]):
                return False
            negated = field.get("Not" + operator)
            if negated and any(test(v, x) for v in values for x in negated):
                return False
    return True
