"""Service providers: one class per emulated service, one method per AWS operation.

    @register
    class StsProvider(Provider):
        service = "sts"

        def get_caller_identity(self, ctx: RequestContext, params: dict) -> dict:
            ...

The method name is botocore's snake_case of the operation name. It receives the validated
parameters (keys as the model names them) and the RequestContext, and returns the output as a
dict, or raises an AwsError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from botocore import xform_name

from playground.gateway.errors import AwsError
from playground.gateway.request import RequestContext
from playground.gateway.validation import Problem

if TYPE_CHECKING:
    from playground.sandboxes.models import Sandbox

Handler = Callable[[RequestContext, dict[str, Any]], dict[str, Any]]
F = TypeVar("F", bound=Callable[..., Any])


class Provider:
    service: ClassVar[str]

    def handler(self, operation: str) -> Handler | None:
        method = getattr(self, xform_name(operation), None)
        return method if callable(method) else None

    def checks_itself(self, operation: str, problem: Problem) -> bool:
        """Whether this service checks what the model's constraint refused itself, differently from
        the model (SQS: ReceiveMessage's legacy AttributeNames take message system attribute names
        the enum does not list; a bad body in one SendMessageBatch entry fails that entry only)."""
        return False

    def validation_error(self, protocol: str, problems: list[Problem]) -> AwsError | None:
        """The error for input that breaks the model's constraints, when this service words it
        differently from AWS's standard ValidationException (SQS: MissingParameter, ...)."""
        return None

    def unsigned_sandbox(
        self, operation: str, params: dict[str, Any], *, find: Callable[[str], Sandbox | None]
    ) -> Sandbox | None:
        """The sandbox an unsigned call of an operation AWS serves unsigned acts in (the model marks
        it `smithy.api#noAuth`), read from its validated parameters: `find(account_id)` gives the
        account's sandbox (in strict mode only one that exists). Raise the error AWS gives when
        the parameters name no usable account; None refuses the call as unsigned."""
        return None


def own_transactions(method: F) -> F:
    """Mark a provider method that runs outside any transaction: it opens its own where it writes
    (a long poll waits outside any), or it only reads (KMS Encrypt: a key and its material).

    Other methods run inside one transaction, and roll back on error.
    """
    method.own_transactions = True  # type: ignore[attr-defined]
    return method


_providers: dict[str, Provider] = {}
P = TypeVar("P", bound=type[Provider])


def register(cls: P) -> P:
    _providers[cls.service] = cls()
    return cls


def provider_for(service: str) -> Provider | None:
    return _providers.get(service)


def registered_services() -> list[str]:
    return sorted(_providers)
