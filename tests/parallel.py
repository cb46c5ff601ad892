"""Each pytest-xdist worker is a test run of its own (a pytest plugin, loaded by `-p tests.parallel`
in pyproject.toml, ahead of every conftest.py).

`make test` gives a run an id, a Channels prefix and a Celery queue (playground/launcher.py), and the
settings name the test database after the run id. Under pytest-xdist each worker (gw0, gw1, ...)
starts live servers and a Celery worker with beat of its own against a database of its own, so each
needs those names of its own: the worker's id is appended to them here, in the environment, which
the servers and the Celery worker inherit. It must happen before Django reads its settings, which
pytest-django does before loading any conftest.py; hence a plugin.

pytest-django would suffix the test database's name per worker by itself, but only through its own
`django_db_setup`, which tests/conftest.py replaces (the database is made even when no test asks for
`db`): the suffix comes from here instead, the same for the database, the prefix and the queue.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

# Name -> what it is when `make test` did not set it (pytest run directly).
PER_WORKER = {
    "PLAYGROUND_TEST_RUN_ID": "",
    "PLAYGROUND_CHANNEL_PREFIX": "test",
    "PLAYGROUND_CELERY_QUEUE": "test",
}


def worker_names(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """The variables an xdist worker runs with: each of PER_WORKER with the worker's id appended
    (`_gw0`); nothing outside a worker. Without a run id from `make test`, the xdist run's own id
    (shared by its workers) keeps concurrent runs apart."""
    worker = environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        return {}
    run = environ.get("PLAYGROUND_TEST_RUN_ID") or environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8]
    names = {}
    for name, default in PER_WORKER.items():
        base = environ.get(name) or (f"{default}-{run}" if default else run)
        names[name] = f"{base}_{worker}" if base else worker
    return names


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests() -> Generator[None]:
    os.environ.update(worker_names(os.environ))
    return (yield)
