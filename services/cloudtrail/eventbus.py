"""CloudTrail's events to EventBridge: "AWS API Call via CloudTrail".

As each batch of call records is written (the gateway's call log calls what registered with
playground.gateway.calllog.on_calls_written: tasks.py), the records a logging trail of the
account takes are put on the default bus of the call's region, in the shape AWS sends: source
"aws.<service>", detail-type "AWS API Call via CloudTrail", detail the CloudTrail record, time its
eventTime, resources [].

Which calls, as AWS documents it:
- a trail that is logging is required ("To record events with a detail-type value of AWS API Call
  via CloudTrail, a CloudTrail trail with logging enabled is required"); the trail must cover the
  call's region and its event selectors take the record (so data events, S3 PutObject say, go only
  where a trail logs them);
- events of operations whose names start with List, Get or Describe are not sent, except STS's
  GetFederationToken and GetSessionToken; other read-only events (LookupEvents, KMS Decrypt) are.

LIMITATION: a rule in the ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS state does not receive the
List/Get/Describe events either.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from django.db import DatabaseError, transaction

import services.eventbridge.public as eventbridge
from playground.sandboxes.models import Clock
from services.cloudtrail import records, trails
from services.cloudtrail.models import Trail

if TYPE_CHECKING:
    from playground.gateway.models import ApiCall
    from services.cloudtrail.models import ServiceEvent

LOG = logging.getLogger(__name__)
DETAIL_TYPE = "AWS API Call via CloudTrail"
_HELD_BACK = ("List", "Get", "Describe")
_SENT_ANYWAY = frozenset({"GetFederationToken", "GetSessionToken"})
# The logging trails of every sandbox, read at most once a second per process (not once per batch
# of calls: that query would cost more than the call it follows); a trail changed in this process
# clears it at once (events.trail_changed), one changed in another process is seen within a second.
CACHE_SECONDS = 1.0
_cache: dict[str, object] = {"until": 0.0, "trails": {}}


def forget() -> None:
    """Read the logging trails again for the next batch (a trail was created, changed or deleted)."""
    _cache["until"] = 0.0


def _logging_trails() -> dict[int, list[Trail]]:
    if time.monotonic() >= float(_cache["until"]):  # type: ignore[arg-type]
        found: dict[int, list[Trail]] = {}
        for trail in Trail.objects.filter(logging=True).select_related("sandbox"):
            found.setdefault(trail.sandbox_id, []).append(trail)
        _cache["trails"], _cache["until"] = found, time.monotonic() + CACHE_SECONDS
    return _cache["trails"]  # type: ignore[return-value]


def is_sent(operation: str) -> bool:
    """Whether EventBridge receives the events of an operation (its name, as AWS rules it)."""
    return bool(operation) and (not operation.startswith(_HELD_BACK) or operation in _SENT_ANYWAY)


def source_of(service: str) -> str:
    """The event's source: "aws." and the service's name (aws.sqs, aws.cloudwatch, aws.events)."""
    return f"aws.{service}"


def calls_written(calls: list[ApiCall]) -> None:
    """Send the events of a batch of call records just written (the call log's thread)."""
    sent = [call for call in calls if is_sent(call.operation)]
    if not sent:
        return
    logging_trails = _logging_trails()
    for sandbox_id in sorted({call.sandbox_id for call in sent} & set(logging_trails)):
        its_trails = logging_trails[sandbox_id]
        its_calls = [call for call in sent if call.sandbox_id == sandbox_id]
        try:
            send(its_trails, its_calls)
        except DatabaseError:  # the sandbox deleted meanwhile, say: the calls themselves are unaffected
            LOG.warning("CloudTrail events of sandbox %s not sent", sandbox_id, exc_info=True)
        except Exception:  # one sandbox's failure must not keep the others' events
            LOG.exception("CloudTrail events of sandbox %s not sent", sandbox_id)


def send(its_trails: list[Trail], calls: list[ApiCall]) -> int:
    """Put the events of one sandbox's calls on their regions' default buses; how many."""
    sandbox = its_trails[0].sandbox
    now = Clock.current(sandbox.pk).now()
    count = 0
    with transaction.atomic():
        for call, record in zip(calls, records.records_of(calls, account_id=sandbox.account_id), strict=True):
            if not any(
                (trail.multi_region or trail.region == call.region) and trails.wants(trail, record)
                for trail in its_trails
            ):
                continue
            eventbridge.emit(
                sandbox=sandbox, region=call.region, source=source_of(call.service), detail_type=DETAIL_TYPE,
                detail=record, resources=[], now=now, time=call.at,
            )  # fmt: skip
            count += 1
    return count


def send_service_events(its_trails: list[Trail], rows: list[ServiceEvent]) -> int:
    """The same for events services recorded (servicelog.py): an AwsServiceEvent goes out as
    "AWS Service Event via CloudTrail"."""
    from services.cloudtrail import servicelog

    sandbox = its_trails[0].sandbox
    now = Clock.current(sandbox.pk).now()
    count = 0
    with transaction.atomic():
        for row, record in zip(rows, servicelog.records_of(rows, account_id=sandbox.account_id), strict=True):
            if not any(
                (trail.multi_region or trail.region == row.region) and trails.wants(trail, record)
                for trail in its_trails
            ):
                continue
            detail_type = (
                servicelog.SERVICE_EVENT_DETAIL_TYPE if row.event_type == servicelog.SERVICE_EVENT else DETAIL_TYPE
            )
            eventbridge.emit(
                sandbox=sandbox, region=row.region, source=source_of(row.service), detail_type=detail_type,
                detail=record, resources=[], now=now, time=row.at,
            )  # fmt: skip
            count += 1
    return count
