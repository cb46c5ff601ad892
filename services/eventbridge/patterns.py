"""EventBridge's event pattern language: compile a pattern (JSON text) once, match events with it.

A pattern is a JSON object whose fields mirror the event's. A field's value is either an object
(a nested field) or an array of matchers, any one of which may match. Every field of the pattern
must match (AND); `"$or": [{...}, {...}]` forks the pattern into alternatives. The matchers:

    "text", 12, true, false, null    exact values; numbers compare as numbers (300 = 3.0e2);
    {"prefix": "x"}                  also {"prefix": {"equals-ignore-case": "x"}}
    {"suffix": "x"}                  also {"suffix": {"equals-ignore-case": "x"}}
    {"equals-ignore-case": "x"}
    {"wildcard": "a*b"}              * matches any run of characters; \\* is a literal star
    {"anything-but": v}              v: a value, a list of strings or of numbers, or
                                     {"prefix": x}, {"suffix": x}, {"equals-ignore-case": x|[..]},
                                     {"wildcard": x|[..]}
    {"numeric": [">", 0, "<=", 5]}   with =, <, <=, >, >=
    {"exists": true|false}           a leaf field is present or absent
    {"cidr": "10.0.0.0/24"}          IPv4 or IPv6 network

Arrays in the event: a field matches when any element matches. A pattern of nested fields against
an array of objects is matched element by element, so sibling fields are taken from the same element.

Errors are worded as AWS's InvalidEventPatternException words them: "Event pattern is not valid.
Reason: <reason>" (AWS adds the JSON parser's position; this does not).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class PatternError(ValueError):
    """A pattern AWS would refuse; str() is AWS's reason."""


@dataclass(frozen=True)
class Leaf:
    """The matchers of one field: any of them may match."""

    tests: tuple[Callable[[Any], bool], ...]
    exists: bool | None  # {"exists": ...} among them: True/False; None when none is
    exact: frozenset[str] | None = None  # when every matcher is a plain string: those strings

    def on_missing(self) -> bool:
        return self.exists is False


@dataclass(frozen=True)
class Node:
    """A pattern object: its fields (a Leaf or a nested Node each) and its $or alternatives."""

    fields: tuple[tuple[str, Leaf | Node], ...]
    alternatives: tuple[tuple[Node, ...], ...]  # each "$or" gives one tuple of alternatives


def _fail(reason: str) -> PatternError:
    return PatternError(reason)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _network(text: str) -> IpNetwork | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _address(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _wildcard(text: str) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    previous_star = False
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in "*\\":
            parts.append(re.escape(text[index + 1]))
            index += 2
            previous_star = False
            continue
        if char == "*":
            if previous_star:
                raise _fail(f"Consecutive wildcard characters at pos {index}")
            parts.append(".*")
            previous_star = True
        else:
            parts.append(re.escape(char))
            previous_star = False
        index += 1
    return re.compile("".join(parts), re.DOTALL)


def _strings(value: Any, operator: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) for item in items):
        raise _fail(f"{operator} match pattern must be a string")
    return items


def _exact(value: Any) -> Callable[[Any], bool]:
    if _is_number(value):
        number = float(value)
        return lambda found: _is_number(found) and float(found) == number
    if isinstance(value, str):
        return lambda found: isinstance(found, str) and found == value
    if value is None:
        return lambda found: found is None
    return lambda found: isinstance(found, bool) and found is value


def _affix(value: Any, operator: str) -> Callable[[str], bool]:
    """prefix / suffix: a string, or {"equals-ignore-case": string}."""
    ignore_case = False
    if isinstance(value, dict):
        if list(value) != ["equals-ignore-case"]:
            raise _fail(f"Unsupported {operator} pattern: {next(iter(value), '')}")
        value, ignore_case = value["equals-ignore-case"], True
    if not isinstance(value, str):
        raise _fail(f"{operator} match pattern must be a string")
    wanted = value.casefold() if ignore_case else value

    def test(found: str) -> bool:
        text = found.casefold() if ignore_case else found
        return text.startswith(wanted) if operator == "prefix" else text.endswith(wanted)

    return test


