"""CloudTrail records, built from the gateway's call records (playground.gateway.models.ApiCall):
every call the gateway served, from the CLI, an SDK, the GUI or the REST API, is one record, in the
shape of AWS's CloudTrail record contents (eventVersion 1.09). Nothing is copied: a record is read
from its call whenever LookupEvents or a trail's delivery needs it.

What is derived, and how (no table of other services' operations here):
- readOnly: the operation's name starts with a reading verb (Get, List, Describe, Head, Lookup,
  ...) or names a cryptographic read (Encrypt, Decrypt, GenerateDataKey, Sign, Verify).
- management or data event: each service app declares its data events (ServiceApp.data_events,
  docs/services.md); every other operation is a management event.
- eventSource: the API's endpoint prefix from its botocore model, plus ".amazonaws.com".
- requestParameters / responseElements: the call record's redacted parameters and answer with
  AWS's lowerCamelCase member names; what the call record only kept the size of (message bodies,
  KMS plaintexts) and what it hid (secrets) is left out, never recorded. Read-only calls record
  responseElements null, as AWS does.
- resources (LookupEvents' Resources and ResourceType/ResourceName lookups): the parameters whose
  member names name a resource (QueueUrl, TopicArn, StreamName, KeyId, Bucket, a trail's Name...),
  typed AWS::<service id>::<the word before Name/Arn/Url/Id>.
- eventID: a UUID that encodes the call record's id (so a lookup by EventId is one row), keyed by
  the account so ids differ between sandboxes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from functools import cache
from typing import Any

from botocore.model import Shape

from playground import catalog
from playground.gateway.models import ApiCall
from playground.gateway.specs import service_model
from playground.sandboxes.principals import FEDERATED_USER, ROLE_SESSION, principal_id, role_id

EVENT_VERSION = "1.09"
READ_PREFIXES = (
    "Get", "List", "Describe", "Head", "Lookup", "Search", "BatchGet", "Select", "Query", "Scan", "Check",
    "Verify", "Decrypt", "Encrypt", "GenerateDataKey", "GenerateRandom", "GenerateMac", "Sign", "Test",
)  # fmt: skip
# The values the call record keeps in place of what it must not keep (redact.py).
_HIDDEN = re.compile(r"^(\*\*\*|<\d+ (chars|bytes)>|<[A-Za-z]+>)$")
_RESOURCE_MEMBER = re.compile(r"^(?P<kind>[A-Z][A-Za-z0-9]*?)(Name|Arn|ARN|Url|URL)$")
_RESOURCE_URL = re.compile(r"^https?://[^/]+/(?P<account>\d{12})/(?P<name>[^/?#]+)$")
_NOT_RESOURCES = frozenset({"NextToken", "RoleSessionName", "MarkerName", "ContentType", "AttributeName"})
CONSOLE_USER_AGENT = "playground-console"


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_id(*, call_id: int, account_id: str, salt: str = "cloudtrail") -> str:
    """A UUID (version 4 form) whose last 62 bits are the row's id (a call record's; with another
    `salt`, another table's: service events use "cloudtrail-service")."""
    head = hashlib.sha256(f"{salt}:{account_id}".encode()).digest()[:8]
    value = (int.from_bytes(head, "big") << 64) | (call_id & ((1 << 62) - 1))
    return str(uuid.UUID(int=value, version=4))


def call_id_of(event_id_text: str, *, account_id: str, salt: str = "cloudtrail") -> int | None:
    """The row an eventID names, or None when it is no eventID of this account's (and salt's)."""
    try:
        value = uuid.UUID(event_id_text)
    except ValueError:
        return None
    call_id = value.int & ((1 << 62) - 1)
    return call_id if event_id(call_id=call_id, account_id=account_id, salt=salt) == str(value) else None


@cache
def _data_events() -> dict[tuple[str, str], str]:
    return {
        (service, operation): resource_type
        for app in catalog.service_apps()
        for service in app.aws_services
        for operation, resource_type in app.data_events.items()
    }


def data_resource_type(service: str, operation: str) -> str | None:
    """The data resource type of a data event (AWS::S3::Object), None for a management event."""
    return _data_events().get((service, operation))


def data_event_operations() -> dict[str, list[str]]:
    """{service: [operations AWS records as data events]}."""
    found: dict[str, list[str]] = {}
    for service, operation in _data_events():
        found.setdefault(service, []).append(operation)
    return found


