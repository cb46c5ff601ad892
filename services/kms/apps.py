from django.apps import AppConfig


class KmsConfig(AppConfig):
    name = "services.kms"
    label = "kms"

    def ready(self) -> None:
        from services.kms import (
            provider,  # noqa: F401  (registers the provider)
            tasks,  # noqa: F401  (registers the due work: deletion at the end of the window, rotation)
        )
