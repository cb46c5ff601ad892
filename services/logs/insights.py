"""Logs Insights: StartQuery runs the query at once over the chosen groups and time range (a query
of the sandbox's own events is quick), GetQueryResults answers Complete with its rows,
StopQuery answers false for a query that already finished, as AWS does.

The query language's common commands, parsed with pyparsing and run in Python over the events:

    fields f1, f2, ...                  the fields each row shows (display picks them at the end)
    filter <condition>                  = != < > <= >= on fields, numbers and "strings",
                                        `like "text"` / `like /regex/`, `=~ /regex/`, `in [...]`,
                                        and / or / not, parentheses
    parse <field> "a * b *" as x, y     glob-style extraction; or parse <field> /(?<x>...)/
    stats count(*), count(f), sum(f), avg(f), min(f), max(f), pct(f, N) [as name], ... [by f, bin(5m)]
    sort f [asc|desc], ...              limit N                 display f1, f2, ...

An event's fields are @timestamp, @message, @logStream, @log, @ingestionTime, @ptr and, for a
JSON message, its members flattened with dots (`user.id`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyparsing as pp

from playground.sandboxes.models import Sandbox

from .exceptions import (
    InvalidParameterException,
    LimitExceededException,
    MalformedQueryException,
    ResourceNotFoundException,
)
from .groups import epoch_ms
from .ingest import scan
from .models import LogGroup, Query

MAX_GROUPS = 50
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
Row = dict[str, Any]

# --- grammar ----------------------------------------------------------------------------------------

_FIELD = pp.Regex(r"@?[A-Za-z_][A-Za-z0-9_.\-]*|`[^`]+`").set_parse_action(lambda t: t[0].strip("`"))
_NUMBER = pp.Regex(r"-?\d+(\.\d+)?").set_parse_action(lambda t: float(t[0]))
_STRING = (pp.QuotedString('"', esc_char="\\") | pp.QuotedString("'", esc_char="\\")).set_parse_action(
    lambda t: ("str", t[0])
)
_REGEX = pp.Regex(r"/(?:[^/\\]|\\.)+/").set_parse_action(lambda t: ("re", t[0][1:-1]))
_LIST = pp.Group(pp.Suppress("[") + pp.DelimitedList(_NUMBER | _STRING) + pp.Suppress("]"))
_COMPARE = pp.one_of("= != <= >= < > =~")
_LIKE = pp.CaselessKeyword("like")
_IN = pp.CaselessKeyword("in")
_NOT = pp.CaselessKeyword("not")
_AND = pp.CaselessKeyword("and")
_OR = pp.CaselessKeyword("or")
_OPERAND = _NUMBER | _STRING | _REGEX | _FIELD
_CONDITION = pp.Group(
    _FIELD("left")
    + (
        _COMPARE("op") + _OPERAND("right")
        | _LIKE("op") + (_STRING | _REGEX)("right")
        | pp.Opt(_NOT)("negated") + _IN("op") + _LIST("right")
    )
)
_BOOLEAN = pp.infix_notation(
    _CONDITION, [(_NOT, 1, pp.OpAssoc.RIGHT), (_AND, 2, pp.OpAssoc.LEFT), (_OR, 2, pp.OpAssoc.LEFT)]
)
_FIELD_LIST = pp.Group(pp.DelimitedList(pp.Group(_FIELD("name") + pp.Opt(pp.CaselessKeyword("as") + _FIELD("alias")))))
_AGGREGATE = pp.Group(
    pp.one_of("count sum avg min max pct", caseless=True)("function")
    + pp.Suppress("(")
    + pp.Opt(pp.Literal("*") | _FIELD)("argument")
    + pp.Opt(pp.Suppress(",") + _NUMBER("percentile"))
    + pp.Suppress(")")
    + pp.Opt(pp.CaselessKeyword("as") + _FIELD("alias"))
)
_BIN = pp.Group(pp.CaselessKeyword("bin") + pp.Suppress("(") + pp.Regex(r"\d+[smhd]")("period") + pp.Suppress(")"))
_GROUP_KEY = pp.Group(_BIN("bin") | _FIELD("field"))
_COMMANDS = {
    "fields": pp.CaselessKeyword("fields")("command") + _FIELD_LIST("fields"),
    "display": pp.CaselessKeyword("display")("command") + _FIELD_LIST("fields"),
    "filter": pp.CaselessKeyword("filter")("command") + _BOOLEAN("condition"),
    "stats": pp.CaselessKeyword("stats")("command")
    + pp.Group(pp.DelimitedList(_AGGREGATE))("aggregates")
    + pp.Opt(pp.CaselessKeyword("by") + pp.Group(pp.DelimitedList(_GROUP_KEY))("by")),
    "sort": pp.CaselessKeyword("sort")("command")
    + pp.Group(pp.DelimitedList(pp.Group(_FIELD("field") + pp.Opt(pp.one_of("asc desc", caseless=True))("order"))))(
        "keys"
    ),
    "limit": pp.CaselessKeyword("limit")("command") + pp.Word(pp.nums)("count"),
    "parse": pp.CaselessKeyword("parse")("command")
    + _FIELD("source")
    + (_REGEX("pattern") | _STRING("pattern") + pp.CaselessKeyword("as") + pp.Group(pp.DelimitedList(_FIELD))("names")),
}
_COMMAND = pp.MatchFirst([grammar for grammar in _COMMANDS.values()]) + pp.StringEnd()


def _split_commands(text: str) -> list[tuple[str, int]]:
    """The query's commands (split on | outside strings and regexes), with their offsets."""
    parts: list[tuple[str, int]] = []
    start, quote = 0, ""
    for index, char in enumerate(text):
        if quote:
            if char == quote and text[index - 1] != "\\":
                quote = ""
        elif char in "\"'/`":
            quote = char
        elif char == "|":
            parts.append((text[start:index], start))
            start = index + 1
    parts.append((text[start:], start))
    return [(part, offset) for part, offset in parts if part.strip()]


