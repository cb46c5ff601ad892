"""GUI views. The diagram arrives with its own issue; for now the home page shows the sandboxes
a user owns with their credentials and the lines to paste into a terminal."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    sandboxes = request.user.sandboxes.prefetch_related("access_keys").select_related("clock")  # type: ignore[union-attr]
    return render(
        request,
        "home.html",
        {"sandboxes": sandboxes, "endpoint_url": settings.PLAYGROUND_PUBLIC_URL},
    )


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})
