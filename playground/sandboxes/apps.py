from django.apps import AppConfig


class SandboxesConfig(AppConfig):
    name = "playground.sandboxes"

    def ready(self) -> None:
        from playground.sandboxes import keys  # noqa: F401  (registers the due work that deletes expired keys)
