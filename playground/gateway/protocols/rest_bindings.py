"""The parts of the REST protocols that do not depend on the body format.

- Routing: each operation's `http.method` + `http.requestUri` template, compiled once per service,
  matched against the request's method, raw (still percent-encoded) path and query string.
- Text forms of scalar values, as they travel in URI labels, query strings and headers.

rest-json and rest-xml share all of it; `rest.py` holds the protocol classes built on top.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import json
import math
import re
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from botocore.model import OperationModel, ServiceModel, Shape

# Query parameters some SDKs add to a template only as a routing hint. A template literal with one
# of these names must match when the request carries it, but a request without it still matches
# (curl, browsers and presigned URLs from other tools do not send `x-id`).
SOFT_QUERY_LITERALS = frozenset({"x-id"})

_LABEL = re.compile(r"\{([^}]+)\}")


# --- routing -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    """One operation's compiled request URI template."""

    operation: str
    method: str
    template: str
    pattern: re.Pattern[str]
    labels: tuple[tuple[str, bool], ...]  # (label name, greedy), in group order
    query: tuple[tuple[str, str | None], ...]  # required query literals: name -> value (None: any)
    soft_query: tuple[tuple[str, str | None], ...]
    first_segment: str | None  # the first path segment when it is all literal, else None
    literal_chars: int

    @classmethod
    def compile(cls, operation: OperationModel) -> Route:
        method = operation.http.get("method", "POST").upper()
        template = operation.http.get("requestUri", "/")
        path, _, query_part = template.partition("?")
        regex = ["^"]
        labels: list[tuple[str, bool]] = []
        literal_chars = 0
        for index, piece in enumerate(_LABEL.split(path)):
            if index % 2:  # a {Label} or {Label+}
                greedy = piece.endswith("+")
                labels.append((piece.rstrip("+"), greedy))
                regex.append("(.+)" if greedy else "([^/]+)")
            else:
                literal_chars += len(piece)
                regex.append(re.escape(piece))
        if not path.endswith("/"):
            regex.append("/?")  # a trailing slash is tolerated
        regex.append("$")
        query: list[tuple[str, str | None]] = []
        soft: list[tuple[str, str | None]] = []
        for part in filter(None, query_part.split("&")):
            name, eq, value = part.partition("=")
            (soft if name in SOFT_QUERY_LITERALS else query).append((name, value if eq else None))
        segments = path.split("/")
        first = segments[1] if len(segments) > 1 else ""
        return cls(
            operation=operation.name,
            method=method,
            template=template,
            pattern=re.compile("".join(regex), re.DOTALL),
            labels=tuple(labels),
            query=tuple(query),
            soft_query=tuple(soft),
            first_segment=None if "{" in first else first,
            literal_chars=literal_chars,
        )

    @property
    def specificity(self) -> tuple[int, int, int, int]:
        """Higher wins when several templates match: required query literals first (GET
        /{Bucket}?tagging beats GET /{Bucket}), then literal path characters, then no greedy label,
        then routing hints like x-id."""
        greedy = sum(1 for _, is_greedy in self.labels if is_greedy)
        return (len(self.query), self.literal_chars, -greedy, len(self.soft_query))

    def match(self, raw_path: str, query: dict[str, list[str]]) -> dict[str, str] | None:
        """The percent-decoded label values when the request fits this template, else None."""
        for name, value in self.query:
            if name not in query or (value is not None and value not in query[name]):
                return None
        for name, value in self.soft_query:
            if name in query and value is not None and value not in query[name]:
                return None
        found = self.pattern.match(raw_path)
        if found is None:
            return None
        return {name: unquote(text) for (name, _), text in zip(self.labels, found.groups(), strict=True)}

    def query_literal_names(self) -> set[str]:
        return {name for name, _ in self.query + self.soft_query}


class RouteTable:
    """All routes of one service, grouped by method and first literal path segment."""

    def __init__(self, service: ServiceModel) -> None:
        self.by_name: dict[str, Route] = {}
        grouped: dict[str, dict[str | None, list[Route]]] = {}
        for name in service.operation_names:
            route = Route.compile(service.operation_model(name))
            self.by_name[name] = route
            grouped.setdefault(route.method, {}).setdefault(route.first_segment, []).append(route)
        self._table: dict[str, dict[str | None, list[Route]]] = {}
        for method, by_segment in grouped.items():
            wild = by_segment.get(None, [])
            table: dict[str | None, list[Route]] = {None: _by_specificity(wild)}
            for segment, routes in by_segment.items():
                if segment is not None:
                    table[segment] = _by_specificity(routes + wild)
            self._table[method] = table

    def candidates(self, method: str, raw_path: str) -> list[Route]:
        table = self._table.get(method)
        if table is None:
            return []
        segments = raw_path.split("/", 2)
        first = segments[1] if len(segments) > 1 else ""
        return table.get(first, table[None])

    def find(self, method: str, raw_path: str, query: dict[str, list[str]]) -> Route | None:
        for route in self.candidates(method, raw_path):
            if route.match(raw_path, query) is not None:
                return route
        return None

    def methods_matching(self, raw_path: str, query: dict[str, list[str]]) -> list[str]:
        """Other methods whose templates fit this path (for a 405-style answer)."""
        return [method for method in self._table if self.find(method, raw_path, query) is not None]


