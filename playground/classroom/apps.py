from django.apps import AppConfig


class ClassroomConfig(AppConfig):
    name = "playground.classroom"

    def ready(self) -> None:
        from playground.classroom import events  # noqa: F401  (registers the live event types)
