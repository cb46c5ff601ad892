"""Simulated CPU load and detailed monitoring.

Nothing runs on an instance, so its CPU is a profile a student or a lab sets:

    idle     about 1 % (what an instance doing nothing shows)
    steady   `percent` every minute
    spiky    `percent` for one minute in five, about 2 % the rest of the time
    schedule steps of (time of day UTC, percent), repeated daily: each step holds from its time
             until the next one's; before the day's first step, the day before's last step holds.
             A step is given as "HH:MM" or as "+N" (N minutes from now, on the sandbox clock).

It is set by the inspector's Load form, by POST /ec2/sandboxes/<id>/load/ (views.py), or at launch
by user data that runs a CPU burner the way AWS's own alarm tutorials load an instance:
`stress-ng --cpu 1 --cpu-load 80` (or `stress --cpu 2`: 100 %) anywhere in the script makes the
instance steady at that load once it runs; `# playground: cpu=spiky 90` names a profile directly,
and `# playground: cpu=schedule 09:00=80,17:00=5` a schedule.

MonitorInstances / UnmonitorInstances switch the AWS/EC2 metrics (metrics.py) between five-minute
(basic) and one-minute (detailed) periods.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from typing import Any

from playground.sandboxes.models import Sandbox
from services.ec2.exceptions import InvalidParameterValue
from services.ec2.models import Instance

PROFILES = ("idle", "steady", "spiky", "schedule")
IDLE = 1.0
SPIKE_LOW = 2.0
STRESS_NG = re.compile(r"stress-ng\b[^\n]*?--cpu-load[ =](\d{1,3})")
STRESS = re.compile(r"\bstress(?:-ng)?\b[^\n]*?--cpu[ =]\d+")
DIRECTIVE = re.compile(r"#\s*playground:\s*cpu=(idle|steady|spiky)(?:\s+(\d{1,3}))?")
SCHEDULE_DIRECTIVE = re.compile(r"#\s*playground:\s*cpu=schedule\s+(\S+)")
STEP = re.compile(r"^(?:(?P<hour>\d{1,2}):(?P<minute>\d{2})|\+(?P<later>\d{1,5}))$")
DAY = 24 * 60


def cpu_at(instance: Instance, minute: dt.datetime) -> float:
    """The instance's CPUUtilization (percent) during the minute starting at `minute`."""
    if instance.cpu_profile == "steady":
        return instance.cpu_percent
    if instance.cpu_profile == "spiky":
        return instance.cpu_percent if int(minute.timestamp()) // 60 % 5 == 0 else SPIKE_LOW
    if instance.cpu_profile == "schedule" and instance.cpu_schedule:
        of_day = minute.astimezone(dt.UTC)
        at = of_day.hour * 60 + of_day.minute
        started = [percent for step, percent in instance.cpu_schedule if step <= at]
        return float(started[-1] if started else instance.cpu_schedule[-1][1])
    return IDLE


