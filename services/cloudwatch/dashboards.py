"""Dashboards: PutDashboard (the body checked as AWS checks it, problems listed in
DashboardValidationMessages), GetDashboard, ListDashboards, DeleteDashboards, and the series each
metric widget shows (for the GUI's charts).

LIMITATIONS: the body is checked for its structure (widgets, their type, position and properties,
a metric widget's metrics arrays) as AWS's schema checks it, not for every property's values.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from playground.sandboxes.models import Sandbox
from services.cloudwatch import metrics
from services.cloudwatch.exceptions import DashboardInvalidInputError, DashboardNotFoundError
from services.cloudwatch.models import Dashboard

NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
WIDGET_TYPES = ("metric", "text", "alarm", "log", "explorer", "custom")
MAX_BODY = 100_000  # bytes (a quota of 100 KB per dashboard body)


def _problems(body: Any) -> list[dict[str, str]]:
    problems: list[dict[str, str]] = []
    if not isinstance(body, dict):
        return [{"DataPath": "", "Message": "Should be object"}]
    widgets = body.get("widgets")
    if widgets is None:
        return [{"DataPath": "", "Message": "Should have required property 'widgets'"}]
    if not isinstance(widgets, list):
        return [{"DataPath": "/widgets", "Message": "Should be array"}]
    for index, widget in enumerate(widgets):
        path = f"/widgets/{index}"
        if not isinstance(widget, dict):
            problems.append({"DataPath": path, "Message": "Should be object"})
            continue
        if "type" not in widget:
            problems.append({"DataPath": path, "Message": "Should have required property 'type'"})
        elif widget["type"] not in WIDGET_TYPES:
            problems.append({"DataPath": f"{path}/type", "Message": "Should be equal to one of the allowed values"})
        for key in ("x", "y", "width", "height"):
            if key in widget and not isinstance(widget[key], int):
                problems.append({"DataPath": f"{path}/{key}", "Message": "Should be integer"})
        if "properties" not in widget:
            problems.append({"DataPath": path, "Message": "Should have required property 'properties'"})
            continue
        properties = widget["properties"]
        if not isinstance(properties, dict):
            problems.append({"DataPath": f"{path}/properties", "Message": "Should be object"})
            continue
        if widget.get("type") == "metric" and "metrics" not in properties and "annotations" not in properties:
            problems.append({"DataPath": f"{path}/properties", "Message": "Should have required property 'metrics'"})
        for line, entry in enumerate(properties.get("metrics") or []):
            if not isinstance(entry, list) or not entry:
                problems.append({"DataPath": f"{path}/properties/metrics/{line}", "Message": "Should be array"})
        if widget.get("type") == "text" and "markdown" not in properties:
            problems.append({"DataPath": f"{path}/properties", "Message": "Should have required property 'markdown'"})
    return problems


def check_name(name: str) -> None:
    if not NAME.match(name):
        raise DashboardInvalidInputError(
            "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, "
            "dash (-) and underscore (_).\n"
        )


def put_dashboard(*, sandbox: Sandbox, name: str, body: str, now: dt.datetime) -> list[dict[str, str]]:
    check_name(name)
    if len(body.encode()) > MAX_BODY:
        raise DashboardInvalidInputError("The field DashboardBody must not be larger than 100000 bytes.")
    try:
        parsed = json.loads(body)
    except ValueError:
        raise DashboardInvalidInputError("The field DashboardBody must be a valid JSON object") from None
    problems = _problems(parsed)
    if problems:
        listed = ", ".join(json.dumps({"dataPath": p["DataPath"], "message": p["Message"]}) for p in problems)
        raise DashboardInvalidInputError(
            f"The dashboard body is invalid, there are {len(problems)} validation errors: [{listed}]", problems
        )
    Dashboard.objects.update_or_create(sandbox=sandbox, name=name, defaults={"body": body, "updated_at": now})
    return []


def get_dashboard(*, sandbox: Sandbox, name: str) -> Dashboard:
    board = Dashboard.objects.filter(sandbox=sandbox, name=name).first()
    if board is None:
        raise DashboardNotFoundError("Dashboard " + name + " does not exist")
    return board


def list_dashboards(*, sandbox: Sandbox, prefix: str | None) -> list[Dashboard]:
    rows = Dashboard.objects.filter(sandbox=sandbox)
    if prefix:
        rows = rows.filter(name__startswith=prefix)
    return list(rows.order_by("name"))


def delete_dashboards(*, sandbox: Sandbox, names: list[str]) -> None:
    found = Dashboard.objects.filter(sandbox=sandbox, name__in=names)
    missing = sorted(set(names) - set(found.values_list("name", flat=True)))
    if missing:
        raise DashboardNotFoundError(f"The specified dashboard does not exist. [{', '.join(missing)}]")
    found.delete()


def _metric_lines(properties: dict[str, Any]) -> list[tuple[str, str, list[dict[str, str]], dict[str, Any]]]:
    """The [namespace, name, dim, value, ..., {options}] lines, with "..." / "." repeating the line before."""
    lines = []
    previous: list[Any] = []
    for entry in properties.get("metrics") or []:
        options = entry[-1] if entry and isinstance(entry[-1], dict) else {}
        parts = [p for p in entry if not isinstance(p, dict)]
        if parts and parts[0] == "...":
            parts = previous[: len(previous) - len(parts[1:])] + parts[1:] if len(parts) > 1 else previous
        parts = [previous[i] if p == "." and i < len(previous) else p for i, p in enumerate(parts)]
        previous = parts
        if len(parts) < 2:
            continue
        dims = [{"Name": str(parts[i]), "Value": str(parts[i + 1])} for i in range(2, len(parts) - 1, 2)]
        lines.append((str(parts[0]), str(parts[1]), dims, options))
    return lines


def widget_series(board: Dashboard, *, now: dt.datetime) -> list[dict[str, Any]]:
    """Each metric widget's title and its lines' datapoints over the last 3 hours (5-minute
    periods unless the widget says another), for the GUI's charts."""
    out = []
    body = json.loads(board.body)
    for widget in body.get("widgets", []):
        if widget.get("type") != "metric":
            out.append({"type": widget.get("type"), "markdown": widget.get("properties", {}).get("markdown", "")})
            continue
        properties = widget["properties"]
        region = properties.get("region", "us-east-1")
        period = int(properties.get("period", 300))
        start = now - dt.timedelta(hours=3)
        lines = []
        for namespace, name, dims, options in _metric_lines(properties):
            series = metrics.series(
                sandbox=board.sandbox, region=region, namespace=namespace, name=name, dimensions=dims,
                statistic=options.get("stat", properties.get("stat", "Average")), period=period, start=start,
                end=now, unit=None, now=now,
            )  # fmt: skip
            lines.append({"label": options.get("label", name),
                          "points": [[at.timestamp(), value] for at, value in sorted(series.items())]})  # fmt: skip
        out.append({"type": "metric", "title": properties.get("title", ""), "lines": lines})
    return out
