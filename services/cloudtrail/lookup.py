"""LookupEvents: the account's event history of one region, newest first.

Management events only (data events go to trails), the last 90 days of the sandbox clock, at most
50 a page, one lookup attribute at a time, as AWS allows. A page's NextToken carries where it
stopped and a fingerprint of the query; a token used with other parameters, or not one of ours,
is InvalidNextTokenException. In strict mode (a classroom) an account may call it twice a second
of its sandbox clock (ThrottlingException past that).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import heapq
import json
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from playground.gateway.models import ApiCall
from playground.sandboxes.models import Sandbox
from services.cloudtrail import records, servicelog
from services.cloudtrail.exceptions import (
    InvalidEventCategoryException,
    InvalidLookupAttributesException,
    InvalidMaxResultsException,
    InvalidNextTokenException,
    InvalidTimeRangeException,
    ThrottlingException,
)
from services.cloudtrail.models import LookupRate, ServiceEvent

HISTORY = dt.timedelta(days=90)
PAGE = 50
CHUNK = 200
CALLS_PER_SECOND = 2
KEYS = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId")


def check_rate(*, sandbox: Sandbox, now: dt.datetime) -> None:
    """Strict mode: two LookupEvents calls a second per account, on the sandbox clock."""
    if settings.AUTH_MODE != "strict":
        return
    second = int(now.timestamp())
    with transaction.atomic():
        rate, _ = LookupRate.objects.select_for_update().get_or_create(sandbox=sandbox)
        if rate.second != second:
            rate.second, rate.count = second, 0
        if rate.count >= CALLS_PER_SECOND:
            raise ThrottlingException("Rate exceeded")
        rate.count += 1
        rate.save(update_fields=["second", "count"])


def _attribute(params: dict[str, Any]) -> tuple[str, str] | None:
    attributes = params.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise InvalidLookupAttributesException("You cannot specify more than one lookup attribute.")
    if not attributes:
        return None
    key, value = attributes[0].get("AttributeKey", ""), attributes[0].get("AttributeValue", "")
    if key not in KEYS:
        raise InvalidLookupAttributesException(f"{key} is not a valid lookup attribute key.")
    if key == "ReadOnly" and value not in ("true", "false"):
        raise InvalidLookupAttributesException("The value of the ReadOnly lookup attribute must be true or false.")
    return key, value


def _token(*, at: dt.datetime, kind: int, pk: int, fingerprint: str) -> str:
    raw = json.dumps({"t": at.isoformat(), "k": kind, "i": pk, "q": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _read_token(token: str, fingerprint: str) -> tuple[dt.datetime, int, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        at, kind, pk, query = dt.datetime.fromisoformat(data["t"]), int(data.get("k", 0)), int(data["i"]), data["q"]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InvalidNextTokenException("Invalid NextToken.") from None
    if query != fingerprint:
        raise InvalidNextTokenException("Invalid NextToken. The token must be used with the same parameters.")
    return at, kind, pk


def _fingerprint(sandbox: Sandbox, region: str, params: dict[str, Any]) -> str:
    fields = {key: params.get(key) for key in ("LookupAttributes", "StartTime", "EndTime", "EventCategory")}
    text = json.dumps([sandbox.account_id, region, fields], default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def management_calls(*, sandbox: Sandbox, region: str | None) -> Any:
    """The sandbox's call records that are management events (of one region when given)."""
    rows = ApiCall.objects.filter(sandbox=sandbox)
    if region:
        rows = rows.filter(region=region)
    for service, operations in records.data_event_operations().items():
        rows = rows.exclude(service=service, operation__in=operations)
    return rows.exclude(operation="")


def _narrowed(rows: Any, sandbox: Sandbox, key: str, value: str) -> Any:
    """What the database can filter of one lookup attribute; the rest is checked per record."""
    if key == "EventName":
        return rows.filter(operation=value)
    if key == "AccessKeyId":
        return rows.filter(access_key_id=value)
    if key == "EventId":
        call_id = records.call_id_of(value, account_id=sandbox.account_id)
        return rows.filter(pk=call_id) if call_id is not None else rows.none()
    if key == "EventSource":
        services = [s for s in rows.values_list("service", flat=True).distinct() if records.event_source(s) == value]
        return rows.filter(service__in=services)
    if key == "Username":
        return rows.filter(Q(principal_arn__endswith="/" + value) | Q(principal_arn__endswith=":" + value))
    return rows


