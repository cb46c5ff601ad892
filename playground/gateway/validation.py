"""Input validation against the operation's input shape, reported the way AWS reports it.

    problems = validate(service, operation, params)
    if problems:
        raise validation_error(protocol.name, problems)

gives, for example, ValidationException "2 validation errors detected: Value null at 'queueUrl'
failed to satisfy constraint: Member must not be null; Value 'x' at 'keySpec' failed to satisfy
constraint: Member must satisfy enum value set: [RSA_2048, ...]".

Checked, recursively: required members, enum values, the min/max length of strings, blobs, lists
and maps, and the min/max value of numbers. Paths are written as AWS writes them: member names
in lowerCamel joined by dots, `entries.1.member.id` for the first element of a list,
`tags.<key>.member` for a map value. A scalar list member or map key/value that breaks its
constraints is reported once, at the collection, with all of its constraints ("Member must
satisfy constraint: [...]", "Map keys must satisfy constraint: [...]"). A sensitive value is not
echoed back ("Value at 'plaintext' failed to satisfy constraint: ..."), as AWS does.

Each input shape is compiled once into a tree of small checking functions (subtrees without a
constraint are dropped), so a request pays only for the values that can be wrong; each node also
has a test that builds nothing (no path, no message), and the reporting check runs only below a
node whose test failed.

LIMITATIONS against real AWS: `pattern` constraints are not checked (the models use Java regular
expressions); AWS's order of several problems is not documented, here it follows the model.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.model import OperationModel, ServiceModel, Shape

from playground.gateway.errors import AwsError, ValidationError, ValidationException

NOT_NULL = "Member must not be null"


@dataclass(frozen=True)
class Problem:
    path: str  # as AWS writes it: "entries.1.member.id"
    message: str  # "Value null at 'entries.1.member.id' failed to satisfy constraint: Member must not be null"
    # What broke, for services that word some problems their own way (SQS: MissingParameter):
    # "required", "enum", "length", "range", or "members" (a list member or map entry).
    kind: str = "required"


Checker = Callable[[Any, str, list[Problem]], None]


def validate(service: ServiceModel, operation: OperationModel, params: dict[str, Any]) -> list[Problem]:
    shape = operation.input_shape
    if shape is None:
        return []
    checker = _checker_for(shape)
    problems: list[Problem] = []
    try:
        if checker is not None and not checker.ok(params):
            checker.check(params, "", problems)
    except RecursionError:  # a recursive shape nested deeper than the reader's frames took it
        return [Problem("", "The request is nested too deeply.", "members")]
    return problems


def validation_error(protocol_name: str, problems: list[Problem]) -> AwsError:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    message = f"{count} validation {noun} detected: " + "; ".join(problem.message for problem in problems)
    if protocol_name in ("query", "ec2"):
        return ValidationError(message)
    if protocol_name == "rest-xml":
        return AwsError(message, code="InvalidArgument", status=400)
    return ValidationException(message)


def problem(value: Any, path: str, constraint: str, *, kind: str = "required", sensitive: bool = False) -> Problem:
    """One problem as AWS words it; a sensitive value is not repeated back ("Value at 'x' ...")."""
    if value is None:
        shown = "Value null"
    elif sensitive:
        shown = "Value"
    else:
        shown = f"Value '{render(value)}'"
    return Problem(path, f"{shown} at '{path}' failed to satisfy constraint: {constraint}", kind)


def render(value: Any) -> str:
    """A value as AWS's (Java) services print it in these messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _render_float(value)
    if isinstance(value, bytes | bytearray):
        return f"java.nio.HeapByteBuffer[pos=0 lim={len(value)} cap={len(value)}]"
    if isinstance(value, list):
        return "[" + ", ".join(render(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{render(key)}={render(item)}" for key, item in value.items()) + "}"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
    return str(value).replace("\x00", "\\u0000")


def _render_float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e7:
        return f"{value:.1f}"
    return repr(value).replace("e+", "E").replace("e-", "E-")


def member_path(name: str) -> str:
    return name[:1].lower() + name[1:]


# --- compiling shapes into checkers -------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    """A shape compiled: `ok(value)` answers, building nothing, whether the value meets every
    constraint below it; `check(value, path, problems)` reports what it breaks, and is only run
    where `ok` said no. A valid request (nearly every one) pays for `ok` alone: on a list of 1,000
    structures, one call per structure and per constrained member, no path written, no problem
    made."""

    check: Checker
    ok: Callable[[Any], bool]


_compiled: dict[Shape, _Node | None] = {}


def _checker_for(shape: Shape) -> _Node | None:
    try:
        return _compiled[shape]
    except KeyError:
        checker = _Compiler().compile(shape)
        _compiled[shape] = checker
        return checker


@dataclass(frozen=True)
class _Constraint:
    test: Callable[[Any], bool]  # True when the value satisfies it
    text: str
    kind: str


class _Compiler:
    """Compiles one input shape; shapes met again (recursive models) reuse their checker."""

    def __init__(self) -> None:
        self._done: dict[str, _Node | None] = {}
        self._pending: dict[str, list[_Node | None]] = {}

    def compile(self, shape: Shape) -> _Node | None:
        kind = shape.type_name
        if kind not in ("structure", "list", "map"):
            return self._scalar(shape)
        key = f"{kind}:{shape.name}"
        if key in self._done:
            return self._done[key]
        if key in self._pending:  # a recursive reference: check through a cell filled in later
            cell = self._pending[key]
            return _Node(
                lambda value, path, problems: cell[0].check(value, path, problems) if cell[0] else None,
                lambda value: cell[0].ok(value) if cell[0] else True,
            )
        self._pending[key] = [None]
        checker = getattr(self, f"_{kind}")(shape)
        self._pending.pop(key)[0] = checker
        self._done[key] = checker
        return checker

    def _structure(self, shape: Shape) -> _Node | None:
        if shape.metadata.get("document"):
            return None
        required = set(shape.required_members)
        members: list[tuple[str, str, bool, _Node | None]] = []
        for name, member in shape.members.items():
            child = self.compile(member)
            if child is not None or name in required:
                members.append((name, member_path(name), name in required, child))
        if not members:
            return None
        tests = [(name, is_required, child.ok if child else None) for name, _, is_required, child in members]

        def ok(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            for name, is_required, child_ok in tests:
                item = value.get(name)
                if item is None:
                    if is_required:
                        return False
                elif child_ok is not None and not child_ok(item):
                    return False
            return True

        def check(value: Any, path: str, problems: list[Problem]) -> None:
            if not isinstance(value, dict):
                return
            for name, segment, is_required, child in members:
                item = value.get(name)
                if item is None:
                    if is_required:
                        where = f"{path}.{segment}" if path else segment
                        problems.append(problem(None, where, NOT_NULL))
                elif child is not None and not child.ok(item):
                    child.check(item, f"{path}.{segment}" if path else segment, problems)

        return _Node(check, ok)

    def _list(self, shape: Shape) -> _Node | None:
        own = _length_constraints(shape)
        own_ok = _all_of(own)
        member = shape.member
        hidden = _sensitive(shape) or _sensitive(member)
        if member.type_name in ("structure", "list", "map"):
            child = self.compile(member)
            collective = None
        else:
            child = None
            collective = _collective(member, "Member must satisfy constraint")
        if not own and child is None and collective is None:
            return None
        member_ok = child.ok if child is not None else collective.test if collective is not None else None

        def ok(value: Any) -> bool:
            if not isinstance(value, list):
                return True
            if own_ok is not None and not own_ok(value):
                return False
            if member_ok is not None:
                for item in value:
                    if item is not None and not member_ok(item):
                        return False
            return True

        def check(value: Any, path: str, problems: list[Problem]) -> None:
            if not isinstance(value, list):
                return
            for constraint in own:
                if not constraint.test(value):
                    problems.append(problem(value, path, constraint.text, kind=constraint.kind, sensitive=hidden))
            if collective is not None and not all(collective.test(item) for item in value if item is not None):
                problems.append(problem(value, path, collective.text, kind=collective.kind, sensitive=hidden))
            if child is not None:
                for index, item in enumerate(value, 1):
                    if item is not None and not child.ok(item):
                        child.check(item, f"{path}.{index}.member", problems)

        return _Node(check, ok)

    def _map(self, shape: Shape) -> _Node | None:
        own = _length_constraints(shape)
        own_ok = _all_of(own)
        keys = _collective(shape.key, "Map keys must satisfy constraint")
        value_shape = shape.value
        hidden = _sensitive(shape) or _sensitive(shape.key) or _sensitive(value_shape)
        if value_shape.type_name in ("structure", "list", "map"):
            child = self.compile(value_shape)
            values = None
        else:
            child = None
            values = _collective(value_shape, "Map value must satisfy constraint")
        if not own and keys is None and child is None and values is None:
            return None
        key_ok = keys.test if keys is not None else None
        value_ok = child.ok if child is not None else values.test if values is not None else None

        def ok(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            if own_ok is not None and not own_ok(value):
                return False
            for key, item in value.items():
                if key_ok is not None and not key_ok(key):
                    return False
                if item is not None and value_ok is not None and not value_ok(item):
                    return False
            return True

        def check(value: Any, path: str, problems: list[Problem]) -> None:
            if not isinstance(value, dict):
                return
            for constraint in own:
                if not constraint.test(value):
                    problems.append(problem(value, path, constraint.text, kind=constraint.kind, sensitive=hidden))
            if keys is not None and not all(keys.test(key) for key in value):
                problems.append(problem(value, path, keys.text, kind=keys.kind, sensitive=hidden))
            if values is not None and not all(values.test(item) for item in value.values() if item is not None):
                problems.append(problem(value, path, values.text, kind=values.kind, sensitive=hidden))
            if child is not None:
                for key, item in value.items():
                    if item is not None and not child.ok(item):
                        child.check(item, f"{path}.{key}.member", problems)

        return _Node(check, ok)

    def _scalar(self, shape: Shape) -> _Node | None:
        constraints = _scalar_constraints(shape)
        if not constraints:
            return None
        hidden = _sensitive(shape)

        def check(value: Any, path: str, problems: list[Problem]) -> None:
            for constraint in constraints:
                if not constraint.test(value):
                    problems.append(problem(value, path, constraint.text, kind=constraint.kind, sensitive=hidden))

        return _Node(check, _scalar_test(shape))


def _all_of(constraints: list[_Constraint]) -> Callable[[Any], bool] | None:
    if not constraints:
        return None
    if len(constraints) == 1:
        return constraints[0].test
    tests = [constraint.test for constraint in constraints]
    return lambda value: all(test(value) for test in tests)


def _scalar_test(shape: Shape) -> Callable[[Any], bool]:
    """All of a scalar's constraints (_scalar_constraints) as one test: a single call for a value,
    where testing them one by one would be a call each."""
    kind = shape.type_name
    metadata = shape.metadata
    if kind in ("string", "blob"):
        high, low = metadata.get("max"), metadata.get("min")
        top = int(high) if high is not None else None
        bottom = int(low) if low else 0
        enum = metadata.get("enum") if kind == "string" else None
        allowed = frozenset(enum) if enum else None
        text = kind == "string"

        def sized_ok(value: Any) -> bool:
            if isinstance(value, str):
                if text and ("\x00" in value or (allowed is not None and value not in allowed)):
                    return False
            elif not isinstance(value, bytes | bytearray | list | dict):
                return True
            size = len(value)
            return size >= bottom and (top is None or size <= top)

        return sized_ok
    if kind in ("integer", "long", "short", "byte", "float", "double"):
        most, least = metadata.get("max"), metadata.get("min")

        def number_ok(value: Any) -> bool:
            if not isinstance(value, int | float) or isinstance(value, bool):
                return True
            return (most is None or value <= most) and (least is None or value >= least)

        return number_ok
    return lambda value: True


def _sensitive(shape: Shape) -> bool:
    return bool(shape.metadata.get("sensitive"))


def _collective(shape: Shape, lead: str) -> _Constraint | None:
    """All of a scalar's constraints as one, the way AWS reports list members and map entries."""
    constraints = _scalar_constraints(shape)
    # AWS lists a member's modeled constraints; the null-character rule is ours, so it is checked
    # but not listed (a list member or map key with U+0000 still fails, naming the others).
    if not constraints:
        return None
    listed = [constraint for constraint in constraints if constraint.kind != "characters"] or constraints
    text = f"{lead}: [" + ", ".join(constraint.text for constraint in listed) + "]"
    return _Constraint(_scalar_test(shape), text, "members")


def _scalar_constraints(shape: Shape) -> list[_Constraint]:
    kind = shape.type_name
    metadata = shape.metadata
    if kind == "string":
        # No AWS string carries U+0000 (and PostgreSQL cannot store one): refuse it as a
        # constraint, so a provider never sees it and never fails on it.
        constraints = [
            _Constraint(
                lambda value: not isinstance(value, str) or "\x00" not in value,
                "Member must not contain the null character (U+0000)",
                "characters",
            )
        ]
        enum = metadata.get("enum")
        if enum:
            allowed = frozenset(enum)
            text = "Member must satisfy enum value set: [" + ", ".join(enum) + "]"
            constraints.append(_Constraint(lambda value: not isinstance(value, str) or value in allowed, text, "enum"))
        return constraints + _length_constraints(shape)
    if kind == "blob":
        return _length_constraints(shape)
    if kind in ("integer", "long", "short", "byte", "float", "double"):
        return _range_constraints(shape)
    return []


def _sized(value: Any) -> bool:
    return isinstance(value, str | bytes | bytearray | list | dict)


def _length_constraints(shape: Shape) -> list[_Constraint]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    constraints = []
    if high is not None:
        top = int(high)
        constraints.append(
            _Constraint(
                lambda value: not _sized(value) or len(value) <= top,
                f"Member must have length less than or equal to {top}",
                "length",
            )
        )
    if low:
        bottom = int(low)
        constraints.append(
            _Constraint(
                lambda value: not _sized(value) or len(value) >= bottom,
                f"Member must have length greater than or equal to {bottom}",
                "length",
            )
        )
    return constraints


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _range_constraints(shape: Shape) -> list[_Constraint]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    floating = shape.type_name in ("float", "double")

    def bound(number: Any) -> str:
        return _render_float(float(number)) if floating else str(int(number))

    constraints = []
    if high is not None:
        constraints.append(
            _Constraint(
                lambda value: not _is_number(value) or value <= high,
                f"Member must have value less than or equal to {bound(high)}",
                "range",
            )
        )
    if low is not None:
        constraints.append(
            _Constraint(
                lambda value: not _is_number(value) or value >= low,
                f"Member must have value greater than or equal to {bound(low)}",
                "range",
            )
        )
    return constraints
