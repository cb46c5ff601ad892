"""The console path: the GUI and REST API call AWS operations without the wire protocol, through
the same validation, providers and call record."""

from __future__ import annotations

import pytest

from playground.gateway.calllog import call_log
from playground.gateway.errors import AwsError
from playground.gateway.handler import CONSOLE_USER_AGENT, invoke
from playground.gateway.models import ApiCall
from playground.sandboxes.services import sandbox_create

# Committed, never flushed: the live servers share this database (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("db_access")


def test_invoke_runs_the_provider_and_records_the_call() -> None:
    sandbox, _, _ = sandbox_create(name="console")
    identity = invoke(sandbox=sandbox, service="sts", operation="GetCallerIdentity", params={})
    assert identity["Account"] == sandbox.account_id
    assert call_log().flush()
    call = ApiCall.objects.get(sandbox=sandbox)
    assert (call.service, call.operation, call.user_agent, call.error_code) == (
        "sts",
        "GetCallerIdentity",
        CONSOLE_USER_AGENT,
        "",
    )


def test_invoke_validates_like_the_wire() -> None:
    sandbox, _, _ = sandbox_create(name="console")
    with pytest.raises(AwsError) as caught:
        invoke(sandbox=sandbox, service="sts", operation="AssumeRole", params={"RoleArn": "x" * 30})
    assert "roleSessionName" in caught.value.message
    assert call_log().flush()
    assert ApiCall.objects.get(sandbox=sandbox).error_code == caught.value.code


def test_invoke_of_an_unknown_operation_is_invalid_action() -> None:
    sandbox, _, _ = sandbox_create(name="console")
    with pytest.raises(AwsError) as caught:
        invoke(sandbox=sandbox, service="sts", operation="Nope", params={})
    assert caught.value.code == "InvalidAction"
    assert call_log().flush(), "the record is written while this test may still use the database"
