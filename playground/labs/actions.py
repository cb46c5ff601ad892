"""Running a step's setup and solve actions inside a sandbox, and filling in {{variables}}.

Actions call AWS operations through the gateway's console door (playground.gateway.handler.invoke):
the same validation, providers and call record as the student's own calls. Parameters are JSON as
the REST API's /aws/ door takes them (blobs as base64 text); values saved from an output are
JSON too (bytes as base64 text), so a saved CiphertextBlob can be passed on as it is. Setup runs as the lab
(principal `role/playground-lab`, which call checks ignore); solve runs as the student, since it
does what the student would have done.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import jmespath

from playground.errors import PlaygroundError
from playground.gateway.encoding import jsonable, params_from_json
from playground.gateway.errors import AwsError
from playground.gateway.handler import invoke
from playground.gateway.specs import service_model
from playground.labs.checks import SandboxView
from playground.sandboxes.models import Clock, Sandbox
from playground.sandboxes.services import clock_advance

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
WHOLE = re.compile(r"^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")


class LabActionFailed(PlaygroundError):
    code = "LabActionFailed"
    status = 409


def setup_principal(sandbox: Sandbox) -> str:
    return f"arn:aws:iam::{sandbox.account_id}:role/playground-lab"


def render(value: Any, variables: dict[str, Any]) -> Any:
    """Fill {{name}} in every string; a string that is only "{{name}}" takes the variable's value
    as it is (a number stays a number)."""
    if isinstance(value, str):
        whole = WHOLE.match(value)
        if whole:
            return _lookup(whole.group(1), variables)
        return VARIABLE.sub(lambda found: str(_lookup(found.group(1), variables)), value)
    if isinstance(value, dict):
        return {key: render(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, variables) for item in value]
    return value


def fill_text(text: str, variables: dict[str, Any]) -> str:
    """Markdown for the student with {{name}} filled in; a name without a value stays as it is
    (bundles are refused at upload when they use an undefined one: see bundles.undefined_variables)."""
    return VARIABLE.sub(lambda found: str(variables.get(found.group(1), found.group(0))), text)


def _lookup(name: str, variables: dict[str, Any]) -> Any:
    if name not in variables:
        raise LabActionFailed(f"The lab uses {{{{{name}}}}}, which no earlier action saved.")
    return variables[name]


@dataclass
class ActionOutcome:
    action: str
    ok: bool
    error_code: str = ""


def _find(action: dict[str, Any], *, sandbox: Sandbox, variables: dict[str, Any], label: str) -> None:
    """Save fields of the first resource (its node and details) matching the action's `find`."""
    view = SandboxView(
        sandbox=sandbox,
        now=Clock.current(sandbox.pk).now(),
        since_clock=Clock.current(sandbox.pk).now(),
        since_seq=0,
        setup_principal=setup_principal(sandbox),
    )
    found = view.nodes(render(action["find"], variables))
    if not found:
        raise LabActionFailed(f"{label} (find): no resource in the sandbox matches {json.dumps(action['find'])}.")
    resource = view.detail(found[0])
    for name, expression in action["save"].items():
        variables[name] = jsonable(jmespath.search(str(expression), resource))


def run_actions(
    actions: tuple[dict[str, Any], ...] | list[dict[str, Any]],
    *,
    sandbox: Sandbox,
    variables: dict[str, Any],
    as_lab: bool,
    label: str,
) -> list[ActionOutcome]:
    """Run the actions in order; values they save land in `variables`. Raises LabActionFailed at
    the first AWS error the action does not ignore."""
    outcomes = []
    principal = setup_principal(sandbox) if as_lab else ""
    for index, action in enumerate(actions):
        if "find" in action:
            _find(action, sandbox=sandbox, variables=variables, label=f"{label} action {index + 1}")
            outcomes.append(ActionOutcome("find", True))
            continue
        if "advance_clock" in action:
            clock_advance(sandbox=sandbox, seconds=float(action["advance_clock"]))
            outcomes.append(ActionOutcome(f"advance_clock {action['advance_clock']}", True))
            continue
        service, operation = str(action["call"]).split(":")
        params = render(action.get("params", {}), variables)
        region = render(action.get("region"), variables) if action.get("region") else None
        try:
            params = params_from_json(service_model(service).operation_model(operation), params)
            output = invoke(
                sandbox=sandbox,
                service=service,
                operation=operation,
                params=params,
                region=region,
                principal_arn=principal,
            )
        except AwsError as error:
            if error.code in action.get("ignore_errors", []):
                outcomes.append(ActionOutcome(action["call"], False, error.code))
                continue
            raise LabActionFailed(
                f"{label} action {index + 1} ({action['call']}) failed: {error.code}: {error.message}"
            ) from None
        for name, expression in action.get("save", {}).items():
            variables[name] = jsonable(jmespath.search(str(expression), output))
        outcomes.append(ActionOutcome(action["call"], True))
    return outcomes
