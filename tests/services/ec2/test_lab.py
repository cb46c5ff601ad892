"""The EC2 lab bundle end to end over the REST API, as the labs tests run the shipped ones: each
step's check fails, its solve passes it, and the session completes with every point; checks give
partial credit; a reset empties the sandbox."""

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
    api = as_user(make_user("launcher"))
    return api, api.ok("POST", "/sandboxes/", {"name": unique("lab")}, status=201)


def test_the_launch_lab_runs_end_to_end(student: tuple[Api, dict[str, Any]]) -> None:
    api, sandbox = student
    labs = {lab["id"]: lab for lab in api.ok("GET", "/labs/")}
    assert labs["ec2-launch"]["available"]
    _run_lab(api, sandbox, "ec2-launch")
    nodes = api.ok("GET", f"/sandboxes/{sandbox['id']}/graph/")["nodes"]
    [instance] = [node for node in nodes if node["type"] == "instance"]
    assert (instance["label"], instance["state"], instance["group_names"]) == ("web-1", "stopping", ["web-sg"])


def test_partial_credit_then_reset(student: tuple[Api, dict[str, Any]]) -> None:
    api, sandbox = student
    session = api.ok("POST", f"/sandboxes/{sandbox['id']}/lab-sessions/", {"lab": "ec2-launch"}, status=201)
    aws = f"/sandboxes/{sandbox['id']}/aws/ec2"
    api.ok("POST", f"{aws}/CreateSecurityGroup/", {"GroupName": "web-sg", "Description": "web"})
    api.ok(
        "POST", f"{aws}/AuthorizeSecurityGroupIngress/",
        {"GroupName": "web-sg", "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"},
    )  # fmt: skip
    first = api.ok("POST", f"/lab-sessions/{session['id']}/check/")
    assert first["completed"] is False
    https = next(step for step in first["steps"] if step["id"] == "https")
    assert https["passed"] is False
    assert "web-sg lets SSH (port 22) in from the whole internet: revoke that rule." in str(https)
    api.ok("POST", f"/lab-sessions/{session['id']}/reset/")
    assert api.ok("GET", f"/sandboxes/{sandbox['id']}/graph/")["nodes"] == []
