from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "playground.web"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from playground.web import logins

        user_login_failed.connect(logins.on_login_failed, dispatch_uid="playground-login-failed")
        user_logged_in.connect(logins.on_logged_in, dispatch_uid="playground-logged-in")
