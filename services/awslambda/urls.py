"""The pages Lambda serves itself (views.py), mounted at /awslambda/ by playground/urls.py."""

from __future__ import annotations

from django.urls import path

from services.awslambda import views

app_name = "awslambda"

urlpatterns = [
    path("sandboxes/<int:sandbox_id>/package/", views.package, name="package"),
    path("code/<int:function_id>/<str:revision>", views.code, name="code"),
]
