from django.apps import AppConfig


class StsConfig(AppConfig):
    name = "services.sts"
    label = "sts"

    def ready(self) -> None:
        from services.sts import provider  # noqa: F401  (registers the provider)