def is_read_only(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES)


@cache
def event_source(service: str) -> str:
    try:
        prefix = service_model(service).metadata.get("endpointPrefix") or service
    except Exception:  # a service botocore does not know (the call failed before routing)
        prefix = service
    return f"{prefix}.amazonaws.com"


@cache
def _service_id(service: str) -> str:
    try:
        return str(service_model(service).metadata.get("serviceId") or service)
    except Exception:
        return service


@cache
def _input_shape(service: str, operation: str) -> Shape | None:
    try:
        return service_model(service).operation_model(operation).input_shape
    except Exception:
        return None


@cache
def _output_shape(service: str, operation: str) -> Shape | None:
    try:
        return service_model(service).operation_model(operation).output_shape
    except Exception:
        return None


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:] if name[:1].isupper() else name


def _elements(value: Any, shape: Shape | None) -> Any:
    """AWS's form of recorded parameters: structure members in lowerCamelCase, map keys as sent,
    hidden values left out."""
    if isinstance(value, dict):
        members = getattr(shape, "members", None)
        if members:
            result = {}
            for key, item in value.items():
                if isinstance(item, str) and _HIDDEN.match(item):
                    continue
                result[_camel(key)] = _elements(item, members.get(key))
            return result
        value_shape = getattr(shape, "value", None)
        return {
            key: _elements(item, value_shape)
            for key, item in value.items()
            if not (isinstance(item, str) and _HIDDEN.match(item))
        }
    if isinstance(value, list):
        member = getattr(shape, "member", None)
        return [_elements(item, member) for item in value if not (isinstance(item, str) and _HIDDEN.match(item))]
    return value


def _kind_of_name(operation: str) -> str:
    """The resource an operation's bare Name parameter names: CreateTrail -> Trail."""
    words = re.findall(r"[A-Z][a-z0-9]*", operation)
    return words[1] if len(words) > 1 else operation


def resources(call: ApiCall) -> list[dict[str, str]]:
    """[{ResourceType, ResourceName}] named by the call's parameters."""
    found: list[dict[str, str]] = []
    params = call.params if isinstance(call.params, dict) else {}
    for member, value in params.items():
        if not isinstance(value, str) or not value or member in _NOT_RESOURCES or _HIDDEN.match(value):
            continue
        if member == "Name":
            kind = _kind_of_name(call.operation)
        elif member in ("Bucket", "KeyId"):
            kind = member.removesuffix("Id")
        else:
            match = _RESOURCE_MEMBER.match(member)
            if match is None:
                continue
            kind = match.group("kind")
        service = call.service
        if value.startswith("arn:") and value.count(":") >= 5:
            service = value.split(":")[2]
        found.append({"ResourceType": f"AWS::{_service_id(service)}::{kind}", "ResourceName": value})
    return found


def _data_arns(call: ApiCall) -> list[str]:
    """The ARNs a data event names: an S3 object's arn:aws:s3:::<bucket>/<key> (the form S3 data
    event selectors match), else the ARNs among its parameters, a resource URL of the form
    https://<host>/<account>/<name> (an SQS QueueUrl) read as arn:aws:<service>:<region>:<account>:<name>."""
    params = call.params if isinstance(call.params, dict) else {}
    bucket = params.get("Bucket")
    if isinstance(bucket, str):
        key = params.get("Key")
        return [f"arn:aws:s3:::{bucket}/{key if isinstance(key, str) else ''}"]
    found = []
    for item in resources(call):
        name = item["ResourceName"]
        if name.startswith("arn:"):
            found.append(name)
        elif match := _RESOURCE_URL.match(name):
            found.append(f"arn:aws:{call.service}:{call.region}:{match['account']}:{match['name']}")
    return found


def user_name(principal_arn: str) -> str:
    """LookupEvents' Username: an IAM user's name, an assumed role's session name, root's "root"."""
    if not principal_arn:
        return ""
    if principal_arn.endswith(":root"):
        return "root"
    return principal_arn.rsplit("/", 1)[-1]


