"""The Kinesis lab bundle end to end over the REST API, as the labs tests run the shipped ones:
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
def student(as_user: Callable[..., Api], make_user: Callable[..., User]) -> tuple[Api, dict[str, Any]]:  # noqa: F811
    api = as_user(make_user("streamer"))
    return api, api.ok("POST", "/sandboxes/", {"name": unique("lab")}, status=201)


def test_the_clickstream_lab_runs_end_to_end(student: tuple[Api, dict[str, Any]]) -> None:
    api, sandbox = student
    labs = {lab["id"]: lab for lab in api.ok("GET", "/labs/")}
    assert labs["kinesis-clickstream"]["available"]
    _run_lab(api, sandbox, "kinesis-clickstream")
    [stream] = api.ok("GET", f"/sandboxes/{sandbox['id']}/graph/")["nodes"]
    assert (stream["name"], stream["open_shards"], stream["records"]) == ("clickstream", 4, 0)


def test_partial_credit_then_reset(student: tuple[Api, dict[str, Any]]) -> None:
    api, sandbox = student
    session = api.ok("POST", f"/sandboxes/{sandbox['id']}/lab-sessions/", {"lab": "kinesis-clickstream"}, status=201)
    api.ok(
        "POST", f"/sandboxes/{sandbox['id']}/aws/kinesis/CreateStream/", {"StreamName": "clickstream", "ShardCount": 2}
    )
    first = api.ok("POST", f"/lab-sessions/{session['id']}/check/")
    assert first["completed"] is False
    assert first["score"] == 1  # two shards, but not ACTIVE yet: one of the first step's two points
    api.ok("POST", f"/sandboxes/{sandbox['id']}/clock/advance/", {"seconds": 10})
    assert api.ok("POST", f"/lab-sessions/{session['id']}/check/")["score"] == 2
    api.ok("POST", f"/lab-sessions/{session['id']}/reset/")
    assert api.ok("GET", f"/sandboxes/{sandbox['id']}/graph/")["nodes"] == []