def _malformed(position: int, symbol: str) -> MalformedQueryException:
    message = f"unexpected symbol found {symbol} at line 1 and position {position}"
    return MalformedQueryException(
        message,
        fields={"queryCompileError": {"location": {"start": position, "end": position + 1}, "message": message}},
    )


def parse_query(text: str) -> list[pp.ParseResults]:
    commands = []
    for part, offset in _split_commands(text):
        try:
            commands.append(_COMMAND.parse_string(part.strip(), parse_all=True))
        except pp.ParseBaseException as problem:
            lead = len(part) - len(part.lstrip())
            position = offset + lead + problem.loc
            symbol = part.strip()[problem.loc : problem.loc + 1] or "<end>"
            raise _malformed(position, symbol) from None
    if not commands:
        raise _malformed(0, "<end>")
    return commands


# --- evaluation ---------------------------------------------------------------------------------------


def _flatten(value: Any, prefix: str, into: Row) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}{key}.", into)
    else:
        into[prefix[:-1]] = value


def _event_row(event: Any, group_name: str, account: str) -> Row:
    row: Row = {
        "@timestamp": event.timestamp,
        "@message": event.message,
        "@logStream": event.stream_name,
        "@log": f"{account}:{group_name}",
        "@ingestionTime": event.ingested,
        "@ptr": f"{event.pk:x}",
    }
    text = event.message.strip()
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        if isinstance(document, dict):
            _flatten(document, "", row)
    return row


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _operand(token: Any, row: Row) -> Any:
    if isinstance(token, tuple):
        return token[1]
    if isinstance(token, float):
        return token
    return row.get(token)


def _compare(left: Any, op: str, right: Any) -> bool:
    if left is None:
        return False
    if op in ("<", ">", "<=", ">="):
        a, b = _number(left), _number(right)
        if a is None or b is None:
            return False
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
    a, b = _number(left), _number(right)
    equal = a == b if a is not None and b is not None else str(left) == str(right)
    return equal if op == "=" else not equal


Predicate = Callable[[Row], bool]


def _predicate(node: Any) -> Predicate:
    if isinstance(node, pp.ParseResults) and "op" in node:
        left, op = node["left"], str(node["op"]).lower()
        right = node["right"]
        if op in ("like", "=~"):
            kind, text = right if isinstance(right, tuple) else ("str", str(right))
            compiled = re.compile(text if kind == "re" else re.escape(text))
            return lambda row: row.get(left) is not None and compiled.search(str(row[left])) is not None
        if op == "in":
            options = [item[1] if isinstance(item, tuple) else item for item in right]
            negated = bool(node.get("negated"))
            return lambda row: any(_compare(row.get(left), "=", option) for option in options) != negated
        return lambda row: _compare(row.get(left), op, _operand(right, row))
    parts = list(node)
    if len(parts) == 2 and str(parts[0]).lower() == "not":
        inner = _predicate(parts[1])
        return lambda row: not inner(row)
    if len(parts) == 1:
        return _predicate(parts[0])
    operands = [_predicate(part) for part in parts[0::2]]
    if str(parts[1]).lower() == "and":
        return lambda row: all(test(row) for test in operands)
    return lambda row: any(test(row) for test in operands)


