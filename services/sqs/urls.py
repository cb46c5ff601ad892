"""The pages SQS serves itself (views.py), mounted at /sqs/ by playground/urls.py."""

from __future__ import annotations

from django.urls import path

from services.sqs import views

app_name = "sqs"

urlpatterns = [
    path("sandboxes/<int:sandbox_id>/peek/", views.peek, name="peek"),
]
