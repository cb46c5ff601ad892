"""Public, unauthenticated pages a relying party reads to verify a sandbox's web identity tokens:
the OpenID Connect discovery document and the JSON Web Key Set (tokens.py)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from playground.sandboxes.models import Sandbox
from services.sts import tokens


def _sandbox(account_id: str) -> Sandbox:
    sandbox = Sandbox.objects.filter(account_id=account_id).first()
    if sandbox is None:
        raise Http404("No such account.")
    return sandbox


@require_GET
def openid_configuration(request: HttpRequest, account_id: str) -> JsonResponse:
    return JsonResponse(tokens.discovery(account_id=_sandbox(account_id).account_id))


@require_GET
def jwks(request: HttpRequest, account_id: str) -> JsonResponse:
    return JsonResponse(tokens.key_set(sandbox=_sandbox(account_id)))
