"""Subscription filter policies: checked when set (Subscribe, SetSubscriptionAttributes) with AWS's
messages, compiled once per policy text, and matched against each published message.

A policy is a JSON object. Each key names a message attribute (scope MessageAttributes, the
default) or a property of the JSON message body (scope MessageBody, where objects nest). A key's
value is an array of conditions, any of which may match (OR); every key must match (AND):

    "value"                          exact string          {"prefix": "ab"}      {"suffix": "yz"}
    12.5                             exact number          {"equals-ignore-case": "Red"}
    true / false / null              exact literal         {"exists": true|false}
    {"numeric": [">", 0, "<=", 5]}   numeric range         {"cidr": "10.0.0.0/24"}   IP address in a block
    {"anything-but": "x" | 5 | ["x", "y"] | [1, 2] | {"prefix": "ab"}}

and "$or": [{...}, {...}] (two or more sub-policies) at any level: one of them must match too.

Limits (AWS's, as the SNS Developer Guide's message-filtering pages give them): at most 5 keys
(scope MessageAttributes: every key of each combination; MessageBody: the top-level keys), at most
150 combinations of values (the product of the sizes of the arrays, summed over the alternatives
"$or" makes), at most 256 KB, and numbers between -1e9 and 1e9 compared to five decimal places.

Values: a String attribute is one string; a Number attribute one number; a String.Array attribute
the elements of its JSON array (strings, numbers, true, false, null); Binary attributes are never
compared. A body property that is an array is its elements, arrays of objects flatten into their
properties. A condition matches when any value matches it, except anything-but, which matches
when the property exists and none of its values is excluded.
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from services.sns.exceptions import InvalidParameterException

SCOPE_ATTRIBUTES = "MessageAttributes"
SCOPE_BODY = "MessageBody"
SCOPES = (SCOPE_ATTRIBUTES, SCOPE_BODY)
MAX_KEYS = 5
MAX_COMBINATIONS = 150
MAX_POLICY_BYTES = 256 * 1024
NUMBER_LIMIT = 1_000_000_000
OPERATORS = ("prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "cidr")
RESERVED = frozenset(OPERATORS)
_RANGE_LOWER = (">", ">=")
_RANGE_UPPER = ("<", "<=")
_MISSING = object()


def _invalid(reason: str) -> InvalidParameterException:
    return InvalidParameterException(f"Invalid parameter: FilterPolicy: {reason}")


# --- conditions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One element of a key's array. `test(value)` is asked per value; anything-but and exists
    are decided over all of the property's values (`decide`)."""

    kind: str
    operand: Any = None

    def decide(self, values: list[Any], present: bool) -> bool:
        if self.kind == "exists":
            return present is bool(self.operand)
        if self.kind == "anything-but":
            return present and bool(values) and not any(_excluded(self.operand, value) for value in values)
        return any(self.test(value) for value in values)

    def test(self, value: Any) -> bool:
        kind, operand = self.kind, self.operand
        if kind == "string":
            return isinstance(value, str) and value == operand
        if kind == "number":
            return _is_number(value) and _same_number(value, operand)
        if kind == "literal":
            return value is operand if operand is not None else value is None
        if kind == "prefix":
            return isinstance(value, str) and value.startswith(operand)
        if kind == "suffix":
            return isinstance(value, str) and value.endswith(operand)
        if kind == "equals-ignore-case":
            return isinstance(value, str) and value.casefold() == operand
        if kind == "numeric":
            return _is_number(value) and _in_range(float(value), operand)
        if kind == "cidr":
            return isinstance(value, str) and _in_network(value, operand)
        return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _same_number(left: Any, right: float) -> bool:
    return round(float(left), 5) == round(right, 5)


def _in_range(value: float, bounds: tuple[tuple[str, float], ...]) -> bool:
    number = round(value, 5)
    for operator, limit in bounds:
        limit = round(limit, 5)
        if (
            (operator == "=" and number != limit)
            or (operator == ">" and not number > limit)
            or (operator == ">=" and not number >= limit)
            or (operator == "<" and not number < limit)
            or (operator == "<=" and not number <= limit)
        ):
            return False
    return True