def cpu_average(instance: Instance, *, start: dt.datetime, seconds: int) -> float:
    minutes = [start + dt.timedelta(minutes=i) for i in range(max(seconds // 60, 1))]
    return round(sum(cpu_at(instance, minute) for minute in minutes) / len(minutes), 2)


def _step_at(text: str, now: dt.datetime) -> int:
    found = STEP.match(text.strip())
    if found is None or (found["hour"] is not None and (int(found["hour"]) > 23 or int(found["minute"]) > 59)):
        raise InvalidParameterValue(f"Invalid value '{text}' for schedule step time. Expected HH:MM (UTC) or +minutes.")
    if found["later"] is not None:
        clock = now.astimezone(dt.UTC)
        return (clock.hour * 60 + clock.minute + int(found["later"])) % DAY
    return int(found["hour"]) * 60 + int(found["minute"])


def check_schedule(steps: Any, *, now: dt.datetime) -> list[list[float]]:
    """[[minute of the day, percent], ...] sorted, from a list of {"at": "HH:MM" or "+N", "percent": P}
    (or [at, percent] pairs), or from the text "09:00=80, 17:00=5" (the inspector's and user data's)."""
    if isinstance(steps, str):
        pairs: list[Any] = [part.split("=", 1) for part in re.split(r"[,\s]+", steps.strip()) if part]
    elif isinstance(steps, list):
        pairs = [[step.get("at"), step.get("percent")] if isinstance(step, dict) else step for step in steps]
    else:
        raise InvalidParameterValue(
            "The schedule profile needs a schedule: steps of time (HH:MM UTC or +minutes) and percent."
        )
    if not pairs or len(pairs) > 48:
        raise InvalidParameterValue("Invalid value for schedule. Expected 1 to 48 steps.")
    by_minute: dict[int, float] = {}
    for pair in pairs:
        if not isinstance(pair, list | tuple) or len(pair) != 2 or not isinstance(pair[0], str):
            raise InvalidParameterValue(f"Invalid value '{pair}' for schedule step. Expected a time and a percent.")
        try:
            value = float(pair[1])
        except (TypeError, ValueError) as problem:
            raise InvalidParameterValue(f"Invalid value '{pair[1]}' for percent. Expected 0 to 100.") from problem
        if not 0 <= value <= 100:
            raise InvalidParameterValue(f"Invalid value '{pair[1]}' for percent. Expected 0 to 100.")
        by_minute[_step_at(pair[0], now)] = value
    return [[minute, value] for minute, value in sorted(by_minute.items())]


def schedule_text(schedule: list[list[float]]) -> list[dict[str, Any]]:
    """The stored schedule as the REST API answers it: [{"at": "HH:MM", "percent": P}, ...]."""
    return [{"at": f"{int(m) // 60:02d}:{int(m) % 60:02d}", "percent": float(p)} for m, p in schedule]


def check_load(profile: str, percent: float | None) -> tuple[str, float]:
    if profile not in PROFILES:
        raise InvalidParameterValue(f"Invalid value '{profile}' for profile. Valid values: {', '.join(PROFILES)}.")
    value = 0.0 if percent is None else float(percent)
    if not 0 <= value <= 100:
        raise InvalidParameterValue(f"Invalid value '{percent}' for percent. Expected 0 to 100.")
    if profile not in ("idle", "schedule") and percent is None:
        raise InvalidParameterValue(f"The {profile} profile needs a percent (0 to 100).")
    return profile, value


def load_set(
    *, sandbox: Sandbox, region: str, instance_id: str, profile: str, percent: float | None,
    now: dt.datetime, schedule: Any = None,
) -> Instance:  # fmt: skip
    """Set the instance's CPU load; a schedule's "+N" steps count from `now` (the sandbox clock)."""
    from services.ec2.instances import instances_get

    profile, value = check_load(profile, percent)
    steps: list[list[float]] = []
    if profile == "schedule":
        steps, value = check_schedule(schedule, now=now), 0.0
    [instance] = instances_get(sandbox=sandbox, region=region, ids=[instance_id], lock=True)
    instance.cpu_profile, instance.cpu_percent, instance.cpu_schedule = profile, value, steps
    instance.save(update_fields=["cpu_profile", "cpu_percent", "cpu_schedule"])
    return instance


def schedule_from_user_data(user_data: str, *, now: dt.datetime) -> list[list[float]] | None:
    """The schedule the playground directive `cpu=schedule 09:00=80,17:00=5` asks for, or None
    (also for a malformed one: a launch script is not rejected for it)."""
    found = SCHEDULE_DIRECTIVE.search(_script(user_data))
    if found is None:
        return None
    try:
        return check_schedule(found.group(1), now=now)
    except InvalidParameterValue:
        return None


def _script(user_data: str) -> str:
    if not user_data:
        return ""
    try:
        return base64.b64decode(user_data).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""


def load_from_user_data(user_data: str) -> tuple[str, float] | None:
    """The load a launch script asks for (stress-ng --cpu-load N, stress --cpu N, or the
    playground directive), or None."""
    script = _script(user_data)
    if not script:
        return None
    if found := DIRECTIVE.search(script):
        profile, percent = found.group(1), found.group(2)
        return profile, min(float(percent), 100.0) if percent else (0.0 if profile == "idle" else 100.0)
    if found := STRESS_NG.search(script):
        return "steady", min(float(found.group(1)), 100.0)
    if STRESS.search(script):
        return "steady", 100.0
    return None


def monitoring_set(
    *, sandbox: Sandbox, region: str, ids: list[str], enabled: bool, now: dt.datetime
) -> list[dict[str, Any]]:
    """MonitorInstances / UnmonitorInstances: the instances' monitoring state as AWS answers it."""
    from services.ec2.instances import instances_get
    from services.ec2.metrics import next_boundary

    found = instances_get(sandbox=sandbox, region=region, ids=ids, lock=True)
    for instance in found:
        instance.monitoring = enabled
        if instance.metrics_at is not None:  # the next datapoint comes at the new period's boundary
            instance.metrics_at = next_boundary(now, 60 if enabled else 300)
        instance.save(update_fields=["monitoring", "metrics_at"])
    state = "pending" if enabled else "disabling"
    return [{"InstanceId": instance.instance_id, "Monitoring": {"State": state}} for instance in found]
