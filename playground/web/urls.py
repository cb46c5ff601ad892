"""The GUI's pages and its own small JSON endpoints (the REST API lives under /api/)."""

from __future__ import annotations

from django.urls import path

from playground.web import views

urlpatterns = [
    path("sandboxes/", views.sandbox_list, name="sandbox-list"),
    path("sandboxes/<int:sandbox_id>/", views.sandbox_page, name="sandbox"),
    path("sandboxes/<int:sandbox_id>/layout/", views.sandbox_layout, name="sandbox-layout"),
    path("cli/<str:service>/", views.cli_command_names, name="cli-names"),
]
