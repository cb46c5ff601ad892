from django.apps import AppConfig


class SandboxesConfig(AppConfig):
    name = "playground.sandboxes"

    def ready(self) -> None:
        from playground.sandboxes import generations, keys  # noqa: F401  (keys: the due work that deletes expired keys)

        generations.connect()  # caches of keys and clocks see every change (generations.py)
