"""The pages S3 serves itself (views.py), mounted at /s3/ by playground/urls.py."""

from __future__ import annotations

from django.urls import path

from services.s3 import views

app_name = "s3"

urlpatterns = [
    path("sandboxes/<int:sandbox_id>/browse/", views.browse, name="browse"),
    path("sandboxes/<int:sandbox_id>/objects/", views.objects, name="objects"),
]
