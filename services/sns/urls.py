"""The links SNS hands out (views.py), under /sns/."""

from __future__ import annotations

from django.urls import path

from services.sns import views

app_name = "sns"

urlpatterns = [
    path("", views.action, name="action"),
    path("confirmation.html", views.email_confirmation, name="email-confirmation"),
    path("unsubscribe.html", views.email_unsubscribe, name="email-unsubscribe"),
    path("SimpleNotificationService-<str:key_id>.pem", views.certificate, name="certificate"),
]
