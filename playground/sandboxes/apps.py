from django.apps import AppConfig


class SandboxesConfig(AppConfig):
    name = "playground.sandboxes"

    def ready(self) -> None:
        from playground import checkpoints
        from playground.sandboxes import generations, keys  # noqa: F401  (keys: the due work that deletes expired keys)

        checkpoints.install()  # SQLite's WAL checkpoints on a thread of their own, off the calls' commits
        generations.connect()  # caches of keys and clocks see every change (generations.py)
