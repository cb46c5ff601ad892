from django.apps import AppConfig


class LabsConfig(AppConfig):
    name = "playground.labs"

    def ready(self) -> None:
        from playground.labs import events, tasks  # noqa: F401  (registers the event types and the webhook task)
