"""AWS CloudTrail: the event history (LookupEvents) and trails, over JSON 1.1. Each method reads
its parameters and calls one domain function:

    records.py    a CloudTrail record from one of the gateway's call records
    lookup.py     LookupEvents: attributes, time range, pages, management events, 90 days, rate
    trails.py     trails, logging, status, event selectors
    delivery.py   batches to S3 (SNS, CloudWatch Logs) on the sandbox clock
    digests.py    log file validation: hourly signed digests, ListPublicKeys
    eventbus.py   "AWS API Call via CloudTrail" events to EventBridge as calls are recorded
    events.py     the live events; graph.py the diagram

LIMITATIONS: see docs/cloudtrail.md.
"""

from __future__ import annotations

import contextlib
from typing import Any

from playground.gateway.registry import Provider, own_transactions, register
from playground.gateway.request import RequestContext
from playground.gateway.validation import Problem
from services.cloudtrail import digests, lookup, trails
from services.cloudtrail.exceptions import (
    CloudTrailARNInvalidException,
    InvalidLookupAttributesException,
    InvalidTimeRangeException,
    ResourceNotFoundException,
    TrailNotFoundException,
)
from services.cloudtrail.models import Trail


@register
class CloudTrailProvider(Provider):
    service = "cloudtrail"

    def checks_itself(self, operation: str, problem: Problem) -> bool:
        # LookupEvents words its own: InvalidMaxResultsException, InvalidLookupAttributesException.
        return operation == "LookupEvents" and problem.kind in ("enum", "length", "range")

    @own_transactions
    def lookup_events(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        for attribute in params.get("LookupAttributes") or []:
            if not 1 <= len(attribute.get("AttributeValue") or "") <= 2000:
                raise InvalidLookupAttributesException("The lookup attribute value must be 1 to 2000 characters long.")
        return lookup.lookup_events(sandbox=ctx.sandbox, region=ctx.region, params=params, now=ctx.now)

    def create_trail(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        trail = trails.create(sandbox=ctx.sandbox, region=ctx.region, params=params, now=ctx.now)
        return trails.created_answer(trail)

    def update_trail(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        trail = trails.update(sandbox=ctx.sandbox, region=ctx.region, params=params, now=ctx.now)
        return trails.created_answer(trail)

    def delete_trail(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        trails.delete(sandbox=ctx.sandbox, region=ctx.region, name=params["Name"], now=ctx.now)
        return {}

    def get_trail(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        trail = trails.find(sandbox=ctx.sandbox, region=ctx.region, name=params["Name"])
        return {"Trail": trails.description(trail, region=ctx.region)}

    def describe_trails(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        shadows = params.get("includeShadowTrails", True)
        names = params.get("trailNameList") or []
        if names:
            found: list[Trail] = []
            for name in names:
                with contextlib.suppress(TrailNotFoundException):  # AWS leaves out the names it does not find
                    found.append(trails.find(sandbox=ctx.sandbox, region=ctx.region, name=name))
        else:
            found = trails.visible(sandbox=ctx.sandbox, region=ctx.region)
        if not shadows:
            found = [trail for trail in found if trail.region == ctx.region]
        return {"trailList": [trails.description(trail, region=ctx.region) for trail in found]}

    def list_trails(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "Trails": [
                {"TrailARN": trail.arn, "Name": trail.name, "HomeRegion": trail.region}
                for trail in trails.visible(sandbox=ctx.sandbox, region=ctx.region)
            ]
        }

    def start_logging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        trails.start_logging(sandbox=ctx.sandbox, region=ctx.region, name=params["Name"], now=ctx.now)
        return {}

    def stop_logging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        trails.stop_logging(sandbox=ctx.sandbox, region=ctx.region, name=params["Name"], now=ctx.now)
        return {}

    def get_trail_status(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return trails.status(trails.find(sandbox=ctx.sandbox, region=ctx.region, name=params["Name"]))

    def put_event_selectors(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        trail = trails.put_selectors(sandbox=ctx.sandbox, region=ctx.region, params=params, now=ctx.now)
        return trails.selectors_answer(trail)

    def get_event_selectors(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        trail = trails.find(sandbox=ctx.sandbox, region=ctx.region, name=params["TrailName"])
        return trails.selectors_answer(trail)

    def list_public_keys(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        start, end = params.get("StartTime"), params.get("EndTime")
        if start is not None and end is not None and start > end:
            raise InvalidTimeRangeException("Start time must be earlier than end time.")
        return {
            "PublicKeyList": digests.public_keys(
                sandbox=ctx.sandbox, region=ctx.region, start=start, end=end, now=ctx.now
            )
        }

    def _tagged(self, ctx: RequestContext, arn: str, *, lock: bool = False) -> Trail:
        """The trail a tagging call's ResourceId (an ARN) names: ResourceNotFoundException if none."""
        if not arn.startswith("arn:"):
            raise CloudTrailARNInvalidException(
                f"Invalid trail ARN: {arn}. The ARN must be in the format "
                "arn:aws:cloudtrail:<region>:<account id>:trail/<trail name>."
            )
        try:
            return trails.find(sandbox=ctx.sandbox, region=ctx.region, name=arn, lock=lock)
        except TrailNotFoundException:
            raise ResourceNotFoundException(f"Resource not found: {arn}") from None

    def add_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        trail = self._tagged(ctx, params["ResourceId"], lock=True)
        tags = {tag["Key"]: tag for tag in trail.tags}
        tags.update({tag["Key"]: tag for tag in trails.check_tags(params.get("TagsList"))})
        trail.tags = trails.check_tags(list(tags.values()))
        trail.save(update_fields=["tags"])
        return {}

    def remove_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        trail = self._tagged(ctx, params["ResourceId"], lock=True)
        gone = {tag["Key"] for tag in params.get("TagsList") or []}
        trail.tags = [tag for tag in trail.tags if tag["Key"] not in gone]
        trail.save(update_fields=["tags"])
        return {}

    def list_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        listed = []
        for arn in params.get("ResourceIdList") or []:
            trail = self._tagged(ctx, arn)
            listed.append({"ResourceId": trail.arn, "TagsList": trail.tags})
        return {"ResourceTagList": listed}
