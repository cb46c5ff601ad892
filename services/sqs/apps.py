from django.apps import AppConfig


class SqsConfig(AppConfig):
    name = "services.sqs"
    label = "sqs"

    def ready(self) -> None:
        from services.sqs import provider  # noqa: F401  (registers the provider)