def _numeric(terms: Any) -> Callable[[Any], bool]:
    if not isinstance(terms, list):
        raise _fail("Value of numeric must be an array.")
    if not terms or not isinstance(terms[0], str):
        raise _fail(f"Invalid member in numeric match: {json.dumps(terms[0]) if terms else ']'}")
    checks: list[tuple[Callable[[float, float], bool], float]] = []
    index = 0
    comparisons: dict[str, Callable[[float, float], bool]] = {
        "=": lambda a, b: a == b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    lower_seen = upper_seen = False
    while index < len(terms):
        operator = terms[index]
        if not isinstance(operator, str):
            raise _fail(f"Bad value in numeric range: {json.dumps(operator)}")
        if operator not in comparisons:
            raise _fail(
                f"Unrecognized numeric range operator: {operator}"
                if index == 0
                else f"Bad numeric range operator: {operator}"
            )
        if index + 1 >= len(terms) or not _is_number(terms[index + 1]):
            raise _fail(f"Value of {'equals' if operator == '=' else operator} must be numeric")
        bound = float(terms[index + 1])
        if operator == "=" and len(terms) > 2:
            raise _fail("Too many elements in numeric expression")
        if operator in (">", ">="):
            if index > 0 or lower_seen:
                raise _fail(f"Bad numeric range operator: {operator}")
            lower_seen = True
        elif operator in ("<", "<="):
            if upper_seen:
                raise _fail("Too many terms in numeric range expression")
            upper_seen = True
        compare = comparisons[operator]
        checks.append((compare, bound))
        index += 2
    if len(terms) > 4:
        raise _fail("Too many terms in numeric range expression")
    if len(checks) == 2:
        low, high = float(terms[1]), float(terms[3])
        if low >= high:
            raise _fail("Bottom must be less than top")
    return lambda found: _is_number(found) and all(compare(float(found), bound) for compare, bound in checks)


def _anything_but(value: Any) -> Callable[[Any], bool]:
    if isinstance(value, dict):
        if len(value) != 1:
            raise _fail("Only one key allowed in match expression")
        [(operator, operand)] = value.items()
        if operator in ("prefix", "suffix"):
            texts = _strings(operand, "prefix/suffix")
            if any(text == "" for text in texts):
                raise _fail("Null prefix/suffix not allowed")
            if operator == "prefix":
                return lambda found: isinstance(found, str) and not any(found.startswith(t) for t in texts)
            return lambda found: isinstance(found, str) and not any(found.endswith(t) for t in texts)
        if operator == "equals-ignore-case":
            texts = _strings(
                operand,
                "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not"
                " supported. equals-ignore-case",
            )
            folded = {text.casefold() for text in texts}
            return lambda found: isinstance(found, str) and found.casefold() not in folded
        if operator == "wildcard":
            regexes = [_wildcard(text) for text in _strings(operand, "wildcard")]
            return lambda found: isinstance(found, str) and not any(r.fullmatch(found) for r in regexes)
        raise _fail(f"Unsupported anything-but pattern: {operator}")
    items = value if isinstance(value, list) else [value]
    if not isinstance(value, (list, str)) and not _is_number(value):
        raise _fail("Value of anything-but must be an array or single string/number value.")
    if any(not isinstance(item, str) and not _is_number(item) for item in items):
        raise _fail("Inside anything but list, start|null|boolean is not supported.")
    numbers = [item for item in items if _is_number(item)]
    if isinstance(value, list) and (not items or (numbers and len(numbers) != len(items))):
        raise _fail("Inside anything but list, either all values are number or string, mixed type is not supported")
    if numbers:
        excluded_numbers = {float(item) for item in numbers}
        return lambda found: not (_is_number(found) and float(found) in excluded_numbers)
    excluded = set(items)
    return lambda found: not (isinstance(found, str) and found in excluded)


def _operator(expression: dict[str, Any]) -> Callable[[Any], bool] | bool:
    """One {"operator": operand} matcher; a bool for exists."""
    if not expression:
        raise _fail("Match expression name not found")
    if len(expression) > 1:
        raise _fail("Only one key allowed in match expression")
    [(name, operand)] = expression.items()
    if name == "exists":
        if not isinstance(operand, bool):
            raise _fail("exists match pattern must be either true or false.")
        return operand
    if name in ("prefix", "suffix"):
        test = _affix(operand, name)
        return lambda found: isinstance(found, str) and test(found)
    if name == "equals-ignore-case":
        if not isinstance(operand, str):
            raise _fail("equals-ignore-case match pattern must be a string")
        folded = operand.casefold()
        return lambda found: isinstance(found, str) and found.casefold() == folded
    if name == "wildcard":
        if not isinstance(operand, str):
            raise _fail("wildcard match pattern must be a string")
        regex = _wildcard(operand)
        return lambda found: isinstance(found, str) and regex.fullmatch(found) is not None
    if name == "anything-but":
        return _anything_but(operand)
    if name == "numeric":
        return _numeric(operand)
    if name == "cidr":
        if not isinstance(operand, str):
            raise _fail("cidr match pattern must be a string")
        network = _network(operand)
        if network is None or "/" not in operand:
            raise _fail(f"Nonstandard IP address: {operand}")

        def inside(found: Any) -> bool:
            address = _address(found)
            return address is not None and address.version == network.version and address in network

        return inside
    raise _fail(f"Unrecognized match type {name}")


def _leaf(name: str, values: list[Any]) -> Leaf:
    if not values:
        raise _fail("Empty arrays are not allowed")
    tests: list[Callable[[Any], bool]] = []
    exists: bool | None = None
    for value in values:
        if isinstance(value, dict):
            made = _operator(value)
            if isinstance(made, bool):
                exists = made
            else:
                tests.append(made)
        elif isinstance(value, list):
            raise _fail("Match value must be String, number, true, false, or null")
        else:
            tests.append(_exact(value))
    strings = frozenset(value for value in values if isinstance(value, str))
    return Leaf(tuple(tests), exists, strings if len(strings) == len(values) else None)


def _node(document: dict[str, Any], *, inside_or: bool = False) -> Node:
    if not document:
        raise _fail("Empty objects are not allowed")
    fields: list[tuple[str, Leaf | Node]] = []
    alternatives: list[tuple[Node, ...]] = []
    for name, value in document.items():
        if name == "$or":
            if not isinstance(value, list):
                raise _fail("It must be an Array followed with $or.")
            if any(not isinstance(item, dict) for item in value):
                raise _fail("Only JSON object is allowed in array of $or relationship.")
            if len(value) < 2:
                raise _fail("There must have at least 2 Objects in $or relationship.")
            alternatives.append(tuple(_node(item, inside_or=True) for item in value))
        elif isinstance(value, dict):
            fields.append((name, _node(value, inside_or=inside_or)))
        elif isinstance(value, list):
            fields.append((name, _leaf(name, value)))
        else:
            raise _fail(f'"{name}" must be an object or an array')
    return Node(tuple(fields), tuple(alternatives))


_MISSING = object()


def _leaf_matches(leaf: Leaf, value: Any) -> bool:
    if value is _MISSING:
        return leaf.on_missing()
    if isinstance(value, dict):
        return leaf.on_missing()  # an object is no leaf: its own name has no value
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not value:
        return leaf.on_missing()
    if leaf.exists is True:
        return True
    return any(test(item) for item in values for test in leaf.tests)


def _node_matches(node: Node, document: Any) -> bool:
    if isinstance(document, list):
        return any(_node_matches(node, item) for item in document)
    if not isinstance(document, dict):
        document = {}
    for name, child in node.fields:
        value = document.get(name, _MISSING)
        if isinstance(child, Leaf):
            if not _leaf_matches(child, value):
                return False
        elif value is _MISSING or not isinstance(value, (dict, list)):
            if not _absent_ok(child):
                return False
        elif not _node_matches(child, value):
            return False
    return all(any(_node_matches(choice, document) for choice in choices) for choices in node.alternatives)


def _absent_ok(node: Node) -> bool:
    """Whether a nested pattern matches a missing object: only when all it asks is absence."""
    leaves_ok = all(child.on_missing() if isinstance(child, Leaf) else _absent_ok(child) for _, child in node.fields)
    return leaves_ok and all(any(_absent_ok(choice) for choice in choices) for choices in node.alternatives)


def _keys(node: Node, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], frozenset[str]]]:
    """The fields every match needs one of a few exact strings in (outside any $or)."""
    found: list[tuple[tuple[str, ...], frozenset[str]]] = []
    for name, child in node.fields:
        if isinstance(child, Leaf):
            if child.exact is not None:
                found.append(((*path, name), child.exact))
        else:
            found.extend(_keys(child, (*path, name)))
    return found


