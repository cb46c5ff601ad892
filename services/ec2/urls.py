"""EC2's own REST endpoints (views.py), mounted at /ec2/ by playground/urls.py."""

from __future__ import annotations

from django.urls import path

from services.ec2 import views

app_name = "ec2"

urlpatterns = [
    path("sandboxes/<int:sandbox_id>/traffic/", views.TrafficView.as_view(), name="traffic"),
    path("sandboxes/<int:sandbox_id>/load/", views.LoadView.as_view(), name="load"),
    path("sandboxes/<int:sandbox_id>/traffic-profile/", views.TrafficProfileView.as_view(), name="traffic-profile"),
]
