"""GUI views: the sandbox list, the sandbox page (the live diagram), and the small JSON endpoints
only the GUI needs (node positions, the aws CLI's names). Everything else the page does goes
through the REST API (/api/sandboxes/...), the sandbox's WebSocket, and the pages service apps
serve themselves (their urls.py, handed to their GUI module by ServiceApp.gui_config()).

Who sees what is playground.sandboxes.access's: the owner uses the page fully; an instructor of
the sandbox's classroom watches it read-only (no AWS calls, no wiring, no secrets). The page
never holds a key's secret: its credentials dialog shows a new key's secret from the API answer
that makes the key, once."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods

from playground.catalog import GROUPS, service_apps
from playground.sandboxes.access import Role, sandbox_for
from playground.sandboxes.models import Clock, Sandbox
from playground.web.cli import cli_names
from playground.web.layout import positions_forget, positions_of, positions_save
from playground.web.logins import client_address, retry_after


def _visible(request: HttpRequest, sandbox_id: int) -> tuple[Sandbox, Role]:
    """The sandbox with the user's role in it: its owner, or an instructor of its classroom (who
    looks at it read-only). 404 for anyone else, as if it did not exist."""
    found = sandbox_for(request.user, sandbox_id)
    if found is None:
        raise Http404("no such sandbox")
    return found


def _endpoint_url(request: HttpRequest) -> str:
    """The address the browser reached us on: the one a student's aws CLI can reach too."""
    return request.build_absolute_uri("/").rstrip("/")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Straight to the diagram for a user with one sandbox; the list otherwise."""
    sandboxes = list(request.user.sandboxes.all()[:2])  # type: ignore[union-attr]
    if len(sandboxes) == 1:
        return redirect("sandbox", sandbox_id=sandboxes[0].pk)
    return sandbox_list(request)


@login_required
def sandbox_list(request: HttpRequest) -> HttpResponse:
    sandboxes = request.user.sandboxes.select_related("clock")  # type: ignore[union-attr]
    return render(request, "home.html", {"sandboxes": sandboxes})


@login_required
def sandbox_page(request: HttpRequest, sandbox_id: int) -> HttpResponse:
    sandbox, role = _visible(request, sandbox_id)
    read_only = role != Role.OWNER
    config: dict[str, Any] = {
        "sandbox": {
            "id": sandbox.pk,
            "account_id": sandbox.account_id,
            "name": sandbox.name,
            "region": sandbox.default_region,
        },
        "endpoint_url": _endpoint_url(request),
        "urls": {
            "api": f"/api/sandboxes/{sandbox.pk}/",
            "websocket": f"/ws/sandboxes/{sandbox.pk}/",
            "layout": reverse("sandbox-layout", args=[sandbox.pk]),
            "cli": reverse("cli-names", args=["SERVICE"]),
        },
        # Each installed service app, with its GUI module (static/services/<svc>/gui.js) when it has
        # one: the palette, node kinds, inspector panels, wiring and legend come from there.
        "services": [
            {
                "label": app.label,
                "title": app.title,
                "group": app.group,
                "gui": app.gui_module(),
                "config": app.gui_config(sandbox_id=sandbox.pk),
            }
            for app in service_apps()
        ],
        "groups": list(GROUPS),
        "positions": positions_of(sandbox=sandbox),
        "clock": Clock.current(sandbox.pk).as_dict(),
        # An instructor watching a student's diagram: no AWS calls, no wiring, no secrets.
        "read_only": read_only,
    }
    context = {
        "sandbox": sandbox,
        "read_only": read_only,
        "max_keys": settings.MAX_ACCESS_KEYS,
        "endpoint_url": config["endpoint_url"],
        "config": config,
        "other_sandboxes": request.user.sandboxes.exclude(pk=sandbox.pk),  # type: ignore[union-attr]
    }
    return render(request, "sandbox/page.html", context)


@login_required
@require_http_methods(["GET", "POST", "DELETE"])
def sandbox_layout(request: HttpRequest, sandbox_id: int) -> HttpResponse:
    """GET: every saved node position. POST {"positions": {node id: {"x", "y"}}}: save those.
    DELETE: forget them all (the diagram's Tidy lays every node out again). Saving and forgetting
    are the owner's only: an instructor's look does not rearrange a student's diagram."""
    sandbox, role = _visible(request, sandbox_id)
    if request.method in ("POST", "DELETE") and role != Role.OWNER:
        return JsonResponse({"code": "AccessDenied", "message": "Only the sandbox's owner arranges it."}, status=403)
    if request.method == "DELETE":
        return JsonResponse({"forgotten": positions_forget(sandbox=sandbox)})
    if request.method == "POST":
        try:
            document = json.loads(request.body or b"{}")
            saved = positions_save(sandbox=sandbox, positions=document.get("positions") or {})
        except (ValueError, AttributeError) as problem:
            return HttpResponseBadRequest(str(problem))
        return JsonResponse({"saved": saved})
    return JsonResponse({"positions": positions_of(sandbox=sandbox)})


@require_GET
@cache_control(max_age=3600)
def cli_command_names(request: HttpRequest, service: str) -> JsonResponse:
    """The aws CLI's command and option names for each operation of a botocore service (cli.py),
    for the activity panel's command lines. The same for everyone: no sandbox, no sign-in."""
    names = cli_names(service) if service.replace("-", "").isalnum() else None
    if names is None:
        return JsonResponse({"code": "NotFound", "message": f"The aws CLI has no service {service!r}."}, status=404)
    return JsonResponse(names)


class RateLimitedAuthenticationForm(AuthenticationForm):
    """The sign-in form, saying "too many attempts" (not "wrong password") while the user name or
    the address is over its limit of failures (playground/web/logins.py)."""

    retry_after = 0

    def clean(self) -> dict[str, Any]:
        self.retry_after = retry_after(
            username=str(self.cleaned_data.get("username") or ""), address=client_address(self.request)
        )
        if self.retry_after:
            minutes = -(-self.retry_after // 60)
            raise ValidationError(
                f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
                code="too_many_attempts",
            )
        return super().clean()


class SignIn(LoginView):
    template_name = "login.html"
    authentication_form = RateLimitedAuthenticationForm

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        """A refusal for too many attempts is a 429 with Retry-After, as an API's would be."""
        response = super().form_invalid(form)
        if isinstance(form, RateLimitedAuthenticationForm) and form.retry_after:
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})