@dataclass(frozen=True)
class Pattern:
    root: Node

    def matches(self, event: dict[str, Any]) -> bool:
        return _node_matches(self.root, event)

    def key(self) -> tuple[tuple[str, ...], frozenset[str]] | None:
        """The deepest field this pattern needs an exact string in, to index it by."""
        keys = _keys(self.root)
        return max(keys, key=lambda item: len(item[0])) if keys else None


def _strings_at(event: Any, path: tuple[str, ...]) -> list[str]:
    values = [event]
    for name in path:
        following: list[Any] = []
        for value in values:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and name in item:
                    following.append(item[name])
        values = following
    flat = [item for value in values for item in (value if isinstance(value, list) else [value])]
    return [item for item in flat if isinstance(item, str)]


class PatternIndex:
    """Many patterns (id, text) for matching events against all of them: each pattern is filed
    under an exact string its events must carry (Pattern.key), so an event is fully matched only
    against the patterns filed under its own values there and the few that have no such key."""

    def __init__(self, patterns: tuple[tuple[int, str], ...]) -> None:
        self.compiled = {pattern_id: compile_pattern(text) for pattern_id, text in patterns}
        self.order = {pattern_id: position for position, (pattern_id, _) in enumerate(patterns)}
        self.unkeyed: list[int] = []
        self.keyed: dict[tuple[str, ...], dict[str, list[int]]] = {}
        for pattern_id, pattern in self.compiled.items():
            key = pattern.key()
            if key is None:
                self.unkeyed.append(pattern_id)
                continue
            path, values = key
            by_value = self.keyed.setdefault(path, {})
            for value in values:
                by_value.setdefault(value, []).append(pattern_id)

    def matching(self, event: dict[str, Any]) -> list[int]:
        """The ids of the patterns the event matches, in the order given."""
        candidates = set(self.unkeyed)
        for path, by_value in self.keyed.items():
            for value in _strings_at(event, path):
                candidates.update(by_value.get(value, ()))
        return sorted(
            (pattern_id for pattern_id in candidates if self.compiled[pattern_id].matches(event)),
            key=self.order.__getitem__,
        )


@lru_cache(maxsize=256)
def pattern_index(patterns: tuple[tuple[int, str], ...]) -> PatternIndex:
    """The index of these patterns, cached: a bus's rules change far less often than events arrive."""
    return PatternIndex(patterns)


@lru_cache(maxsize=4096)
def compile_pattern(text: str) -> Pattern:
    """The compiled pattern, or PatternError with AWS's reason. Cached by text: every PutEvents
    matches the same rules' patterns again."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as problem:
        raise _fail(f"Unrecognized token: {problem.msg}") from None
    if not isinstance(document, dict):
        raise _fail("Filter is not an object")
    return Pattern(_node(document))


def pattern_error(text: str) -> str | None:
    """AWS's reason the pattern is refused, or None when it is valid."""
    try:
        compile_pattern(text)
    except PatternError as problem:
        return str(problem)
    return None
