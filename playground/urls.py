from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path

from playground.catalog import service_apps
from playground.web import views


def _service_urls() -> list[URLResolver]:
    """Each service app's own pages (services/<svc>/urls.py), under /<svc>/."""
    return [path(f"{app.label}/", include(f"{app.name}.urls")) for app in service_apps() if app.has_urls()]


urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", views.SignIn.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("playground.api.urls")),
    *_service_urls(),
    path("", include("playground.classroom.urls")),
    path("", include("playground.web.urls")),
]