def _glob_parser(pattern: str, names: list[str]) -> re.Pattern[str]:
    pieces = pattern.split("*")
    if len(pieces) - 1 != len(names):
        raise MalformedQueryException("The number of fields in parse does not match the number of * in the pattern.")
    regex = "".join(
        re.escape(piece) + (f"(?P<g{index}>.*?)" if index < len(names) else "") for index, piece in enumerate(pieces)
    )
    return re.compile(regex, re.DOTALL)


_PERIODS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


@dataclass
class _Aggregate:
    function: str
    argument: str
    percentile: float | None
    name: str
    values: dict[tuple[Any, ...], list[Any]] = field(default_factory=dict)


def _aggregate_name(node: pp.ParseResults) -> str:
    if "alias" in node:
        return str(node["alias"])
    function = str(node["function"]).lower()
    argument = str(node.get("argument", "*")) if "argument" in node else "*"
    if "percentile" in node:
        return f"{function}({argument},{int(node['percentile'])})"
    return f"{function}({argument})"


def _finish(aggregate: _Aggregate, values: list[Any]) -> Any:
    if aggregate.function == "count":
        return len(values)
    numbers = sorted(number for value in values if (number := _number(value)) is not None)
    if not numbers:
        return None
    if aggregate.function == "sum":
        return sum(numbers)
    if aggregate.function == "avg":
        return sum(numbers) / len(numbers)
    if aggregate.function == "min":
        return numbers[0]
    if aggregate.function == "max":
        return numbers[-1]
    rank = max(math.ceil((aggregate.percentile or 50) / 100 * len(numbers)) - 1, 0)
    return numbers[rank]


def _binner(size: int) -> Callable[[Row], Any]:
    return lambda row: row["@timestamp"] // size * size


def _reader(name: str) -> Callable[[Row], Any]:
    return lambda row: row.get(name)


def _sorter(name: str) -> Callable[[Row], tuple[int, Any]]:
    return lambda row: _sort_key(row.get(name))


def _stats(rows: list[Row], command: pp.ParseResults) -> tuple[list[Row], list[str]]:
    aggregates = [
        _Aggregate(
            str(node["function"]).lower(),
            str(node["argument"]) if "argument" in node else "*",
            node.get("percentile"),
            _aggregate_name(node),
        )
        for node in command["aggregates"]
    ]
    keys: list[tuple[str, Callable[[Row], Any]]] = []
    for key in command.get("by", []):
        if "bin" in key:
            period = key["bin"]["period"]
            size = int(period[:-1]) * _PERIODS[period[-1]]
            keys.append((f"bin({period})", _binner(size)))
        else:
            name = str(key["field"])
            keys.append((name, _reader(name)))
    groups: dict[tuple[Any, ...], list[Row]] = {}
    for row in rows:
        groups.setdefault(tuple(read(row) for _, read in keys), []).append(row)
    output = []
    for group_key, members in groups.items():
        result: Row = {name: value for (name, _), value in zip(keys, group_key, strict=True)}
        for aggregate in aggregates:
            if aggregate.argument == "*":
                values: list[Any] = [1] * len(members)
            else:
                values = [row[aggregate.argument] for row in members if row.get(aggregate.argument) is not None]
            result[aggregate.name] = _finish(aggregate, values)
        output.append(result)
    columns = [name for name, _ in keys] + [aggregate.name for aggregate in aggregates]
    return output, columns


def _sort_key(value: Any) -> tuple[int, Any]:
    number = _number(value)
    if number is not None:
        return (0, number)
    return (1, "" if value is None else str(value))


