"""EventBridge's CloudWatch metrics (namespace AWS/Events), sent once a minute of sandbox time as
AWS sends them: for each rule whose counters moved, MatchedEvents and TriggeredRules (the events
it matched), Invocations (target invocations, successful or failed for good) and, when not zero,
FailedInvocations. A rule of the default bus has the dimension RuleName; a rule of a custom bus
EventBusName and RuleName. Through services.cloudwatch.public.metric_put.

The hot path only moves the rule's counters and stamps `metrics_due_at` with the end of the
current minute; the due work (tasks.py) sends the difference from what was last reported."""

from __future__ import annotations

import datetime as dt

from playground.sandboxes.models import Sandbox
from services.eventbridge.models import DEFAULT_BUS, Rule

NAMESPACE = "AWS/Events"
MINUTE = dt.timedelta(minutes=1)


def due_at(now: dt.datetime) -> dt.datetime:
    """The end of the minute `now` lies in: when that minute's counts are sent."""
    return now.replace(second=0, microsecond=0) + MINUTE


def send_due(sandbox: Sandbox, now: dt.datetime) -> None:
    from services.cloudwatch.public import metric_put

    due = Rule.objects.filter(sandbox=sandbox, metrics_due_at__lte=now).select_related("bus")
    for rule in due.order_by("metrics_due_at", "id"):
        at = rule.metrics_due_at
        # Claim: only the worker that clears this stamp sends these counts.
        if at is None or Rule.objects.filter(pk=rule.pk, metrics_due_at=at).update(metrics_due_at=None) == 0:
            continue
        rule.refresh_from_db(fields=["matched_events", "invocations", "failed_invocations", "reported"])
        old = rule.reported or {}
        matched = rule.matched_events - int(old.get("matched", 0))
        invoked = rule.invocations - int(old.get("invocations", 0))
        failed = rule.failed_invocations - int(old.get("failed", 0))
        Rule.objects.filter(pk=rule.pk).update(
            reported={
                "matched": rule.matched_events,
                "invocations": rule.invocations,
                "failed": rule.failed_invocations,
            }
        )
        dimensions = {"RuleName": rule.name}
        if rule.bus.name != DEFAULT_BUS:
            dimensions = {"EventBusName": rule.bus.name, "RuleName": rule.name}
        figures = {"MatchedEvents": matched, "TriggeredRules": matched, "Invocations": invoked + failed}
        if failed:
            figures["FailedInvocations"] = failed
        for name, value in figures.items():
            if value <= 0:
                continue
            metric_put(
                sandbox=sandbox, region=rule.bus.region, namespace=NAMESPACE, name=name, now=now,
                values=[1.0], counts=[float(value)], dimensions=dimensions, unit="Count", timestamp=at - MINUTE,
            )  # fmt: skip