def _in_network(value: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    return address.version == network.version and address in network


def _excluded(operand: tuple[str, Any], value: Any) -> bool:
    kind, excluded = operand
    if kind == "prefix":
        return isinstance(value, str) and value.startswith(excluded)
    if kind == "suffix":
        return isinstance(value, str) and value.endswith(excluded)
    if kind == "equals-ignore-case":
        return isinstance(value, str) and value.casefold() in excluded
    for item in excluded:
        if isinstance(item, str) and isinstance(value, str) and item == value:
            return True
        if isinstance(item, float) and _is_number(value) and _same_number(value, item):
            return True
    return False


# --- checking and compiling ----------------------------------------------------------------------


@dataclass(frozen=True)
class Compiled:
    scope: str
    # Alternatives ("$or" expanded): each a list of (path, conditions); one alternative must hold.
    alternatives: tuple[tuple[tuple[tuple[str, ...], tuple[Condition, ...]], ...], ...]

    def matches(self, *, attributes: Mapping[str, Mapping[str, Any]], body: str) -> bool:
        if not self.alternatives:
            return True
        if self.scope == SCOPE_BODY:
            document = _body_document(body)
            if document is _MISSING:
                return False
            lookup = _body_lookup(document)
        else:
            lookup = _attribute_lookup(attributes)
        for alternative in self.alternatives:
            if all(
                any(condition.decide(*lookup(path)) for condition in conditions) for path, conditions in alternative
            ):
                return True
        return False


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError
    number = float(value)
    if math.isnan(number) or math.isinf(number) or not -NUMBER_LIMIT <= number <= NUMBER_LIMIT:
        raise _invalid("Numeric values must be between -1.0E9 and 1.0E9 inclusive")
    return number


def _string_operand(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _invalid(f"{name} match pattern must be a string")
    return value


def _numeric(expression: Any) -> tuple[tuple[str, float], ...]:
    if not isinstance(expression, list):
        raise _invalid("Value of numeric must be an array.")
    if not expression:
        raise _invalid("Invalid member in numeric match: ]")
    if len(expression) % 2:
        raise _invalid("Value of numeric must have an even number of elements")
    pairs = []
    for index in range(0, len(expression), 2):
        operator, value = expression[index], expression[index + 1]
        if operator not in ("=", *_RANGE_LOWER, *_RANGE_UPPER):
            raise _invalid(f"Unrecognized numeric range operator: {operator}")
        try:
            number = _number(value)
        except TypeError:
            raise _invalid(f"Value of {operator} must be numeric") from None
        pairs.append((str(operator), number))
    if pairs[0][0] == "=":
        if len(pairs) > 1:
            raise _invalid("Too many elements in numeric expression")
        return tuple(pairs)
    if len(pairs) > 2:
        raise _invalid("Too many elements in numeric expression")
    if len(pairs) == 2:
        (first, low), (second, high) = pairs
        if first not in _RANGE_LOWER or second not in _RANGE_UPPER:
            raise _invalid(f"Bad numeric range operator: {second}")
        if not low < high:
            raise _invalid("Bottom must be less than top")
    return tuple(pairs)


def _anything_but(value: Any) -> tuple[str, Any]:
    if isinstance(value, dict):
        if len(value) != 1:
            raise _invalid("Value of anything-but must be an array or single string/number value.")
        ((name, operand),) = value.items()
        if name == "prefix":
            operand = _string_operand("prefix", operand)
            if not operand:
                raise _invalid("Null prefix not allowed")
            return ("prefix", operand)
        if name in ("suffix", "equals-ignore-case"):
            raise _invalid(f"Unsupported anything-but pattern: {name}")
        raise _invalid(f"Unsupported anything-but pattern: {name}")
    items = value if isinstance(value, list) else [value]
    if not items:
        raise _invalid("Empty arrays are not allowed")
    excluded: list[Any] = []
    for item in items:
        if isinstance(item, str):
            excluded.append(item)
        elif isinstance(item, bool) or item is None or isinstance(item, dict | list):
            raise _invalid("Inside anything but list, start|null|boolean is not supported.")
        elif isinstance(item, int | float):
            excluded.append(_number(item))
        else:
            raise _invalid("Value of anything-but must be an array or single string/number value.")
    return ("values", tuple(excluded))


def _condition(item: Any) -> Condition:
    if isinstance(item, str):
        return Condition("string", item)
    if isinstance(item, bool) or item is None:
        return Condition("literal", item)
    if isinstance(item, int | float):
        return Condition("number", _number(item))
    if isinstance(item, list):
        raise _invalid("Match value must be String, number, true, false, or null")
    assert isinstance(item, dict)
    if len(item) != 1:
        raise _invalid("Only one key allowed in match expression" if item else "Empty objects are not allowed")
    ((name, operand),) = item.items()
    if name not in OPERATORS:
        raise _invalid(f"Unrecognized match type {name}")
    if name in ("prefix", "suffix"):
        text = _string_operand(name, operand)
        if not text:
            raise _invalid(f"Null {name} not allowed")
        return Condition(name, text)
    if name == "equals-ignore-case":
        return Condition(name, _string_operand(name, operand).casefold())
    if name == "exists":
        if not isinstance(operand, bool):
            raise _invalid("exists match pattern must be either true or false.")
        return Condition(name, operand)
    if name == "numeric":
        return Condition(name, _numeric(operand))
    if name == "cidr":
        text = _string_operand("cidr", operand)
        if "/" not in text:
            raise _invalid("Malformed CIDR, one '/' required")
        try:
            network = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            raise _invalid(f"Nonstandard IP address: {text}") from None
        return Condition(name, network)
    operand = _anything_but(operand)
    if operand[0] == "prefix":
        return Condition(name, operand)
    return Condition(name, operand)


def _is_or(value: Any) -> bool:
    """AWS reads "$or" as the operator only for an array of at least two objects whose keys are no
    match keyword; otherwise "$or" is an ordinary key."""
    return (
        isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(item, dict) for item in value)
        and not any(RESERVED & set(item) for item in value)
    )


Rule = list[tuple[tuple[str, ...], tuple[Condition, ...]]]


def _rules(policy: dict[str, Any], *, scope: str, prefix: tuple[str, ...]) -> list[Rule]:
    """The alternatives a policy object stands for: lists of (path, conditions)."""
    alternatives: list[Rule] = [[]]
    for key, value in policy.items():
        if key == "$or" and _is_or(value):
            branches: list[Rule] = []
            for branch in value:
                if not branch:
                    raise _invalid("Empty objects are not allowed")
                branches.extend(_rules(branch, scope=scope, prefix=prefix))
            alternatives = [left + right for left in alternatives for right in branches]
            continue
        path = (*prefix, key)
        if isinstance(value, dict):
            if scope == SCOPE_ATTRIBUTES:
                raise InvalidParameterException(
                    "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"
                )
            if not value:
                raise _invalid("Empty objects are not allowed")
            nested = _rules(value, scope=scope, prefix=path)
            alternatives = [left + right for left in alternatives for right in nested]
            continue
        if not isinstance(value, list):
            raise _invalid(f'"{key}" must be an object or an array')
        if not value:
            raise _invalid("Empty arrays are not allowed")
        conditions = tuple(_condition(item) for item in value)
        alternatives = [[*alternative, (path, conditions)] for alternative in alternatives]
    return alternatives


def parse_policy(text: str) -> dict[str, Any]:
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise _invalid(f"Filter policy must be at most {MAX_POLICY_BYTES} bytes")
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except ValueError as problem:
        raise _invalid(f"failed to parse JSON. {problem}") from None
    if not isinstance(document, dict):
        raise _invalid("Filter policy must be a JSON object")
    return document


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Unrecognized token '{name}'")


def check_policy(text: str, *, scope: str) -> Compiled:
    """The compiled policy, or InvalidParameter with AWS's reason when it breaks a rule or limit."""
    return _compile(text, scope)


@lru_cache(maxsize=4096)
def _compile(text: str, scope: str) -> Compiled:
    document = parse_policy(text)
    if not document:
        return Compiled(scope, ())
    alternatives = _rules(document, scope=scope, prefix=())
    combinations = 0
    for alternative in alternatives:
        keys = {path[0] for path, _ in alternative} if scope == SCOPE_BODY else {path for path, _ in alternative}
        if len(keys) > MAX_KEYS:
            raise _invalid(f"Filter policy can not have more than {MAX_KEYS} keys")
        product = 1
        for _, conditions in alternative:
            product *= len(conditions)
        combinations += product
    if combinations > MAX_COMBINATIONS:
        raise _invalid("Filter policy is too complex")
    return Compiled(scope, tuple(tuple(alternative) for alternative in alternatives))


# --- the message's values --------------------------------------------------------------------------


Lookup = Any  # Callable[[tuple[str, ...]], tuple[list[Any], bool]]


def _attribute_values(attribute: Mapping[str, Any]) -> list[Any]:
    data_type = str(attribute.get("DataType", ""))
    if data_type.startswith("Binary"):
        return []
    text = attribute.get("StringValue")
    if text is None:
        return []
    if data_type == "String.Array":
        try:
            items = json.loads(text)
        except ValueError:
            return []
        if not isinstance(items, list):
            return []
        return [item for item in items if not isinstance(item, dict | list)]
    if data_type.startswith("Number"):
        try:
            return [float(Decimal(str(text).strip()))]
        except (InvalidOperation, ValueError):
            return []
    return [str(text)]


def _attribute_lookup(attributes: Mapping[str, Mapping[str, Any]]) -> Lookup:
    def lookup(path: tuple[str, ...]) -> tuple[list[Any], bool]:
        attribute = attributes.get(path[0])
        if attribute is None:
            return [], False
        return _attribute_values(attribute), True

    return lookup


def _body_document(body: str) -> Any:
    try:
        document = json.loads(body)
    except (TypeError, ValueError):
        return _MISSING
    return document if isinstance(document, dict) else _MISSING


def _leaves(value: Any, path: tuple[str, ...]) -> Iterator[Any]:
    """The values at `path` below `value`: arrays are their elements, arrays of objects flatten."""
    if isinstance(value, list):
        for item in value:
            yield from _leaves(item, path)
        return
    if not path:
        if not isinstance(value, dict):
            yield value
        return
    if isinstance(value, dict) and path[0] in value:
        yield from _leaves(value[path[0]], path[1:])


def _body_lookup(document: dict[str, Any]) -> Lookup:
    def lookup(path: tuple[str, ...]) -> tuple[list[Any], bool]:
        values = list(_leaves(document, path))
        return values, bool(values)

    return lookup


def matches(policy: Compiled | None, *, attributes: Mapping[str, Mapping[str, Any]], body: str) -> bool:
    return policy is None or policy.matches(attributes=attributes, body=body)
