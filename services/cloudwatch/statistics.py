"""Statistics over a period's datapoints: SampleCount, Sum, Average, Minimum, Maximum and the
percentiles pNN / pNN.NN (the extended statistics), and the retention rule that decides which
periods are still served at a given age.

A percentile is the nearest rank over the values that were sent (Value, or Values weighted by
their Counts); datapoints sent as StatisticValues have no values and add nothing to it, as on
AWS.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,2})?|100)$")
HIGH_RESOLUTION_PERIODS = (1, 5, 10, 20, 30)

# Data younger than the age is served at periods down to the resolution; older data only at the
# coarser ones (AWS rolls it up); past the last age it is gone.
RETENTION: tuple[tuple[dt.timedelta, int], ...] = (
    (dt.timedelta(hours=3), 1),
    (dt.timedelta(days=15), 60),
    (dt.timedelta(days=63), 300),
    (dt.timedelta(days=455), 3600),
)
LONGEST_RETENTION = RETENTION[-1][0]


def finest_period(age: dt.timedelta) -> int | None:
    """The shortest period data of this age is still served at; None once it has expired."""
    for limit, period in RETENTION:
        if age < limit:
            return period
    return None


def served(*, period: int, bucket_start: dt.datetime, now: dt.datetime) -> bool:
    finest = finest_period(now - bucket_start)
    return finest is not None and period % finest == 0


def valid_period(period: int) -> bool:
    return period in HIGH_RESOLUTION_PERIODS or (period >= 60 and period % 60 == 0)


def is_percentile(statistic: str) -> bool:
    return bool(PERCENTILE.match(statistic))


@dataclass
class Bucket:
    """What one period's datapoints add up to."""

    start: dt.datetime
    sample_count: float = 0.0
    total: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    values: list[tuple[float, float]] = field(default_factory=list)
    unit: str = "None"

    def add(self, *, sample_count: float, total: float, minimum: float, maximum: float,
            values: Iterable[Iterable[float]], unit: str) -> None:  # fmt: skip
        self.sample_count += sample_count
        self.total += total
        self.minimum = min(self.minimum, minimum)
        self.maximum = max(self.maximum, maximum)
        self.values.extend((float(v), float(c)) for v, c in values)
        self.unit = unit

    def statistic(self, name: str) -> float | None:
        if name == "SampleCount":
            return self.sample_count
        if name == "Sum":
            return self.total
        if name == "Average":
            return self.total / self.sample_count if self.sample_count else None
        if name == "Minimum":
            return self.minimum
        if name == "Maximum":
            return self.maximum
        if is_percentile(name):
            return percentile(self.values, float(name[1:]))
        return None


def percentile(values: list[tuple[float, float]], rank: float) -> float | None:
    """The nearest-rank percentile of weighted values; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    total = sum(count for _, count in ordered)
    needed = rank / 100 * total
    running = 0.0
    for value, count in ordered:
        running += count
        if running >= needed:
            return value
    return ordered[-1][0]


def bucket_start(timestamp: dt.datetime, *, start: dt.datetime, period: int) -> dt.datetime:
    offset = int((timestamp - start).total_seconds()) // period * period
    return start + dt.timedelta(seconds=offset)
