from __future__ import annotations

from django.apps import AppConfig


class SnsConfig(AppConfig):
    name = "services.sns"
    label = "sns"
    verbose_name = "SNS"

    def ready(self) -> None:
        from services.sns import provider  # noqa: F401  (registers the provider, its tasks and deliverers)
