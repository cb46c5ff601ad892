"""Lab bundles: what a lab is made of, read from JSON (or YAML) and checked before anyone runs it.

A bundle is a folder under one of settings.LAB_DIRS holding `lab.json` (or `lab.yaml`), and the
Markdown files its steps name; or a document a lab author PUTs to /api/labs/<id>/.

    {
      "id": "sqs-decouple",                       letters, digits and dashes
      "title": "Decouple with SQS",
      "summary": "Markdown shown before the lab starts",
      "services": ["sqs"],                        the lab is unavailable until these are emulated
      "variables": {"queue": "orders"},           defaults for {{name}} in params and checks
      "hint_cost": 0,                             points a revealed hint costs, by default
      "student_solve": true,                      may students use solve (default true; in a
                                                  classroom its lab settings must allow it too)
      "steps": [
        {
          "id": "create-queue",
          "title": "Create a queue",
          "instructions": "Markdown ..."  or  "instructions_file": "01-create-queue.md",
          "setup": [action, ...],                 run inside the sandbox when the session starts
          "checks": [check, ...],                 declarative assertions, see checks.py
          "solve": [action, ...],                 what the student would do: runs as the student
          "hints": ["Markdown", {"text": "Markdown", "cost": 1}, ...]
                                                  revealed one at a time; a revealed hint takes
                                                  its cost (default: the lab's hint_cost, 0)
                                                  off the step's points
        }
      ]
    }

An action is one of
    {"call": "sqs:CreateQueue", "params": {...}, "region": "...", "save": {"var": "JMESPath into
     the output"}, "ignore_errors": ["QueueAlreadyExists"]}      an AWS call (params as JSON, blobs base64)
    {"find": {"service": "kms", "type": "key", "attributes": {"Description": "demo"}},
     "save": {"key_arn": "id"}}                                  look a resource up (no AWS call)
    {"advance_clock": 45}                                        move the sandbox clock forward
Strings in params and checks may use {{account_id}}, {{region}}, {{sandbox_name}} and the
variables setup and solve actions saved.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jmespath
from botocore.model import OperationNotFoundError
from django.conf import settings

from playground.errors import PlaygroundError
from playground.gateway.registry import provider_for
from playground.gateway.specs import service_model
from playground.labs import matching

LOG = logging.getLogger(__name__)

LAB_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
BUNDLE_FILES = ("lab.json", "lab.yaml", "lab.yml")
CHECK_KINDS = ("resource", "edge", "messages", "call", "event")
MAX_STEPS = 50


class BundleInvalid(PlaygroundError):
    code = "InvalidLabBundle"


class LabNotFound(PlaygroundError):
    code = "LabNotFound"
    status = 404


@dataclass(frozen=True)
class Check:
    id: str
    kind: str
    points: int
    message: str
    spec: dict[str, Any]


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    instructions: str
    setup: tuple[dict[str, Any], ...]
    checks: tuple[Check, ...]
    solve: tuple[dict[str, Any], ...]
    hints: tuple[str, ...]
    hint_costs: tuple[int, ...] = ()  # what revealing each hint costs, in points of this step

    @property
    def max_score(self) -> int:
        return sum(check.points for check in self.checks)

    def hint_penalty(self, revealed: int) -> int:
        """The points the first `revealed` hints cost."""
        return sum(self.hint_costs[: max(0, revealed)])


@dataclass(frozen=True)
class Lab:
    id: str
    title: str
    summary: str
    services: tuple[str, ...]
    variables: dict[str, Any]
    steps: tuple[Step, ...]
    source: str  # "file:<folder>" or "api"
    digest: str
    document: dict[str, Any] = field(repr=False, compare=False, hash=False)
    student_solve: bool = True  # students may use solve (staff always may)

    @property
    def max_score(self) -> int:
        return sum(step.max_score for step in self.steps)

    @property
    def available(self) -> bool:
        """Every service the lab uses is emulated by this server."""
        return all(provider_for(service) is not None for service in self.services)

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise LabNotFound(f"Lab {self.id} has no step {step_id!r}.")


# --- reading and checking a document --------------------------------------------------------------


def _require(document: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = document.get(key)
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise BundleInvalid(f"{where}: `{key}` is required and must be a {kind.__name__}")
    return value


def _only(document: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(document) - allowed)
    if unknown:
        raise BundleInvalid(f"{where}: unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(allowed))})")


def _check_call_name(name: Any, where: str) -> None:
    if not isinstance(name, str) or name.count(":") != 1:
        raise BundleInvalid(f"{where}: `call` is service:Operation, e.g. sqs:CreateQueue")
    service, operation = name.split(":")
    try:
        service_model(service).operation_model(operation)
    except OperationNotFoundError:
        raise BundleInvalid(f"{where}: {service} has no operation {operation}") from None
    except Exception:
        raise BundleInvalid(f"{where}: unknown AWS service {service!r}") from None


def _check_saves(save: Any, where: str) -> None:
    if not isinstance(save, dict):
        raise BundleInvalid(f"{where}: save maps variable names to JMESPath expressions")
    for name, expression in save.items():
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", str(name)):
            raise BundleInvalid(f"{where}: save.{name}: a variable name is letters, digits and _")
        try:
            jmespath.compile(str(expression))
        except jmespath.exceptions.JMESPathError as problem:
            raise BundleInvalid(f"{where}: save.{name}: {problem}") from None


def _check_action(action: Any, where: str) -> dict[str, Any]:
    if not isinstance(action, dict):
        raise BundleInvalid(f"{where}: an action is an object")
    if "find" in action:
        _only(action, {"find", "save"}, where)
        if not isinstance(action["find"], dict) or not isinstance(action.get("save"), dict) or not action["save"]:
            raise BundleInvalid(f"{where}: find takes field matchers, and save names what to keep of the resource")
        try:
            matching.validate(action["find"], f"{where}.find")
        except matching.MatcherError as problem:
            raise BundleInvalid(str(problem)) from None
        _check_saves(action["save"], where)
        return dict(action)
    if "advance_clock" in action:
        _only(action, {"advance_clock"}, where)
        seconds = action["advance_clock"]
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 0 <= seconds <= 31_622_400:
            raise BundleInvalid(f"{where}: advance_clock takes seconds (0 to a year)")
        return dict(action)
    _only(action, {"call", "params", "region", "save", "ignore_errors"}, where)
    _check_call_name(action.get("call"), where)
    if not isinstance(action.get("params", {}), dict):
        raise BundleInvalid(f"{where}: params is an object")
    _check_saves(action.get("save", {}), where)
    ignored = action.get("ignore_errors", [])
    if not isinstance(ignored, list) or not all(isinstance(code, str) for code in ignored):
        raise BundleInvalid(f"{where}: ignore_errors is a list of AWS error codes")
    return dict(action)


_CHECK_FIELDS: dict[str, set[str]] = {
    "resource": {"select", "where", "min", "max"},
    "edge": {"type", "source", "target", "where", "min"},
    "messages": {"queue", "where", "min", "max"},
    "call": {"service", "operation", "params", "success", "min"},
    "event": {"type", "where", "min"},
}
_COMMON_CHECK_FIELDS = {"kind", "id", "points", "message"}


def _check_check(check: Any, where: str, index: int) -> Check:
    if not isinstance(check, dict):
        raise BundleInvalid(f"{where}: a check is an object")
    kind = check.get("kind")
    if kind not in CHECK_KINDS:
        raise BundleInvalid(f"{where}: `kind` is one of {', '.join(CHECK_KINDS)}")
    _only(check, _CHECK_FIELDS[kind] | _COMMON_CHECK_FIELDS, where)
    points = check.get("points", 1)
    if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= 1000:
        raise BundleInvalid(f"{where}: points is a whole number from 0 to 1000")
    for bound in ("min", "max"):
        if bound in check and (not isinstance(check[bound], int) or check[bound] < 0):
            raise BundleInvalid(f"{where}: {bound} is a whole number, at least 0")
    if kind == "call":
        _require(check, "service", str, where)
        _require(check, "operation", str, where)
        _check_call_name(f"{check['service']}:{check['operation']}", where)
    if kind == "event":
        _require(check, "type", str, where)
    if kind == "edge":
        _require(check, "type", str, where)
    for part in ("select", "where", "source", "target", "queue", "params"):
        if part in check:
            if not isinstance(check[part], dict):
                raise BundleInvalid(f"{where}: {part} is an object of field matchers")
            try:
                matching.validate(check[part], f"{where}.{part}")
            except matching.MatcherError as problem:
                raise BundleInvalid(str(problem)) from None
    message = check.get("message") or _default_message(kind, check)
    spec = {key: value for key, value in check.items() if key not in _COMMON_CHECK_FIELDS}
    return Check(id=str(check.get("id") or f"check-{index + 1}"), kind=kind, points=points, message=message, spec=spec)


def _default_message(kind: str, check: dict[str, Any]) -> str:
    if kind == "call":
        return f"No successful {check.get('service')}:{check.get('operation')} call was found yet."
    if kind == "resource":
        return "The resource this step asks for is not there yet (or its settings differ)."
    if kind == "edge":
        return f"The {check.get('type')} link this step asks for is not there yet."
    if kind == "messages":
        return "The queue does not hold the messages this step asks for."
    return "What this step asks for has not happened yet."


def _instructions(step: dict[str, Any], base: Path | None, where: str) -> str:
    if "instructions_file" in step:
        if base is None:
            raise BundleInvalid(f"{where}: instructions_file works for bundles in folders; give `instructions` here")
        name = str(step["instructions_file"])
        path = (base / name).resolve()
        if base.resolve() not in path.parents or not path.is_file():
            raise BundleInvalid(f"{where}: no file {name} in the bundle's folder")
        return path.read_text(encoding="utf-8")
    return str(_require(step, "instructions", str, where))


def _points(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 1000


def _hint(hint: Any, where: str, default_cost: int) -> tuple[str, int]:
    """A hint is Markdown, or {"text": Markdown, "cost": points}."""
    if isinstance(hint, str) and hint.strip():
        return hint, default_cost
    if isinstance(hint, dict):
        _only(hint, {"text", "cost"}, where)
        text = _require(hint, "text", str, where)
        cost = hint.get("cost", default_cost)
        if not _points(cost):
            raise BundleInvalid(f"{where}: cost is a whole number from 0 to 1000")
        return text, cost
    raise BundleInvalid(f'{where}: a hint is Markdown text or {{"text", "cost"}}')


# What every session knows before any action runs (sessions._initial_variables).
BUILTIN_VARIABLES = ("account_id", "region", "sandbox_name", "endpoint")
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def _used(value: Any) -> list[str]:
    """The {{names}} in every string of a JSON value, in order."""
    if isinstance(value, str):
        return _VARIABLE.findall(value)
    if isinstance(value, dict):
        return [name for item in value.values() for name in _used(item)]
    if isinstance(value, list | tuple):
        return [name for item in value for name in _used(item)]
    return []


def _refuse_unknown(value: Any, known: set[str], where: str, how: str) -> None:
    for name in _used(value):
        if name not in known:
            raise BundleInvalid(
                f"{where}: {{{{{name}}}}} is not defined. {how} (defined here: {', '.join(sorted(known))})"
            )


def _saves(action: dict[str, Any]) -> set[str]:
    return {str(name) for name in action.get("save", {})}


def _check_variables(steps: list[Step], known: set[str]) -> None:
    """Refuse a {{name}} that nothing defines where it is used, at upload rather than at check time.

    Setups run in order when the session starts, so an action may use what earlier setup actions
    saved. Checks, instructions and hints may use what any setup saved. A solve may use that and what
    earlier actions of the same solve saved, not what another step's solve saved: the student may
    have done that step by hand."""
    how = "Give it in the lab's `variables`, or save it in a setup action"
    for step in steps:
        for index, action in enumerate(step.setup):
            _refuse_unknown(action, known, f"step {step.id} setup[{index}]", how + " before this one.")
            known = known | _saves(action)
    for step in steps:
        for index, check in enumerate(step.checks):
            _refuse_unknown([check.spec, check.message], known, f"step {step.id} checks[{index}]", how + ".")
        _refuse_unknown(step.instructions, known, f"step {step.id} instructions", how + ".")
        for index, hint in enumerate(step.hints):
            _refuse_unknown(hint, known, f"step {step.id} hints[{index}]", how + ".")
        mine = set(known)
        for index, action in enumerate(step.solve):
            _refuse_unknown(
                action, mine, f"step {step.id} solve[{index}]",
                how + ", or in an earlier action of this solve (another step's solve may not have run).",
            )  # fmt: skip
            mine |= _saves(action)


def parse_bundle(document: Any, *, base: Path | None = None, source: str = "api") -> Lab:
    """A Lab from a bundle document; BundleInvalid says what is wrong and where."""
    if not isinstance(document, dict):
        raise BundleInvalid("A lab bundle is a JSON object.")
    _only(document, {"id", "title", "summary", "services", "variables", "steps", "student_solve", "hint_cost"}, "lab")
    lab_id = _require(document, "id", str, "lab")
    if not LAB_ID.match(lab_id):
        raise BundleInvalid("lab: `id` has lower-case letters, digits and dashes (at most 100)")
    title = _require(document, "title", str, "lab")
    services = document.get("services", [])
    if not isinstance(services, list) or not all(isinstance(name, str) for name in services):
        raise BundleInvalid("lab: `services` is a list of service names")
    variables = document.get("variables", {})
    if not isinstance(variables, dict):
        raise BundleInvalid("lab: `variables` is an object")
    student_solve = document.get("student_solve", True)
    if not isinstance(student_solve, bool):
        raise BundleInvalid("lab: `student_solve` is true or false")
    hint_cost = document.get("hint_cost", 0)
    if not _points(hint_cost):
        raise BundleInvalid("lab: `hint_cost` is a whole number from 0 to 1000")
    raw_steps = _require(document, "steps", list, "lab")
    if not raw_steps or len(raw_steps) > MAX_STEPS:
        raise BundleInvalid(f"lab: a lab has 1 to {MAX_STEPS} steps")
    steps: list[Step] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_steps, start=1):
        where = f"step {number}"
        if not isinstance(raw, dict):
            raise BundleInvalid(f"{where}: a step is an object")
        _only(raw, {"id", "title", "instructions", "instructions_file", "setup", "checks", "solve", "hints"}, where)
        step_id = str(raw.get("id") or f"step-{number}")
        if step_id in seen:
            raise BundleInvalid(f"{where}: step id {step_id} is used twice")
        seen.add(step_id)
        where = f"step {step_id}"
        checks = raw.get("checks")
        if not isinstance(checks, list) or not checks:
            raise BundleInvalid(f"{where}: a step has at least one check")
        for part in ("setup", "solve", "hints"):
            if not isinstance(raw.get(part, []), list):
                raise BundleInvalid(f"{where}: `{part}` is a list")
        hints = [_hint(hint, f"{where} hints[{i}]", hint_cost) for i, hint in enumerate(raw.get("hints", []))]
        steps.append(
            Step(
                id=step_id,
                title=str(_require(raw, "title", str, where)),
                instructions=_instructions(raw, base, where),
                setup=tuple(_check_action(a, f"{where} setup[{i}]") for i, a in enumerate(raw.get("setup", []))),
                checks=tuple(_check_check(c, f"{where} checks[{i}]", i) for i, c in enumerate(checks)),
                solve=tuple(_check_action(a, f"{where} solve[{i}]") for i, a in enumerate(raw.get("solve", []))),
                hints=tuple(text for text, _ in hints),
                hint_costs=tuple(cost for _, cost in hints),
            )
        )
    _check_variables(steps, set(BUILTIN_VARIABLES) | {str(name) for name in variables})
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return Lab(
        id=lab_id,
        title=title,
        summary=str(document.get("summary", "")),
        services=tuple(services),
        variables=dict(variables),
        steps=tuple(steps),
        source=source,
        digest=hashlib.sha256(canonical.encode()).hexdigest()[:16],
        document=document,
        student_solve=student_solve,
    )


def read_document(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        try:
            return json.loads(text)
        except ValueError as problem:
            raise BundleInvalid(f"{path.name}: not JSON ({problem})") from None
    try:
        import yaml
    except ImportError:
        raise BundleInvalid(f"{path.name}: YAML bundles need PyYAML installed; use lab.json") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as problem:
        raise BundleInvalid(f"{path.name}: not YAML ({problem})") from None


# --- every lab this server has -------------------------------------------------------------------

_file_cache: dict[Path, tuple[int, Lab]] = {}


def _bundle_file(folder: Path) -> Path | None:
    for name in BUNDLE_FILES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def _newest_mtime(folder: Path) -> int:
    return max((entry.stat().st_mtime_ns for entry in os.scandir(folder) if entry.is_file()), default=0)


def load_folder(folder: Path) -> Lab:
    path = _bundle_file(folder)
    if path is None:
        raise BundleInvalid(f"{folder}: no {' or '.join(BUNDLE_FILES)}")
    stamp = _newest_mtime(folder)
    hit = _file_cache.get(folder)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    lab = parse_bundle(read_document(path), base=folder, source=f"file:{folder.name}")
    _file_cache[folder] = (stamp, lab)
    return lab


def file_labs() -> dict[str, Lab]:
    found: dict[str, Lab] = {}
    for root in settings.LAB_DIRS:
        root = Path(root)
        if not root.is_dir():
            continue
        for folder in sorted(entry for entry in root.iterdir() if entry.is_dir()):
            if _bundle_file(folder) is None:
                continue
            try:
                lab = load_folder(folder)
            except BundleInvalid as problem:
                LOG.error("lab bundle %s is invalid: %s", folder, problem.message)
                continue
            found.setdefault(lab.id, lab)
    return found


def all_labs() -> dict[str, Lab]:
    """Every lab: the bundles in folders, then those uploaded through the API."""
    from playground.labs.models import LabBundle

    found = file_labs()
    for row in LabBundle.objects.all():
        if row.lab_id in found:
            continue
        try:
            found[row.lab_id] = parse_bundle(row.document, source="api")
        except BundleInvalid as problem:
            LOG.error("uploaded lab %s is invalid: %s", row.lab_id, problem.message)
    return found


def get_lab(lab_id: str) -> Lab:
    lab = all_labs().get(lab_id)
    if lab is None:
        raise LabNotFound(f"There is no lab {lab_id!r}.")
    return lab


def bundle_save(*, document: Any, lab_id: str, user: Any) -> Lab:
    """Store (or replace) a lab bundle uploaded through the API, after checking it."""
    from playground.labs.models import LabBundle

    lab = parse_bundle(document, source="api")
    if lab.id != lab_id:
        raise BundleInvalid(f"The bundle's id is {lab.id!r}, not {lab_id!r}.")
    if lab_id in file_labs():
        raise BundleInvalid(f"Lab {lab_id} ships with this server and cannot be replaced through the API.")
    LabBundle.objects.update_or_create(lab_id=lab_id, defaults={"document": document, "created_by": user})
    return lab


def bundle_delete(*, lab_id: str) -> None:
    from playground.labs.models import LabBundle

    deleted, _ = LabBundle.objects.filter(lab_id=lab_id).delete()
    if not deleted:
        if lab_id in file_labs():
            raise BundleInvalid(f"Lab {lab_id} ships with this server and cannot be deleted through the API.")
        raise LabNotFound(f"There is no uploaded lab {lab_id!r}.")
