"""Metric math (GetMetricData's and alarms' Expression), parsed with lark and evaluated over the
queries' time series.

Values are numbers (scalars), time series ({period start: value}) and arrays of time series
(METRICS(), [m1, m2]). Supported: + - * / ^ and unary minus; comparisons < <= > >= == != and
AND / OR / NOT (1 or 0); SUM, AVG, MIN, MAX, STDDEV (over an array: per timestamp; over one
series: a scalar), ABS, CEIL, FLOOR, RATE, DIFF, PERIOD, FILL (a number, REPEAT or LINEAR), IF,
METRICS() and METRICS("filter"), ANOMALY_DETECTION_BAND.

LIMITATIONS: SEARCH, INSIGHT_RULE_METRIC, SLICE, SORT, LAST, TIME_SERIES, the string functions and
the other functions are not supported (InvalidParameterValue naming the function).
ANOMALY_DETECTION_BAND(m, k) gives an array of two series, the band's lower and upper edges
(anomaly.py).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import statistics as pystats
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

GRAMMAR = r"""
?start: disj
?disj: conj | disj _OR conj -> or_
?conj: neg | conj _AND neg -> and_
?neg: comp | _NOT neg -> not_
?comp: sum | sum COMPOP sum -> compare
?sum: product | sum ADDOP product -> arith
?product: power | product MULOP power -> arith
?power: unary | unary "^" power -> pow_
?unary: atom | "-" unary -> minus
?atom: NUMBER -> number
     | ESCAPED_STRING -> string
     | NAME "(" [disj ("," disj)*] ")" -> call
     | "[" disj ("," disj)* "]" -> array
     | NAME -> ref
     | "(" disj ")"
_OR.2: /OR\b/ | "||"
_AND.2: /AND\b/ | "&&"
_NOT.2: /NOT\b/ | "!"
COMPOP: "<=" | ">=" | "==" | "!=" | "<" | ">"
ADDOP: "+" | "-"
MULOP: "*" | "/"
NAME: /[A-Za-z_][A-Za-z0-9_]*/
%import common.NUMBER
%import common.ESCAPED_STRING
%import common.WS
%ignore WS
"""

PARSER = Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)

Series = dict[dt.datetime, float]


class ExpressionError(ValueError):
    """An expression that does not parse or cannot be evaluated; the caller words AWS's error."""


@dataclass
class Context:
    """What an expression is evaluated against: the other queries' results by id, the grid of
    period starts of the request (for FILL), and the period."""

    results: dict[str, Any]
    metric_ids: list[str]
    grid: list[dt.datetime]
    period: int
    # band(query id, width) -> [lower, upper]: ANOMALY_DETECTION_BAND of a MetricStat query.
    band: Callable[[str, float], list[Series]] | None = None


def parse(expression: str) -> Tree[Token]:
    try:
        return PARSER.parse(expression)
    except LarkError as error:
        raise ExpressionError(f"Syntax error in expression: {expression}") from error


def references(tree: Tree[Token] | Token) -> set[str]:
    """The query ids an expression names (and METRICS() as "*")."""
    if isinstance(tree, Token):
        return set()
    found: set[str] = set()
    if tree.data == "ref":
        found.add(str(tree.children[0]))
    if tree.data == "call" and str(tree.children[0]).upper() == "METRICS":
        found.add("*")
    for child in tree.children:
        found |= references(child)
    return found


def evaluate(tree: Tree[Token] | Token, ctx: Context) -> Any:
    if isinstance(tree, Token):
        raise ExpressionError(f"Unexpected {tree}")
    kind = tree.data
    kids = tree.children
    if kind == "number":
        return float(str(kids[0]))
    if kind == "string":
        return str(kids[0])[1:-1]
    if kind == "ref":
        name = str(kids[0])
        if name not in ctx.results:
            if name in ("REPEAT", "LINEAR"):
                return name
            raise ExpressionError(f"Unrecognized metric id or function: {name}")
        return ctx.results[name]
    if kind == "array":
        return [evaluate(kid, ctx) for kid in kids]
    if kind == "minus":
        return _pointwise(lambda a: -a, evaluate(kids[0], ctx))
    if kind == "arith":
        op = str(kids[1])
        return _binary(OPERATORS[op], evaluate(kids[0], ctx), evaluate(kids[2], ctx))
    if kind == "pow_":
        return _binary(_power, evaluate(kids[0], ctx), evaluate(kids[1], ctx))
    if kind == "compare":
        op = str(kids[1])
        return _binary(lambda a, b: float(COMPARISONS[op](a, b)), evaluate(kids[0], ctx), evaluate(kids[2], ctx))
    if kind == "and_":
        return _binary(lambda a, b: float(bool(a) and bool(b)), evaluate(kids[0], ctx), evaluate(kids[1], ctx))
    if kind == "or_":
        return _binary(lambda a, b: float(bool(a) or bool(b)), evaluate(kids[0], ctx), evaluate(kids[1], ctx))
    if kind == "not_":
        return _pointwise(lambda a: float(not a), evaluate(kids[0], ctx))
    if kind == "call":
        return _call(str(kids[0]).upper(), kids[1:], ctx)
    raise ExpressionError(f"Unsupported expression: {kind}")


def _power(a: float, b: float) -> float:
    try:
        return float(a**b)
    except (OverflowError, ZeroDivisionError):
        return math.nan


def _divide(a: float, b: float) -> float:
    return a / b if b else math.nan


OPERATORS: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": _divide,
}  # fmt: skip
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
}  # fmt: skip


