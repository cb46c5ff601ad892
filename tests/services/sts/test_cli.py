"""STS through the real aws CLI: the new operations print AWS's output, and errors show AWS's code
and message."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import SandboxInfo, Server

pytestmark = pytest.mark.live


def test_the_cli_gets_a_federation_token(aws_cli: Any, strict_server: Server, sandbox: SandboxInfo) -> None:
    result = aws_cli(
        "sts", "get-federation-token", "--name", "cli-user", "--duration-seconds", "900", server=strict_server
    )
    printed = json.loads(result.stdout)
    assert printed["FederatedUser"]["Arn"] == f"arn:aws:sts::{sandbox.account_id}:federated-user/cli-user"
    assert printed["FederatedUser"]["FederatedUserId"] == f"{sandbox.account_id}:cli-user"


def test_the_cli_names_the_account_of_an_access_key(aws_cli: Any, sandbox: SandboxInfo) -> None:
    result = aws_cli("sts", "get-access-key-info", "--access-key-id", sandbox.access_key_id)
    assert json.loads(result.stdout) == {"Account": sandbox.account_id}


def test_the_cli_reports_an_invalid_authorization_message(aws_cli: Any) -> None:
    result = aws_cli("sts", "decode-authorization-message", "--encoded-message", "garbage", check=False)
    assert result.returncode != 0
    assert "InvalidAuthorizationMessageException" in result.stderr
    assert "The error returned if the message passed to DecodeAuthorizationMessage was invalid." in result.stderr


def test_the_cli_assumes_root(aws_cli: Any, sandbox: SandboxInfo) -> None:
    result = aws_cli(
        "sts", "assume-root", "--target-principal", sandbox.account_id,
        "--task-policy-arn", "arn=arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials",
    )  # fmt: skip
    assert json.loads(result.stdout)["Credentials"]["AccessKeyId"].startswith("ASIA")
