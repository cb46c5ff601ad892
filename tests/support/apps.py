from django.apps import AppConfig


class SupportConfig(AppConfig):
    """Loaded into the live servers and the Celery worker of the test suite only."""

    name = "tests.support"
    label = "test_support"

    def ready(self) -> None:
        from tests.support import duework  # noqa: F401
