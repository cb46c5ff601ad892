"""AssumeRoleWithWebIdentity through boto3 and the aws CLI: sent unsigned, as the SDKs send it, to
the sandbox of the role's account; the token's claims answered back; AWS's errors for tokens it
refuses; credentials that expire on the sandbox clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo, Server, error_of
from tests.services.sts.conftest import anonymous, client_for, make_jwt

pytestmark = pytest.mark.live


def _role(sandbox: SandboxInfo, name: str = "WebRole") -> str:
    return f"arn:aws:iam::{sandbox.account_id}:role/{name}"


def test_a_web_identity_assumes_the_role_unsigned(strict_server: Server, sandbox: SandboxInfo) -> None:
    sts = anonymous(strict_server)
    sent: list[dict[str, str]] = []
    sts.meta.events.register("before-send.sts.*", lambda request, **_: sent.append(dict(request.headers)))
    answer = sts.assume_role_with_web_identity(
        RoleArn=_role(sandbox), RoleSessionName="web-1", WebIdentityToken=make_jwt(sub="user-123", aud="my-app")
    )
    assert "Authorization" not in sent[0]  # the SDK did not sign it, and the strict server took it
    assert answer["SubjectFromWebIdentityToken"] == "user-123"
    assert answer["Audience"] == "my-app"
    assert answer["Provider"] == "https://token.example.com"
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{sandbox.account_id}:assumed-role/WebRole/web-1"
    assert answer["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA")
    assert answer["AssumedRoleUser"]["AssumedRoleId"].endswith(":web-1")
    identity = client_for(strict_server, answer["Credentials"]).get_caller_identity()
    assert identity["Account"] == sandbox.account_id
    assert identity["Arn"] == answer["AssumedRoleUser"]["Arn"]
    assert identity["UserId"] == answer["AssumedRoleUser"]["AssumedRoleId"]


def test_the_provider_id_names_the_provider_and_an_audience_list_gives_its_first(
    strict_server: Server, sandbox: SandboxInfo
) -> None:
    answer = anonymous(strict_server).assume_role_with_web_identity(
        RoleArn=_role(sandbox),
        RoleSessionName="web-2",
        WebIdentityToken=make_jwt(aud=["client-a", "client-b"]),
        ProviderId="www.amazon.com",
        DurationSeconds=900,
    )
    assert answer["Provider"] == "www.amazon.com"
    assert answer["Audience"] == "client-a"


def test_the_credentials_expire_on_the_sandbox_clock(
    strict_server: Server, sandbox: SandboxInfo, advance: Callable[[float], None]
) -> None:
    creds = anonymous(strict_server).assume_role_with_web_identity(
        RoleArn=_role(sandbox), RoleSessionName="short", WebIdentityToken=make_jwt(lifetime=7200), DurationSeconds=900
    )["Credentials"]
    client = client_for(strict_server, creds)
    client.get_caller_identity()
    advance(901)
    with pytest.raises(client.exceptions.ClientError) as caught:
        client.get_caller_identity()
    assert error_of(caught)[:2] == ("ExpiredToken", 400)


def test_a_token_past_its_exp_on_the_sandbox_clock_is_expired(
    strict_server: Server, sandbox: SandboxInfo, advance: Callable[[float], None]
) -> None:
    token = make_jwt(lifetime=600)
    advance(601)
    sts = anonymous(strict_server)
    with pytest.raises(sts.exceptions.ExpiredTokenException) as caught:
        sts.assume_role_with_web_identity(RoleArn=_role(sandbox), RoleSessionName="late", WebIdentityToken=token)
    code, status, message = error_of(caught)
    assert (code, status) == ("ExpiredTokenException", 400)
    assert message == (
        "The web identity token that was passed is expired or is not valid. Get a new identity token from the "
        "identity provider and then retry the request."
    )
    headers = caught.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "text/xml"
    assert headers["x-amzn-requestid"]


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        "aaaa.bbbb.cccc",
        make_jwt(alg="none"),
        make_jwt(sub=None),
        make_jwt(aud=None),
        make_jwt(iss=None),
        make_jwt(exp="tomorrow"),
    ],
    ids=["opaque", "garbage", "unsigned", "no-sub", "no-aud", "no-iss", "bad-exp"],
)
def test_a_malformed_token_is_an_invalid_identity_token(
    strict_server: Server, sandbox: SandboxInfo, token: str
) -> None:
    sts = anonymous(strict_server)
    with pytest.raises(sts.exceptions.InvalidIdentityTokenException) as caught:
        sts.assume_role_with_web_identity(RoleArn=_role(sandbox), RoleSessionName="bad", WebIdentityToken=token)
    assert error_of(caught) == (
        "InvalidIdentityToken",
        400,
        "The web identity token that was passed could not be validated by Amazon Web Services. Get a new identity "
        "token from the identity provider and then retry the request.",
    )


def test_an_oauth_access_token_needs_its_provider_which_cannot_be_reached(
    strict_server: Server, sandbox: SandboxInfo
) -> None:
    sts = anonymous(strict_server)
    with pytest.raises(sts.exceptions.IDPCommunicationErrorException) as caught:
        sts.assume_role_with_web_identity(
            RoleArn=_role(sandbox),
            RoleSessionName="oauth",
            WebIdentityToken="Atza|opaque-token",
            ProviderId="www.amazon.com",
        )
    code, status, message = error_of(caught)
    assert (code, status) == ("IDPCommunicationError", 400)
    assert message.startswith("The request could not be fulfilled because the identity provider (IDP)")


def test_strict_mode_refuses_a_role_of_an_account_with_no_sandbox(strict_server: Server) -> None:
    sts = anonymous(strict_server)
    with pytest.raises(sts.exceptions.ClientError) as caught:
        sts.assume_role_with_web_identity(
            RoleArn="arn:aws:iam::100000000042:role/Nobody", RoleSessionName="x1", WebIdentityToken=make_jwt()
        )
    assert error_of(caught) == ("AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity")


def test_open_mode_makes_the_role_accounts_sandbox_on_first_use(daphne: Server, db_access: None) -> None:
    from playground.sandboxes.models import Sandbox, new_account_id

    account = new_account_id()
    answer = anonymous(daphne).assume_role_with_web_identity(
        RoleArn=f"arn:aws:iam::{account}:role/Fresh", RoleSessionName="first", WebIdentityToken=make_jwt()
    )
    assert Sandbox.objects.filter(account_id=account).exists()
    assert client_for(daphne, answer["Credentials"]).get_caller_identity()["Account"] == account


def test_an_invalid_role_arn_or_session_name_is_a_validation_error(strict_server: Server, sandbox: SandboxInfo) -> None:
    sts = anonymous(strict_server)
    with pytest.raises(sts.exceptions.ClientError) as caught:
        sts.assume_role_with_web_identity(
            RoleArn="arn:aws:iam::role/not-an-account", RoleSessionName="ok", WebIdentityToken=make_jwt()
        )
    assert error_of(caught)[:2] == ("ValidationError", 400)
    with pytest.raises(sts.exceptions.ClientError) as caught:
        sts.assume_role_with_web_identity(RoleArn=_role(sandbox), RoleSessionName="a b", WebIdentityToken=make_jwt())
    code, status, message = error_of(caught)
    assert (code, status) == ("ValidationError", 400)
    assert "roleSessionName" in message


def test_the_cli_assumes_a_role_with_a_web_identity(aws_cli: Any, strict_server: Server, sandbox: SandboxInfo) -> None:
    result = aws_cli(
        "sts", "assume-role-with-web-identity", "--role-arn", _role(sandbox), "--role-session-name", "cli",
        "--web-identity-token", make_jwt(sub="cli-user"), server=strict_server,
    )  # fmt: skip
    printed = json.loads(result.stdout)
    assert printed["SubjectFromWebIdentityToken"] == "cli-user"
    assert printed["Credentials"]["AccessKeyId"].startswith("ASIA")
    refused = aws_cli(
        "sts", "assume-role-with-web-identity", "--role-arn", _role(sandbox), "--role-session-name", "cli",
        "--web-identity-token", "garbage", server=strict_server, check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "InvalidIdentityToken" in refused.stderr
    assert "could not be validated by Amazon Web Services" in refused.stderr