def _by_specificity(routes: list[Route]) -> list[Route]:
    return sorted(routes, key=lambda route: route.specificity, reverse=True)


_TABLES: dict[tuple[str, str, int], RouteTable] = {}
_TABLES_LOCK = threading.Lock()


def route_table(service: ServiceModel) -> RouteTable:
    key = (service.service_name, service.api_version, len(service.operation_names))
    table = _TABLES.get(key)
    if table is None:
        with _TABLES_LOCK:
            table = _TABLES.get(key)
            if table is None:
                table = _TABLES[key] = RouteTable(service)
    return table


# --- timestamps --------------------------------------------------------------------------------
def to_datetime(value: Any) -> dt.datetime:
    """A tz-aware UTC datetime from a datetime (naive means UTC), epoch seconds or a date string."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    if isinstance(value, bool):
        raise ValueError("a boolean is not a timestamp")
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    if isinstance(value, str):
        return parse_timestamp(value)
    raise ValueError(f"not a timestamp: {value!r}")


def parse_timestamp(text: str) -> dt.datetime:
    """Any of the three wire forms (epoch seconds, ISO 8601, RFC 822), whatever the model declares:
    SDKs differ in which one they send in some places."""
    text = text.strip()
    try:
        return dt.datetime.fromtimestamp(float(text), dt.UTC)
    except ValueError:
        pass
    if not text:
        raise ValueError("empty timestamp")
    parsed = dt.datetime.fromisoformat(text) if text[0].isdigit() else email.utils.parsedate_to_datetime(text)
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def format_timestamp(value: Any, fmt: str) -> str | int | float:
    moment = to_datetime(value)
    fmt = fmt.lower()
    if fmt == "rfc822":
        return email.utils.format_datetime(moment, usegmt=True)
    if fmt == "iso8601":
        if moment.microsecond:
            return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    whole = int(moment.replace(microsecond=0).timestamp())
    return whole + moment.microsecond / 1_000_000 if moment.microsecond else whole


def timestamp_format(shape: Shape, default: str) -> str:
    return str(shape.serialization.get("timestampFormat") or default)


# --- scalars in URI labels, query strings and headers -----------------------------------------
def text_to_value(shape: Shape, text: str) -> Any:
    """A label, query or header string as the shape's Python value. Raises ValueError."""
    kind = shape.type_name
    if kind == "string":
        return text
    if kind in ("integer", "long"):
        return int(text.strip())
    if kind in ("float", "double"):
        return float(text.strip())
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError(f"not a boolean: {text!r}")
        return lowered == "true"
    if kind == "timestamp":
        return parse_timestamp(text)
    if kind == "blob":
        return base64.b64decode(text, validate=True)
    raise ValueError(f"a {kind} cannot be read from text")


def value_to_text(shape: Shape, value: Any, *, timestamp_default: str = "iso8601") -> str:
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return str(format_timestamp(value, timestamp_format(shape, timestamp_default)))
    if kind in ("float", "double"):
        number = float(value)
        if math.isnan(number):
            return "NaN"
        if math.isinf(number):
            return "Infinity" if number > 0 else "-Infinity"
        return repr(number)
    if kind == "blob":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode("ascii")
    return str(value)


def is_json_value(shape: Shape) -> bool:
    return shape.type_name == "string" and bool(shape.serialization.get("jsonvalue"))


def header_to_value(shape: Shape, text: str) -> Any:
    """A header string as the member's value (timestamps default to RFC 822 in headers)."""
    if shape.type_name == "list":
        items = split_header_list(text, shape.member)
        return [header_to_value(shape.member, item) for item in items]
    if is_json_value(shape):
        return json.loads(base64.b64decode(text, validate=True).decode("utf-8"))
    return text_to_value(shape, text)


def value_to_header(shape: Shape, value: Any) -> str:
    if shape.type_name == "list":
        parts = [value_to_header(shape.member, item) for item in value if item is not None]
        if shape.member.type_name == "string":
            parts = [_quote_list_item(part) for part in parts]
        return ",".join(parts)
    if is_json_value(shape):
        return base64.b64encode(json.dumps(value, separators=(",", ":")).encode("utf-8")).decode("ascii")
    return value_to_text(shape, value, timestamp_default="rfc822")


def _quote_list_item(text: str) -> str:
    if '"' in text or "," in text:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def split_header_list(text: str, member: Shape) -> list[str]:
    """Comma-separated items (RFC 7230), honouring quoted strings. RFC 822 dates carry a comma of
    their own ("Mon, 02 Jan 2006 ..."), so for those every second comma separates items."""
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    if member.type_name == "timestamp" and timestamp_format(member, "rfc822").lower() == "rfc822":
        items = [f"{items[i]}, {items[i + 1]}" if i + 1 < len(items) else items[i] for i in range(0, len(items), 2)]
    return [item for item in items if item]


# --- event streams: the framing is protocols/eventstream.py's (event_header, event_message) ----