def run_query(commands: list[pp.ParseResults], rows: list[Row], *, limit: int) -> tuple[list[Row], list[str] | None]:
    """The rows the query answers and the columns to show (None: every field of each row)."""
    columns: list[str] | None = None
    rows.sort(key=lambda row: row["@timestamp"], reverse=True)  # AWS's order unless a sort says otherwise
    count: int | None = None
    for command in commands:
        name = str(command["command"]).lower()
        if name == "filter":
            test = _predicate(command["condition"][0])
            rows = [row for row in rows if test(row)]
        elif name in ("fields", "display"):
            chosen = []
            for item in command["fields"]:
                source = str(item["name"])
                alias = str(item["alias"]) if "alias" in item else source
                if alias != source:
                    for row in rows:
                        row[alias] = row.get(source)
                chosen.append(alias)
            columns = chosen
        elif name == "parse":
            source = str(command["source"])
            kind, pattern = next(item for item in command if isinstance(item, tuple))
            if kind == "re":
                compiled = re.compile(re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", pattern))
                names = list(compiled.groupindex)
            else:
                names = [str(item) for item in command["names"]]
                compiled = _glob_parser(pattern, names)
            for row in rows:
                found = compiled.search(str(row.get(source, "")))
                if found is None:
                    continue
                if kind == "re":
                    row.update(found.groupdict())
                else:
                    row.update({item: found.group(f"g{index}") for index, item in enumerate(names)})
        elif name == "stats":
            rows, columns = _stats(rows, command)
        elif name == "sort":
            for key in reversed(list(command["keys"])):
                descending = str(key.get("order", "asc")).lower() == "desc"
                field_name = str(key["field"])
                rows.sort(key=_sorter(field_name), reverse=descending)
        elif name == "limit":
            count = int(command["count"])
            rows = rows[:count]
    return rows[: min(count or limit, limit)], columns


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and value > 10**11:
        return value.__str__()
    return str(value)


def _result(row: Row, columns: list[str] | None, *, timestamps: set[str]) -> list[dict[str, str]]:
    names = columns if columns is not None else [name for name in row if name != "@ptr"]
    cells = []
    for name in names:
        value = row.get(name)
        if value is None:
            continue
        if name in timestamps and isinstance(value, int | float):
            value = dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        cells.append({"field": name, "value": _text(value)})
    if "@ptr" in row:
        cells.append({"field": "@ptr", "value": row["@ptr"]})
    return cells


def query_start(
    *,
    sandbox: Sandbox,
    region: str,
    group_names: list[str],
    start: int,
    end: int,
    query_string: str,
    limit: int | None,
    now: dt.datetime,
) -> Query:
    if not group_names:
        raise InvalidParameterException("Either logGroupName, logGroupNames or logGroupIdentifiers must be specified.")
    if len(group_names) > MAX_GROUPS:
        raise LimitExceededException(f"A query can search at most {MAX_GROUPS} log groups.")
    if end < start:
        raise InvalidParameterException("End time should not be before the start time.")
    commands = parse_query(query_string)
    groups = []
    for name in group_names:
        group = LogGroup.objects.filter(sandbox=sandbox, region=region, name=name).first()
        if group is None:
            raise ResourceNotFoundException(f"Log group '{name}' does not exist for account ID '{sandbox.account_id}'")
        groups.append(group)
    rows: list[Row] = []
    scanned_bytes = 0
    for group in groups:
        for event in scan(group, stream_ids=None, start=start * 1000, end=end * 1000 + 999, after=None, now=now):
            scanned_bytes += len(event.message.encode())
            rows.append(_event_row(event, group.name, sandbox.account_id))
    scanned = len(rows)
    results, columns = run_query(commands, rows, limit=min(limit or DEFAULT_LIMIT, MAX_LIMIT))
    has_stats = any(str(command["command"]).lower() == "stats" for command in commands)
    rendered = [_result(row, columns, timestamps={"@timestamp", "@ingestionTime"}) for row in results]
    if has_stats:
        rendered = [[cell for cell in row if cell["field"] != "@ptr"] for row in rendered]
    return Query.objects.create(
        sandbox=sandbox,
        region=region,
        query_id=str(uuid.uuid4()),
        query_string=query_string,
        group_names=group_names,
        start_time=start,
        end_time=end,
        created=epoch_ms(now),
        status="Complete",
        results=rendered,
        statistics={
            "recordsMatched": float(len(results) if not has_stats else scanned),
            "recordsScanned": float(scanned),
            "bytesScanned": float(scanned_bytes),
        },
    )


def _find(sandbox: Sandbox, query_id: str) -> Query:
    query = Query.objects.filter(sandbox=sandbox, query_id=query_id).first()
    if query is None:
        raise ResourceNotFoundException("The specified query does not exist.")
    return query


def query_results(*, sandbox: Sandbox, query_id: str) -> dict[str, Any]:
    query = _find(sandbox, query_id)
    return {"results": query.results, "statistics": query.statistics, "status": query.status}


def query_stop(*, sandbox: Sandbox, query_id: str) -> bool:
    query = _find(sandbox, query_id)
    if query.status in ("Scheduled", "Running"):
        query.status = "Cancelled"
        query.save(update_fields=["status"])
        return True
    return False


def queries_describe(*, sandbox: Sandbox, region: str, group_name: str | None, status: str | None) -> dict[str, Any]:
    rows = Query.objects.filter(sandbox=sandbox, region=region).order_by("-created", "-id")
    if status:
        rows = rows.filter(status=status)
    listed = [query for query in rows[:1000] if not group_name or group_name in query.group_names]
    return {
        "queries": [
            {
                "queryId": query.query_id,
                "queryString": query.query_string,
                "status": query.status,
                "createTime": query.created,
                "logGroupName": query.group_names[0] if query.group_names else "",
            }
            for query in listed
        ]
    }
