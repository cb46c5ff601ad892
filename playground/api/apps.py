from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "playground.api"

    def ready(self) -> None:
        # Import the REST views (Django REST framework, drf-spectacular) while the process starts,
        # not in its first request: they take a fraction of a second, which a health check made
        # right after start-up (tests, a load balancer) should not have to wait for.
        from playground.api import urls  # noqa: F401
