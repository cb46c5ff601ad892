from django.apps import AppConfig


class KmsConfig(AppConfig):
    name = "services.kms"
    label = "kms"

    def ready(self) -> None:
        from services.kms import provider  # noqa: F401  (registers the provider)
