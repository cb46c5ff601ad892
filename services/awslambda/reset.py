"""What resetting a sandbox does for Lambda besides deleting its rows: end the warm environments
(processes) of its functions in this server process."""

from __future__ import annotations

from playground.sandboxes.models import Sandbox
from services.awslambda import runtime
from services.awslambda.models import Function


def reset(*, sandbox: Sandbox) -> None:
    for function in Function.objects.filter(sandbox=sandbox).select_related("sandbox"):
        runtime.forget(function_arn=function.arn)
