"""The pages CloudWatch Logs serves itself (views.py), mounted at /logs/ by playground/urls.py."""

from __future__ import annotations

from django.urls import path

from services.logs import views

app_name = "logs"

urlpatterns = [
    path("sandboxes/<int:sandbox_id>/tail/", views.tail, name="tail"),
]
