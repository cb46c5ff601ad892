"""The small matching language of lab checks: does a value (a node's field, an attribute, a call's
parameter) satisfy what the bundle expects?

    "orders"                      equal (numbers and numeric strings compare as numbers, booleans
                                  and "true"/"false" as booleans: SQS attributes are strings)
    {"maxReceiveCount": 3}        a dict: every key present and matching (a JSON string such as
                                  SQS's RedrivePolicy is parsed first)
    ["a", "b"]                    a list: the same items, in any order
    {"$gte": 2}                   an operator: $eq $ne $gt $gte $lt $lte $in $contains $matches
                                  (regular expression, searched) $exists $json $any $all $not $length

A dict whose keys all start with "$" is an operator dict; several operators must all hold.
"""

from __future__ import annotations

import json
import re
from typing import Any

OPERATORS = frozenset(
    {
        "$eq",
        "$ne",
        "$gt",
        "$gte",
        "$lt",
        "$lte",
        "$in",
        "$contains",
        "$matches",
        "$exists",
        "$json",
        "$any",
        "$all",
        "$not",
        "$length",
    }
)
MISSING = object()


class MatcherError(ValueError):
    """A matcher the language does not have (found when a bundle is loaded)."""


def is_operator_dict(expected: Any) -> bool:
    return isinstance(expected, dict) and bool(expected) and all(str(key).startswith("$") for key in expected)


def validate(expected: Any, where: str = "") -> None:
    """Raise MatcherError naming the place of the first thing that is not a matcher."""
    if isinstance(expected, dict):
        if is_operator_dict(expected):
            for operator, operand in expected.items():
                if operator not in OPERATORS:
                    raise MatcherError(f"{where}: unknown operator {operator} (known: {', '.join(sorted(OPERATORS))})")
                if operator in ("$any", "$all"):
                    if not isinstance(operand, list):
                        raise MatcherError(f"{where}: {operator} takes a list of matchers")
                    for index, item in enumerate(operand):
                        validate(item, f"{where}.{operator}[{index}]")
                elif operator in ("$not", "$json", "$length", "$contains"):
                    validate(operand, f"{where}.{operator}")
                elif operator == "$in" and not isinstance(operand, list):
                    raise MatcherError(f"{where}: $in takes a list")
                elif operator == "$matches":
                    try:
                        re.compile(str(operand))
                    except re.error as problem:
                        raise MatcherError(f"{where}: $matches: {problem}") from None
            return
        for key, value in expected.items():
            validate(value, f"{where}.{key}" if where else str(key))
    elif isinstance(expected, list):
        for index, item in enumerate(expected):
            validate(item, f"{where}[{index}]")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _parsed(value: Any) -> Any:
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return str(actual).lower() == str(expected).lower()
    left, right = _number(actual), _number(expected)
    if left is not None and right is not None and not (isinstance(actual, str) and isinstance(expected, str)):
        return left == right
    return bool(actual == expected)


def _compare(actual: Any, operand: Any, operator: str) -> bool:
    left, right = _number(actual), _number(operand)
    if left is None or right is None:
        return False
    return {"$gt": left > right, "$gte": left >= right, "$lt": left < right, "$lte": left <= right}[operator]


def _operator(actual: Any, operator: str, operand: Any) -> bool:
    if operator == "$exists":
        return (actual is not MISSING and actual is not None) == bool(operand)
    if operator == "$not":
        return not matches(actual, operand)
    if operator == "$any":
        return any(matches(actual, item) for item in operand)
    if operator == "$all":
        return all(matches(actual, item) for item in operand)
    if actual is MISSING:
        return operator == "$ne"
    if operator == "$eq":
        return matches(actual, operand)
    if operator == "$ne":
        return not matches(actual, operand)
    if operator in ("$gt", "$gte", "$lt", "$lte"):
        return _compare(actual, operand, operator)
    if operator == "$in":
        return any(_equal(actual, item) for item in operand)
    if operator == "$contains":
        value = _parsed(actual)
        if isinstance(value, list | tuple):
            return any(matches(item, operand) for item in value)
        if isinstance(value, dict):
            return any(matches(item, operand) for item in value.values())
        return isinstance(value, str) and str(operand) in value
    if operator == "$matches":
        return isinstance(actual, str | int | float) and re.search(str(operand), str(actual)) is not None
    if operator == "$json":
        return matches(_parsed(actual), operand)
    if operator == "$length":
        return hasattr(actual, "__len__") and matches(len(actual), operand)
    raise MatcherError(f"unknown operator {operator}")


def matches(actual: Any, expected: Any) -> bool:
    """Does `actual` satisfy `expected`? (MISSING stands for an absent key.)"""
    if is_operator_dict(expected):
        return all(_operator(actual, operator, operand) for operator, operand in expected.items())
    if isinstance(expected, dict):
        value = _parsed(actual)
        if not isinstance(value, dict):
            return False
        return all(matches(value.get(key, MISSING), item) for key, item in expected.items())
    if actual is MISSING:
        return False
    if isinstance(expected, list):
        value = _parsed(actual)
        if not isinstance(value, list) or len(value) != len(expected):
            return False
        remaining = list(value)
        for item in expected:
            found = next((index for index, candidate in enumerate(remaining) if matches(candidate, item)), None)
            if found is None:
                return False
            remaining.pop(found)
        return True
    return _equal(actual, expected)
