"""The part of JQ 1.6 that Firehose's MetadataExtraction processor is documented with: a query
that builds an object of partition keys from a JSON record,

    {customer_id: .customer_id, device: .type.device, year: .event_timestamp | strftime("%Y")}

Each value is a path (`.a.b`, `."quoted key"`, `.a["b"]`, `.a[0]`) optionally piped through
`strftime("<format>")` (an epoch time in seconds, as AWS's own examples use it) or `tostring`.
No jq library is in the lock; a query beyond this subset is answered NotImplemented, naming what
is built, rather than evaluated wrongly.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from playground.gateway.errors import NotEmulated
from services.firehose.exceptions import InvalidArgumentException

_KEY = re.compile(r'\s*(?:([A-Za-z_][A-Za-z0-9_]*)|"((?:[^"\\]|\\.)*)")\s*:\s*')
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING = r'"((?:[^"\\]|\\.)*)"'
_STEP = re.compile(rf"\.(?:([A-Za-z_][A-Za-z0-9_]*)|{_STRING})|\[\s*(?:{_STRING}|(-?\d+))\s*\]")
_FILTER = re.compile(rf"\s*\|\s*(?:strftime\(\s*{_STRING}\s*\)|(tostring))\s*")
SUPPORTED = (
    'an object of keys, each a path (.a.b, ."key", .a["b"], .a[0]) optionally piped through strftime("...") or tostring'
)


class QueryFailed(Exception):
    """A record the query cannot make partition keys of (the message goes in the error object)."""


@dataclass(frozen=True)
class Value:
    path: tuple[str | int, ...]
    filters: tuple[tuple[str, str], ...]  # ("strftime", format) or ("tostring", "")


Query = dict[str, Value]


def _unsupported(query: str) -> NotEmulated:
    return NotEmulated(
        f"The MetadataExtractionQuery {query!r} uses JQ beyond what the playground evaluates ({SUPPORTED})."
    )


def _unquote(text: str) -> str:
    return str(json.loads(f'"{text}"'))


def _value(query: str, text: str, at: int) -> tuple[Value, int]:
    """A value starting at `at`: its path and filters, and where it ends (at , or })."""
    while at < len(text) and text[at].isspace():
        at += 1
    if at >= len(text) or text[at] != ".":
        raise _unsupported(query)
    path: list[str | int] = []
    if not _STEP.match(text, at):
        at += 1  # `.` alone (the whole record), or the dot before a bracket: `.["a"]`
    while True:
        step = _STEP.match(text, at)
        if step is None:
            break
        name, quoted, bracket_quoted, index = step.groups()
        if name is not None:
            path.append(name)
        elif quoted is not None:
            path.append(_unquote(quoted))
        elif bracket_quoted is not None:
            path.append(_unquote(bracket_quoted))
        else:
            path.append(int(index))
        at = step.end()
    filters: list[tuple[str, str]] = []
    while True:
        piped = _FILTER.match(text, at)
        if piped is None:
            break
        fmt, tostring = piped.groups()
        filters.append(("tostring", "") if tostring else ("strftime", _unquote(fmt)))
        at = piped.end()
    while at < len(text) and text[at].isspace():
        at += 1
    if at >= len(text) or text[at] not in ",}":
        raise _unsupported(query)
    return Value(path=tuple(path), filters=tuple(filters)), at


def parse(query: str) -> Query:
    """The query's keys and values; InvalidArgumentException for an empty one, NotImplemented
    for one outside the subset."""
    text = query.strip()
    if not text:
        raise InvalidArgumentException("MetadataExtractionQuery must not be empty.")
    if not (text.startswith("{") and text.endswith("}")):
        raise _unsupported(query)
    parsed: Query = {}
    at = 1
    if text[1:-1].strip() == "":
        raise _unsupported(query)
    while at < len(text) - 1:
        key = _KEY.match(text, at)
        if key is None:
            raise _unsupported(query)
        name = key.group(1) if key.group(1) is not None else _unquote(key.group(2))
        value, at = _value(query, text, key.end())
        parsed[name] = value
        at += 1  # past , or }
    return parsed


def _step(current: Any, step: str | int) -> Any:
    if current is None:
        return None
    if isinstance(step, int):
        if not isinstance(current, list):
            raise QueryFailed(f"Cannot index {_type(current)} with number")
        return current[step] if -len(current) <= step < len(current) else None
    if not isinstance(current, dict):
        raise QueryFailed(f'Cannot index {_type(current)} with "{step}"')
    return current.get(step)


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "null"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _filtered(value: Any, name: str, argument: str) -> Any:
    if name == "tostring":
        return _text(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise QueryFailed("strftime/1 requires parsed datetime inputs")
    return dt.datetime.fromtimestamp(value, tz=dt.UTC).strftime(argument)


def evaluate(query: Query, data: bytes) -> dict[str, str]:
    """The partition keys of one record; QueryFailed when it is not JSON or a key has no value."""
    try:
        record = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise QueryFailed("Non JSON record provided") from None
    keys: dict[str, str] = {}
    for name, value in query.items():
        current: Any = record
        for step in value.path:
            current = _step(current, step)
        for filter_name, argument in value.filters:
            current = _filtered(current, filter_name, argument)
        if current is None:
            raise QueryFailed(f"The partition key {name} evaluated to null.")
        if isinstance(current, dict | list):
            raise QueryFailed(f"The partition key {name} evaluated to an {_type(current)}, not a scalar.")
        keys[name] = _text(current)
    return keys
