"""Schedule expressions as EventBridge reads them, in UTC: `rate(N unit)` and AWS's six-field cron.

    rate(1 minute), rate(5 minutes), rate(1 hour), rate(2 hours), rate(1 day), rate(7 days)
        N a positive whole number, the unit singular for 1 and plural otherwise
    cron(Minutes Hours Day-of-month Month Day-of-week Year)
        Minutes 0-59, Hours 0-23      , - * /
        Day-of-month 1-31             , - * ? / L W  (L the last day, 15W the weekday nearest the
                                      15th within the month, LW the last weekday)
        Month 1-12 or JAN-DEC         , - * /
        Day-of-week 1-7 or SUN-SAT    , - * ? L #   (1 = Sunday; 6L the month's last Friday,
                                      2#1 its first Monday, L alone Saturday)
        Year 1970-2199                , - * /
        One of the two day fields must be ?, the other not.

No cron library on PyPI reads this dialect (day-of-week from 1, `?`, `W`, `#`, the year field), so
this small one does: `next_time(after)` walks the matching years and months and, in each, the
matching days, hours and minutes, and returns the first minute strictly after `after`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

MONTHS = {
    name: number
    for number, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1
    )
}
DAYS = {name: number for number, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
YEARS = (1970, 2199)
RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
CRON = re.compile(r"^cron\((.*)\)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


class ScheduleError(ValueError):
    """A schedule expression AWS refuses."""


def _number(text: str, low: int, high: int, names: dict[str, int] | None = None) -> int:
    upper = text.upper()
    if names and upper in names:
        return names[upper]
    if not text.isdigit():
        raise ScheduleError(text)
    value = int(text)
    if not low <= value <= high:
        raise ScheduleError(text)
    return value


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    """The numbers a plain field (`, - * /`) allows."""
    found: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            step = _number(step_text, 1, max(high, 1))
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _number(first, low, high, names), _number(last, low, high, names)
            if start > end:
                raise ScheduleError(part)
        else:
            start = _number(base, low, high, names)
            end = high if step_text else start
        found.update(range(start, end + 1, step))
    if not found:
        raise ScheduleError(field)
    return frozenset(found)


@dataclass(frozen=True)
class DayOfMonth:
    days: frozenset[int]  # plain days
    last: bool  # L
    last_weekday: bool  # LW
    nearest_weekday: frozenset[int]  # 15W

    def allowed(self, year: int, month: int) -> set[int]:
        length = calendar.monthrange(year, month)[1]
        allowed = {day for day in self.days if day <= length}
        if self.last:
            allowed.add(length)
        if self.last_weekday:
            allowed.add(_nearest_weekday(year, month, length, length))
        for day in self.nearest_weekday:
            if day <= length:
                allowed.add(_nearest_weekday(year, month, day, length))
        return allowed


def _nearest_weekday(year: int, month: int, day: int, length: int) -> int:
    weekday = dt.date(year, month, day).weekday()  # Monday 0 .. Sunday 6
    if weekday == 5:  # Saturday: the Friday before, or the Monday after on the 1st
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: the Monday after, or the Friday before on the last day
        return day + 1 if day < length else day - 2
    return day


@dataclass(frozen=True)
class DayOfWeek:
    days: frozenset[int]  # 1 = Sunday
    last_of: frozenset[int]  # 6L
    nth: frozenset[tuple[int, int]]  # (day, n) for 2#1

    def allowed(self, year: int, month: int) -> set[int]:
        length = calendar.monthrange(year, month)[1]
        allowed: set[int] = set()
        for day in range(1, length + 1):
            aws_day = (dt.date(year, month, day).weekday() + 1) % 7 + 1  # Monday 0 -> 2, Sunday 6 -> 1
            if aws_day in self.days:
                allowed.add(day)
            if aws_day in self.last_of and day + 7 > length:
                allowed.add(day)
            if (aws_day, (day - 1) // 7 + 1) in self.nth:
                allowed.add(day)
        return allowed


def _day_of_month(field: str) -> DayOfMonth:
    days: set[int] = set()
    last = last_weekday = False
    nearest: set[int] = set()
    plain: list[str] = []
    for part in field.split(","):
        if part == "L":
            last = True
        elif part == "LW":
            last_weekday = True
        elif part.endswith("W") and part[:-1].isdigit():
            nearest.add(_number(part[:-1], 1, 31))
        else:
            plain.append(part)
    if plain:
        days.update(_values(",".join(plain), 1, 31))
    return DayOfMonth(frozenset(days), last, last_weekday, frozenset(nearest))


def _day_of_week(field: str) -> DayOfWeek:
    plain: list[str] = []
    last_of: set[int] = set()
    nth: set[tuple[int, int]] = set()
    for part in field.split(","):
        if part == "L":
            last_of.add(7)
        elif part.endswith("L") and len(part) > 1:
            last_of.add(_number(part[:-1], 1, 7, DAYS))
        elif "#" in part:
            day, _, index = part.partition("#")
            nth.add((_number(day, 1, 7, DAYS), _number(index, 1, 5)))
        else:
            plain.append(part)
    days = _values(",".join(plain), 1, 7, DAYS) if plain else frozenset()
    return DayOfWeek(frozenset(days), frozenset(last_of), frozenset(nth))


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: DayOfMonth | None  # None when "?"
    months: frozenset[int]
    day_of_week: DayOfWeek | None  # None when "?"
    years: frozenset[int]

    def days(self, year: int, month: int) -> list[int]:
        if self.day_of_month is not None:
            return sorted(self.day_of_month.allowed(year, month))
        assert self.day_of_week is not None
        return sorted(self.day_of_week.allowed(year, month))

    def next_time(self, after: dt.datetime) -> dt.datetime | None:
        """The first matching minute strictly after `after` (UTC), or None when none is left."""
        start = after.astimezone(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        for year in sorted(year for year in self.years if year >= start.year):
            for month in sorted(self.months):
                if (year, month) < (start.year, start.month):
                    continue
                for day in self.days(year, month):
                    date = dt.date(year, month, day)
                    if date < start.date():
                        continue
                    for hour in sorted(self.hours):
                        for minute in sorted(self.minutes):
                            moment = dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)
                            if moment >= start:
                                return moment
        return None


@dataclass(frozen=True)
class Rate:
    seconds: int

    def next_time(self, after: dt.datetime) -> dt.datetime:
        return after + dt.timedelta(seconds=self.seconds)


Schedule = Cron | Rate


@lru_cache(maxsize=1024)
def parse(expression: str) -> Schedule:
    """The schedule, or ScheduleError for an expression AWS refuses."""
    rate = RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value <= 0 or (value == 1) != (not unit.endswith("s")):
            raise ScheduleError(expression)
        return Rate(value * UNIT_SECONDS[unit.rstrip("s")])
    cron = CRON.match(expression)
    if not cron:
        raise ScheduleError(expression)
    fields = cron.group(1).split()
    if len(fields) != 6:
        raise ScheduleError(expression)
    minutes, hours, day_of_month, months, day_of_week, years = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ScheduleError(expression)
    try:
        return Cron(
            minutes=_values(minutes, 0, 59),
            hours=_values(hours, 0, 23),
            day_of_month=None if day_of_month == "?" else _day_of_month(day_of_month),
            months=_values(months, 1, 12, MONTHS),
            day_of_week=None if day_of_week == "?" else _day_of_week(day_of_week),
            years=_values(years, *YEARS),
        )
    except ScheduleError:
        raise ScheduleError(expression) from None


def first_time(expression: str, *, created: dt.datetime) -> dt.datetime | None:
    """When a new (or re-enabled) rule first fires: a rate one period after, a cron at its first
    matching minute."""
    schedule = parse(expression)
    if isinstance(schedule, Rate):
        return created.replace(microsecond=0) + dt.timedelta(seconds=schedule.seconds)
    return schedule.next_time(created)


def next_time(expression: str, *, after: dt.datetime) -> dt.datetime | None:
    return parse(expression).next_time(after)