def _matches(call: ApiCall, key: str, value: str) -> bool:
    if key == "ReadOnly":
        return records.is_read_only(call.operation) == (value == "true")
    if key == "Username":
        return records.user_name(call.principal_arn) == value
    if key == "ResourceType":
        return any(item["ResourceType"] == value for item in records.resources(call))
    if key == "ResourceName":
        return any(item["ResourceName"] == value for item in records.resources(call))
    return True


# The history's order, newest first: (time, kind, id), calls (kind 0) before services' events
# (kind 1) of the same second.
CALL, SERVICE = 0, 1


def _scan(rows: Any, after: tuple[dt.datetime, int, int] | None, kind: int) -> Iterator[tuple[Any, ...]]:
    """(at, kind, pk, row) of the rows after a position in the history's order."""
    while True:
        page = rows
        if after is not None:
            at, after_kind, pk = after
            if after_kind > kind:
                page = page.filter(at__lte=at)
            elif after_kind < kind:
                page = page.filter(at__lt=at)
            else:
                page = page.filter(Q(at__lt=at) | Q(at=at, pk__lt=pk))
        chunk = list(page.order_by("-at", "-pk")[:CHUNK])
        for row in chunk:
            yield row.at, kind, row.pk, row
        if len(chunk) < CHUNK:
            return
        after = (chunk[-1].at, kind, chunk[-1].pk)


def _service_rows(sandbox: Sandbox, region: str | None, attribute: tuple[str, str] | None) -> Any:
    """The services' events that are management events (a data event, SQS SendMessage made by
    SNS, goes to trails only, as a call's does)."""
    rows = ServiceEvent.objects.filter(sandbox=sandbox)
    if region:
        rows = rows.filter(region=region)
    for service, operations in records.data_event_operations().items():
        rows = rows.exclude(service=service, operation__in=operations, event_type="AwsApiCall")
    if attribute is None:
        return rows
    key, value = attribute
    if key == "EventName":
        return rows.filter(operation=value)
    if key == "AccessKeyId":  # the principal a service acted for, when it did (KMS calls SQS made for a send)
        return rows.filter(access_key_id=value)
    if key == "Username":
        return rows.filter(Q(principal_arn__endswith="/" + value) | Q(principal_arn__endswith=":" + value))
    if key == "EventId":
        pk = servicelog.pk_of(value, account_id=sandbox.account_id)
        return rows.filter(pk=pk) if pk is not None else rows.none()
    if key == "EventSource":
        services = [s for s in rows.values_list("service", flat=True).distinct() if records.event_source(s) == value]
        return rows.filter(service__in=services)
    if key == "ReadOnly":
        return rows.filter(read_only=value == "true")
    return rows


def _service_matches(row: ServiceEvent, key: str, value: str) -> bool:
    if key == "Username":
        return records.user_name(row.principal_arn) == value
    if key == "ResourceType":
        return any(item["ResourceType"] == value for item in servicelog.lookup_resources(row))
    if key == "ResourceName":
        return any(item["ResourceName"] == value for item in servicelog.lookup_resources(row))
    return True