def user_identity(call: ApiCall, *, account_id: str, session_created: dt.datetime | None) -> dict[str, Any]:
    if not call.principal_arn:
        if call.operation.endswith("WithWebIdentity"):
            return {"type": "WebIdentityUser"}
        if call.operation.endswith("WithSAML"):
            return {"type": "SAMLUser"}
        return {"type": "Unknown"}
    return principal_identity(
        call.principal_arn, access_key_id=call.access_key_id, account_id=account_id, session_created=session_created
    )


def principal_identity(
    arn: str, *, access_key_id: str, account_id: str, session_created: dt.datetime | None
) -> dict[str, Any]:
    """The userIdentity of a principal of the account (an IAM user, an assumed role's session, a
    federated user, root)."""
    identity: dict[str, Any] = {"principalId": principal_id(arn), "arn": arn, "accountId": account_id}
    if access_key_id:
        identity["accessKeyId"] = access_key_id
    attributes = {"mfaAuthenticated": "false"}
    if session_created is not None:
        attributes["creationDate"] = iso(session_created)
    if ROLE_SESSION in arn:
        role, _, _session = arn.split(ROLE_SESSION, 1)[1].partition("/")
        identity = {"type": "AssumedRole", **identity}
        identity["sessionContext"] = {
            "sessionIssuer": {
                "type": "Role",
                "principalId": role_id(account_id, role),
                "arn": f"arn:aws:iam::{account_id}:role/{role}",
                "accountId": account_id,
                "userName": role,
            },
            "webIdFederationData": {},
            "attributes": attributes,
        }
        return identity
    if FEDERATED_USER in arn:
        return {"type": "FederatedUser", **identity, "sessionContext": {"attributes": attributes}}
    if arn.endswith(":root"):
        return {"type": "Root", **identity}
    identity = {"type": "IAMUser", **identity, "userName": user_name(arn)}
    if session_created is not None:  # temporary credentials of the user (GetSessionToken)
        identity["sessionContext"] = {"attributes": attributes}
    return identity


def record_of(call: ApiCall, *, account_id: str, session_created: dt.datetime | None = None) -> dict[str, Any]:
    """The CloudTrail record of one call."""
    read_only = is_read_only(call.operation)
    data_type = data_resource_type(call.service, call.operation)
    params = _elements(call.params, _input_shape(call.service, call.operation)) if call.params else None
    response = None
    if not read_only and not call.error_code and call.response:
        response = _elements(call.response, _output_shape(call.service, call.operation)) or None
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": user_identity(call, account_id=account_id, session_created=session_created),
        "eventTime": iso(call.at),
        "eventSource": event_source(call.service),
        "eventName": call.operation,
        "awsRegion": call.region,
        "sourceIPAddress": call.source_ip or "AWS Internal",
        "userAgent": call.user_agent,
    }
    if call.error_code:
        record["errorCode"] = call.error_code
        record["errorMessage"] = call.error_message
    record["requestParameters"] = params or None
    record["responseElements"] = response
    record["requestID"] = call.request_id
    record["eventID"] = event_id(call_id=call.pk, account_id=account_id)
    record["readOnly"] = read_only
    if data_type is not None:
        record["resources"] = [
            {"accountId": account_id, "type": data_type, "ARN": arn} for arn in _data_arns(call)
        ] or [{"accountId": account_id, "type": data_type}]
    record["eventType"] = "AwsApiCall"
    record["managementEvent"] = data_type is None
    record["recipientAccountId"] = account_id
    if call.user_agent == CONSOLE_USER_AGENT:
        record["sessionCredentialFromConsole"] = "true"
    record["eventCategory"] = "Data" if data_type is not None else "Management"
    return record


def session_dates(calls: list[Any]) -> dict[str, dt.datetime]:
    """When each temporary key among the rows' keys was issued (sessionContext's creationDate);
    the rows are call records or services' events (anything with an access_key_id)."""
    from playground.sandboxes.models import AccessKey

    keys = {call.access_key_id for call in calls if call.access_key_id and not call.access_key_id.startswith("AKIA")}
    if not keys:
        return {}
    rows = AccessKey.objects.filter(access_key_id__in=keys).values_list("access_key_id", "created_at")
    return dict(rows)


def records_of(calls: list[ApiCall], *, account_id: str) -> list[dict[str, Any]]:
    dates = session_dates(calls)
    return [record_of(call, account_id=account_id, session_created=dates.get(call.access_key_id)) for call in calls]


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"), default=str)
