"""Levels other services report once a minute (public.gauges): the collectors they register, and
the round that asks them, run by the tick (tasks.py) on each sandbox's own clock."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from playground.db import find_one
from playground.sandboxes.models import Sandbox
from services.cloudwatch import metrics
from services.cloudwatch.models import GaugeRound

ACTIVE_FOR = dt.timedelta(hours=6)
REFRESH = dt.timedelta(minutes=1)
EVERY = 60


@dataclass(frozen=True)
class Gauge:
    namespace: str
    name: str
    value: float
    dimensions: dict[str, str] = field(default_factory=dict)
    unit: str = "None"
    region: str = "us-east-1"
    # A level AWS publishes for as long as its resource exists (KMS's SecondsUntilKeyMaterialExpiration),
    # not only while the sandbox is active: while one is returned, the rounds go on (keeping only these).
    lasting: bool = False


Collector = Callable[[Sandbox, dt.datetime], list[Gauge]]
_collectors: dict[str, Collector] = {}


def register(name: str) -> Callable[[Collector], Collector]:
    def add(fn: Collector) -> Collector:
        _collectors[name] = fn
        return fn

    return add


def _next_minute(now: dt.datetime) -> dt.datetime:
    epoch = int(now.timestamp()) // EVERY * EVERY + EVERY
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def keep_active(sandbox: Sandbox, *, now: dt.datetime) -> None:
    """The sandbox published a metric: its rounds go on for ACTIVE_FOR from now.

    The round's row is written once the publishing transaction has committed, in a statement of
    its own, and at most once a minute of sandbox time (REFRESH). Written inside the services'
    transactions it was a lock each held until its commit, taken between their other rows in
    whatever order their work ran: on PostgreSQL two calls of a sandbox (a SendMessage, and a
    Publish delivering to the same queue) deadlocked over it and the metric rows.
    """
    round_ = find_one(GaugeRound, sandbox=sandbox)  # every service metric's put asks
    if round_ is not None and round_.active_until >= now + ACTIVE_FOR - REFRESH:
        return
    transaction.on_commit(functools.partial(_write_round, sandbox, now=now), robust=True)  # a sandbox deleted meanwhile


def _write_round(sandbox: Sandbox, *, now: dt.datetime) -> None:
    _, made = GaugeRound.objects.get_or_create(
        sandbox=sandbox, defaults={"due_at": _next_minute(now), "active_until": now + ACTIVE_FOR}
    )
    if not made:
        GaugeRound.objects.filter(sandbox=sandbox, active_until__lt=now + ACTIVE_FOR).update(
            active_until=now + ACTIVE_FOR
        )


def collect_due(sandbox: Sandbox, now: dt.datetime) -> int:
    """Ask every collector for the sandbox's levels, store them at the minute, schedule the next."""
    round_ = GaugeRound.objects.filter(sandbox=sandbox, due_at__lte=now).first()
    if round_ is None:
        return 0
    claimed = GaugeRound.objects.filter(pk=round_.pk, due_at=round_.due_at).update(due_at=_next_minute(now))
    if not claimed:
        return 0
    quiet = round_.active_until < now  # past its six hours: only the lasting levels are kept
    stored = 0
    lasting = False
    at = now.replace(second=0, microsecond=0)
    for collect in _collectors.values():
        by_place: dict[tuple[str, str], list[tuple[str, dict[str, object]]]] = {}
        for gauge in collect(sandbox, now):
            if quiet and not gauge.lasting:
                continue
            lasting = lasting or gauge.lasting
            datum = {"MetricName": gauge.name, "Value": gauge.value, "Unit": gauge.unit, "Timestamp": at,
                     "Dimensions": [{"Name": k, "Value": v} for k, v in gauge.dimensions.items()]}  # fmt: skip
            row = metrics.datum_row(datum, "MetricData.member.1", now=now)
            by_place.setdefault((gauge.region, gauge.namespace), []).append((gauge.name, row))
        for (region, namespace), rows in by_place.items():
            metrics.store(sandbox=sandbox, region=region, namespace=namespace, rows=rows, now=now)
            stored += len(rows)
    if quiet and not lasting:
        round_.delete()
    return stored