def _pointwise(fn: Callable[[float], float], value: Any) -> Any:
    if isinstance(value, list):
        return [_pointwise(fn, item) for item in value]
    if isinstance(value, dict):
        return {at: fn(v) for at, v in value.items()}
    return fn(value)


def _binary(fn: Callable[[float, float], float], left: Any, right: Any) -> Any:
    if isinstance(left, list):
        if isinstance(right, list):
            if len(left) != len(right):
                raise ExpressionError("Arrays of different sizes")
            return [_binary(fn, a, b) for a, b in zip(left, right, strict=True)]
        return [_binary(fn, item, right) for item in left]
    if isinstance(right, list):
        return [_binary(fn, left, item) for item in right]
    if isinstance(left, dict) and isinstance(right, dict):
        return {at: fn(left[at], right[at]) for at in left if at in right}
    if isinstance(left, dict):
        return {at: fn(v, right) for at, v in left.items()}
    if isinstance(right, dict):
        return {at: fn(left, v) for at, v in right.items()}
    return fn(left, right)


def _reduce(name: str, value: Any) -> Any:
    reducers: dict[str, Callable[[list[float]], float]] = {
        "SUM": sum, "AVG": pystats.fmean, "MIN": min, "MAX": max,
        "STDDEV": lambda vs: pystats.pstdev(vs) if len(vs) > 1 else 0.0,
    }  # fmt: skip
    reduce = reducers[name]
    if isinstance(value, list):
        stamps = sorted({at for series in value for at in series})
        return {at: reduce([s[at] for s in value if at in s]) for at in stamps}
    if isinstance(value, dict):
        return reduce(list(value.values())) if value else math.nan
    return value


def _call(name: str, args: list[Any], ctx: Context) -> Any:
    if name == "METRICS":
        wanted = evaluate(args[0], ctx) if args else ""
        return [ctx.results[i] for i in ctx.metric_ids if wanted in i]
    if name == "ANOMALY_DETECTION_BAND":
        target = args[0] if args else None
        if not isinstance(target, Tree) or target.data != "ref" or ctx.band is None:
            raise ExpressionError("ANOMALY_DETECTION_BAND takes the id of a metric query")
        width = float(evaluate(args[1], ctx)) if len(args) > 1 else 2.0
        return ctx.band(str(target.children[0]), width)
    values = [evaluate(arg, ctx) for arg in args]
    if name in ("SUM", "AVG", "MIN", "MAX", "STDDEV"):
        _arity(name, values, 1)
        return _reduce(name, values[0])
    if name in ("ABS", "CEIL", "FLOOR"):
        _arity(name, values, 1)
        rounding: dict[str, Callable[[float], float]] = {"ABS": abs, "CEIL": math.ceil, "FLOOR": math.floor}
        fn = rounding[name]
        return _pointwise(lambda a: float(fn(a)), values[0])
    if name == "RATE":
        _arity(name, values, 1)
        return _per_series(values[0], _rate)
    if name == "DIFF":
        _arity(name, values, 1)
        return _per_series(values[0], _diff)
    if name == "PERIOD":
        _arity(name, values, 1)
        return _per_series(values[0], lambda s: {at: float(ctx.period) for at in s})
    if name == "FILL":
        _arity(name, values, 2)
        return _per_series(values[0], lambda s: _fill(s, values[1], ctx.grid))
    if name == "IF":
        if len(values) not in (2, 3):
            raise ExpressionError("IF takes 2 or 3 arguments")
        return _if(values[0], values[1], values[2] if len(values) == 3 else None)
    raise ExpressionError(f"Unsupported function: {name}")


def _arity(name: str, values: list[Any], count: int) -> None:
    if len(values) != count:
        raise ExpressionError(f"{name} takes {count} argument{'s' if count > 1 else ''}")


def _per_series(value: Any, fn: Callable[[Series], Series]) -> Any:
    if isinstance(value, list):
        return [fn(series) for series in value]
    if isinstance(value, dict):
        return fn(value)
    raise ExpressionError("This function takes a time series")


def _rate(series: Series) -> Series:
    stamps = sorted(series)
    return {b: (series[b] - series[a]) / (b - a).total_seconds() for a, b in itertools.pairwise(stamps)}


def _diff(series: Series) -> Series:
    stamps = sorted(series)
    return {b: series[b] - series[a] for a, b in itertools.pairwise(stamps)}


def _fill(series: Series, how: Any, grid: list[dt.datetime]) -> Series:
    filled: Series = {}
    last: float | None = None
    for at in grid:
        if at in series:
            last = series[at]
            filled[at] = last
        elif how == "REPEAT":
            if last is not None:
                filled[at] = last
        elif how == "LINEAR":
            continue
        elif isinstance(how, (int, float)):
            filled[at] = float(how)
        else:
            raise ExpressionError("FILL takes a number, REPEAT or LINEAR")
    if how == "LINEAR":
        known = sorted(series)
        for at in grid:
            if at in series:
                filled[at] = series[at]
                continue
            before = [k for k in known if k < at]
            after = [k for k in known if k > at]
            if before and after:
                a, b = before[-1], after[0]
                share = (at - a).total_seconds() / (b - a).total_seconds()
                filled[at] = series[a] + (series[b] - series[a]) * share
    return dict(sorted(filled.items()))


def _if(condition: Any, then: Any, otherwise: Any) -> Any:
    if not isinstance(condition, dict):
        return then if condition else otherwise

    def pick(value: Any, at: dt.datetime) -> float | None:
        if isinstance(value, dict):
            return value.get(at)
        return value

    result: Series = {}
    for at, test in condition.items():
        chosen = pick(then, at) if test else (pick(otherwise, at) if otherwise is not None else None)
        if chosen is not None:
            result[at] = chosen
    return result
