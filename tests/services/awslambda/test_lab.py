"""The Lambda lab bundle end to end over the REST API, as the labs tests run the shipped ones:
each step's check fails, its solve passes it, and the session completes with every point; checks
give partial credit; a reset empties the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import Api, User, unique
from tests.labs.conftest import _remove_the_sandboxes_made_here, as_user, make_user  # noqa: F401  (fixtures)
from tests.labs.test_shipped_labs import _run_lab

pytestmark = pytest.mark.live


@pytest.fixture
def learner(as_user: Callable[..., Api], make_user: Callable[..., User]) -> tuple[Api, dict[str, Any]]:  # noqa: F811
    api = as_user(make_user("worker"))
    return api, api.ok("POST", "/sandboxes/", {"name": unique("lab")}, status=201)


def test_the_queue_worker_lab_runs_end_to_end_then_resets(learner: tuple[Api, dict[str, Any]]) -> None:
    api, sandbox = learner
    labs = {lab["id"]: lab for lab in api.ok("GET", "/labs/")}
    assert labs["lambda-queue-worker"]["available"]
    final = _run_lab(api, sandbox, "lambda-queue-worker")
    assert final["completed"]
    graph = api.ok("GET", f"/sandboxes/{sandbox['id']}/graph/")
    names = {node["name"] for node in graph["nodes"]}
    assert names == {"order-worker", "orders", "orders-dlq", "/aws/lambda/order-worker"}  # its log group too
    assert any(edge["type"] == "event-source" for edge in graph["edges"])
    session = api.ok("GET", f"/sandboxes/{sandbox['id']}/lab-sessions/")[0]
    api.ok("POST", f"/lab-sessions/{session['id']}/reset/")
    assert api.ok("GET", f"/sandboxes/{sandbox['id']}/graph/")["nodes"] == []
