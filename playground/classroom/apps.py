from django.apps import AppConfig


class ClassroomConfig(AppConfig):
    name = "playground.classroom"

    def ready(self) -> None:
        from playground.classroom.quotas import connect_resource_quotas

        connect_resource_quotas()