def lookup_events(*, sandbox: Sandbox, region: str, params: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    attribute = _attribute(params)
    category = params.get("EventCategory")
    if category is not None and category != "insight":
        raise InvalidEventCategoryException(f"{category} is not a valid event category.")
    start, end = params.get("StartTime"), params.get("EndTime")
    if start is not None and end is not None and start > end:
        raise InvalidTimeRangeException("Start time must be earlier than end time.")
    limit = params.get("MaxResults")
    if limit is not None and not 1 <= limit <= PAGE:
        raise InvalidMaxResultsException("Value for MaxResults must be between 1 and 50.")
    limit = limit or PAGE
    fingerprint = _fingerprint(sandbox, region, params)
    after = _read_token(params["NextToken"], fingerprint) if params.get("NextToken") else None
    check_rate(sandbox=sandbox, now=now)
    if category == "insight":
        return {"Events": []}  # no Insights events are generated

    oldest = now - HISTORY
    rows = management_calls(sandbox=sandbox, region=region).filter(at__gte=max(oldest, start or oldest))
    rows = rows.filter(at__lte=min(now, end or now))
    if attribute is not None:
        rows = _narrowed(rows, sandbox, *attribute)
    service_rows = _service_rows(sandbox, region, attribute).filter(at__gte=max(oldest, start or oldest))
    service_rows = service_rows.filter(at__lte=min(now, end or now))
    found: list[tuple[Any, ...]] = []
    more = False
    merged = heapq.merge(
        _scan(rows, after, CALL), _scan(service_rows, after, SERVICE), key=lambda item: item[:3], reverse=True
    )
    for item in merged:
        row = item[3]
        if attribute is not None:
            matches = _matches(row, *attribute) if item[1] == CALL else _service_matches(row, *attribute)
            if not matches:
                continue
        if len(found) == limit:
            more = True
            break
        found.append(item)
    result: dict[str, Any] = {"Events": [event for _record, event in _with_records(sandbox, [i[3] for i in found])]}
    if more:
        at, kind, pk, _row = found[-1]
        result["NextToken"] = _token(at=at, kind=kind, pk=pk, fingerprint=fingerprint)
    return result


def _with_records(sandbox: Sandbox, rows: list[Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """[(record, LookupEvents' event)] of calls and services' events, in the order given."""
    calls = [row for row in rows if isinstance(row, ApiCall)]
    of_calls = iter(records.records_of(calls, account_id=sandbox.account_id))
    services = [row for row in rows if not isinstance(row, ApiCall)]
    of_services = iter(servicelog.records_of(services, account_id=sandbox.account_id))
    found = []
    for row in rows:
        if isinstance(row, ApiCall):
            record = next(of_calls)
            found.append((record, _event(row, record)))
        else:
            record = next(of_services)
            found.append((record, _service_event(row, record)))
    return found


def _event(call: ApiCall, record: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = {
        "EventId": record["eventID"],
        "EventName": call.operation,
        "ReadOnly": "true" if record["readOnly"] else "false",
        "EventTime": call.at,
        "EventSource": record["eventSource"],
        "Resources": records.resources(call),
        "CloudTrailEvent": records.dumps(record),
    }
    if call.access_key_id:
        event["AccessKeyId"] = call.access_key_id
    name = records.user_name(call.principal_arn)
    if name:
        event["Username"] = name
    return event


def _service_event(row: ServiceEvent, record: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = {
        "EventId": record["eventID"],
        "EventName": row.operation,
        "ReadOnly": "true" if row.read_only else "false",
        "EventTime": row.at,
        "EventSource": record["eventSource"],
        "Resources": servicelog.lookup_resources(row),
        "CloudTrailEvent": records.dumps(record),
    }
    if row.access_key_id:
        event["AccessKeyId"] = row.access_key_id
    name = records.user_name(row.principal_arn)
    if name:
        event["Username"] = name
    return event


def history(*, sandbox: Sandbox, region: str | None, now: dt.datetime, limit: int = 20) -> list[dict[str, Any]]:
    """The newest management events for the diagram's inspector (no rate limit)."""
    rows = management_calls(sandbox=sandbox, region=region).filter(at__gte=now - HISTORY, at__lte=now)
    calls = list(rows.order_by("-at", "-pk")[:limit])
    services = _service_rows(sandbox, region, None).filter(at__gte=now - HISTORY, at__lte=now)
    newest = sorted(
        [(call.at, CALL, call.pk, call) for call in calls]
        + [(row.at, SERVICE, row.pk, row) for row in services.order_by("-at", "-pk")[:limit]],
        key=lambda item: item[:3],
        reverse=True,
    )[:limit]
    return [record for record, _event in _with_records(sandbox, [item[3] for item in newest])]
