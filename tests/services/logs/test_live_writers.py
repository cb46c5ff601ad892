"""Who writes to a log group, on the diagram: a Lambda function's output lands in
/aws/lambda/NAME through Logs' public door with the function as its writer, and the graph draws
the function's edge to the group (from the group's side: Lambda's graph knows nothing of Logs)."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.api.conftest import login
from tests.conftest import SandboxInfo, Server
from tests.waiting import wait_until

pytestmark = pytest.mark.live


@pytest.fixture
def sandbox(make_sandbox: Callable[..., SandboxInfo]) -> SandboxInfo:
    return make_sandbox("logs writers", username=f"writers-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def session(daphne: Server, sandbox: SandboxInfo, db_access: None) -> requests.Session:
    from playground.sandboxes.models import Sandbox

    user = Sandbox.objects.get(pk=sandbox.id).owner
    assert user is not None
    return login(daphne, user.username, f"pw-{user.username}")


def test_a_function_writing_its_output_is_drawn_writing_to_its_group(
    aws: Callable[..., Any],
    daphne: Server,
    sandbox: SandboxInfo,
    session: requests.Session,
    advance: Callable[[float], None],
) -> None:
    lam = aws("lambda")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", "def handler(event, context):\n    print('hi')\n")
    name = f"writer-{uuid.uuid4().hex[:8]}"
    function_arn = lam.create_function(
        FunctionName=name, Runtime="python3.12", Role="arn:aws:iam::123456789012:role/service-role",
        Handler="lambda_function.handler", Code={"ZipFile": buffer.getvalue()},
    )["FunctionArn"]  # fmt: skip
    group_arn = f"arn:aws:logs:{sandbox.region}:{sandbox.account_id}:log-group:/aws/lambda/{name}"

    def edges() -> list[tuple[str, str, str]]:
        graph = session.get(f"{daphne.url}/api/sandboxes/{sandbox.id}/graph/", timeout=30).json()
        return [(e["source"], e["target"], e["type"]) for e in graph["edges"] if e["type"] == "log-writer"]

    assert edges() == []
    advance(10)  # the function leaves Pending
    lam.invoke(FunctionName=name, Payload=b"{}")
    lam.invoke(FunctionName=name, Payload=b"{}")
    assert edges() == [(function_arn, group_arn, "log-writer")]  # once, however often it writes
    detail = session.get(f"{daphne.url}/api/sandboxes/{sandbox.id}/resources/", params={"arn": group_arn},
                         timeout=30).json()  # fmt: skip
    assert detail["writers"] == [function_arn]

    # The write is a flow along that edge (the diagram animates it).
    def put_sources() -> set[str]:
        response = session.get(f"{daphne.url}/api/sandboxes/{sandbox.id}/events/",
                               params={"after": "0", "type": "flow"}, timeout=30)  # fmt: skip
        assert response.status_code == 200, response.text
        return {e["source"] for e in response.json()["results"] if e.get("kind") == "put" and e["target"] == group_arn}

    wait_until(lambda: put_sources() == {function_arn})
