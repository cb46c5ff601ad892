"""The CloudWatch Logs lab bundle end to end over the REST API, as the labs tests run the shipped
ones: each step's check fails, its solve passes it, and the session completes with every point;
checks give partial credit; a reset empties the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import Api, User, unique
from tests.labs.conftest import _remove_the_sandboxes_made_here, as_user, make_user  # noqa: F401  (fixtures)
from tests.labs.test_shipped_labs import _run_lab

pytestmark = pytest.mark.live


@pytest.fixture
def student(as_user: Callable[..., Api], make_user: Callable[..., User]) -> tuple[Api, dict[str, Any]]:  # noqa: F811
    api = as_user(make_user("logger"))
    return api, api.ok("POST", "/sandboxes/", {"name": unique("lab")}, status=201)


def test_the_logs_lab_runs_end_to_end(student: tuple[Api, dict[str, Any]]) -> None:
    api, sandbox = student
    labs = {lab["id"]: lab for lab in api.ok("GET", "/labs/")}
    assert labs["logs-metric-filter"]["available"]
    _run_lab(api, sandbox, "logs-metric-filter")
    nodes = {node["type"]: node for node in api.ok("GET", f"/sandboxes/{sandbox['id']}/graph/")["nodes"]}
    assert (nodes["log-group"]["name"], nodes["log-group"]["events"], nodes["log-group"]["retention_days"]) == (
        "/lab/app",
        0,
        7,
    )
    assert nodes["metric-filter"]["datapoints"] >= 1


def test_partial_credit_then_reset(student: tuple[Api, dict[str, Any]]) -> None:
    api, sandbox = student
    session = api.ok("POST", f"/sandboxes/{sandbox['id']}/lab-sessions/", {"lab": "logs-metric-filter"}, status=201)
    api.ok("POST", f"/sandboxes/{sandbox['id']}/aws/logs/CreateLogGroup/", {"logGroupName": "/lab/app"})
    api.ok(
        "POST",
        f"/sandboxes/{sandbox['id']}/aws/logs/CreateLogStream/",
        {"logGroupName": "/lab/app", "logStreamName": "web-1"},
    )
    checked = api.ok("POST", f"/lab-sessions/{session['id']}/check/")
    assert checked["completed"] is False
    assert checked["score"] == 2  # the group, and the stream of step two (not yet its events)
    api.ok("POST", f"/lab-sessions/{session['id']}/reset/")
    assert api.ok("GET", f"/sandboxes/{sandbox['id']}/graph/")["nodes"] == []
