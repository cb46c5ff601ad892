"""Temporary credentials of every kind through boto3 (GetFederationToken, GetSessionToken, AssumeRole
chains, AssumeRoot, GetScopedCredentials, GetDelegatedAccessToken), the rules on who may ask for
which, GetAccessKeyInfo and DecodeAuthorizationMessage; each with AWS's code, status and message,
and each set of credentials expiring on the sandbox clock."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo, Server, error_of
from tests.services.sts.conftest import client_for

pytestmark = pytest.mark.live


@pytest.fixture
def sts(aws: Callable[..., Any], strict_server: Server) -> Any:
    """The sandbox's STS client against the strict server (signatures and expiry checked)."""
    return aws("sts", server=strict_server)


def _expires_on_the_clock(
    server: Server, creds: dict[str, Any], seconds: int, advance: Callable[[float], None]
) -> None:
    # The sandbox clock also runs in real time meanwhile, and Expiration is in whole seconds: a margin.
    client = client_for(server, creds)
    client.get_caller_identity()
    advance(seconds - 10)
    client.get_caller_identity()
    advance(11)
    with pytest.raises(client.exceptions.ClientError) as caught:
        client.get_caller_identity()
    assert error_of(caught) == ("ExpiredToken", 400, "The security token included in the request is expired")


# --- GetFederationToken ---------------------------------------------------------------------------


def test_a_federation_token_names_the_federated_user(sts: Any, strict_server: Server, sandbox: SandboxInfo) -> None:
    policy = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}
    )
    answer = sts.get_federation_token(Name="Bob", Policy=policy, DurationSeconds=900)
    arn = f"arn:aws:sts::{sandbox.account_id}:federated-user/Bob"
    assert answer["FederatedUser"] == {"FederatedUserId": f"{sandbox.account_id}:Bob", "Arn": arn}
    assert 0 < answer["PackedPolicySize"] <= 100
    assert answer["Credentials"]["AccessKeyId"].startswith("ASIA")
    identity = client_for(strict_server, answer["Credentials"]).get_caller_identity()
    assert identity == {**identity, "Account": sandbox.account_id, "Arn": arn, "UserId": f"{sandbox.account_id}:Bob"}


def test_federation_tokens_expire_on_the_sandbox_clock(
    sts: Any, strict_server: Server, advance: Callable[[float], None]
) -> None:
    creds = sts.get_federation_token(Name="Brief", DurationSeconds=900)["Credentials"]
    _expires_on_the_clock(strict_server, creds, 900, advance)


def test_a_federated_user_may_call_only_get_caller_identity(
    sts: Any, strict_server: Server, sandbox: SandboxInfo
) -> None:
    federated = client_for(strict_server, sts.get_federation_token(Name="Carol")["Credentials"])
    role = f"arn:aws:iam::{sandbox.account_id}:role/Lab"
    with pytest.raises(federated.exceptions.ClientError) as caught:
        federated.assume_role(RoleArn=role, RoleSessionName="nope")
    assert error_of(caught) == (
        "AccessDenied",
        403,
        f"User: arn:aws:sts::{sandbox.account_id}:federated-user/Carol is not authorized to perform: sts:AssumeRole "
        f"on resource: {role}",
    )


def test_session_credentials_cannot_get_federation_or_session_tokens(sts: Any, strict_server: Server) -> None:
    session = client_for(strict_server, sts.get_session_token(DurationSeconds=900)["Credentials"])
    for call, operation in ((lambda: session.get_federation_token(Name="Dan"), "GetFederationToken"),
                            (lambda: session.get_session_token(), "GetSessionToken")):  # fmt: skip
        with pytest.raises(session.exceptions.ClientError) as caught:
            call()
        assert error_of(caught) == ("AccessDenied", 403, f"Cannot call {operation} with session credentials")


def test_a_policy_that_is_not_json_is_malformed(sts: Any) -> None:
    with pytest.raises(sts.exceptions.MalformedPolicyDocumentException) as caught:
        sts.get_federation_token(Name="Eve", Policy="{not json")
    assert error_of(caught) == ("MalformedPolicyDocument", 400, "Syntax errors in policy.")


def test_a_federated_user_name_must_match_the_pattern(sts: Any) -> None:
    with pytest.raises(sts.exceptions.ClientError) as caught:
        sts.get_federation_token(Name="no spaces")
    code, status, message = error_of(caught)
    assert (code, status) == ("ValidationError", 400)
    assert message.startswith("1 validation error detected: Value 'no spaces' at 'name'")


# --- AssumeRole chains and session tokens -----------------------------------------------------------


def test_role_chaining_is_limited_to_an_hour(sts: Any, strict_server: Server, sandbox: SandboxInfo) -> None:
    role = f"arn:aws:iam::{sandbox.account_id}:role/First"
    first = client_for(strict_server, sts.assume_role(RoleArn=role, RoleSessionName="one")["Credentials"])
    with pytest.raises(first.exceptions.ClientError) as caught:
        first.assume_role(RoleArn=role, RoleSessionName="two", DurationSeconds=7200)
    assert error_of(caught) == (
        "ValidationError",
        400,
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    )
    chained = first.assume_role(RoleArn=role, RoleSessionName="two", DurationSeconds=3600, SourceIdentity="ada")
    assert chained["SourceIdentity"] == "ada"


def test_session_token_credentials_may_assume_a_role(sts: Any, strict_server: Server, sandbox: SandboxInfo) -> None:
    session = client_for(strict_server, sts.get_session_token(DurationSeconds=900)["Credentials"])
    assumed = session.assume_role(RoleArn=f"arn:aws:iam::{sandbox.account_id}:role/Lab", RoleSessionName="via-session")
    assert assumed["AssumedRoleUser"]["Arn"].endswith(":assumed-role/Lab/via-session")
    with pytest.raises(session.exceptions.ClientError) as caught:
        session.get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")
    assert error_of(caught)[:2] == ("AccessDenied", 403)


def test_minimum_session_token_size_pads_the_token(sts: Any) -> None:
    answer = sts.get_session_token(DurationSeconds=900, MinimumSessionTokenSize=2048)
    assert len(answer["Credentials"]["SessionToken"]) >= 2048
    assert answer["SessionTokenSize"] == len(answer["Credentials"]["SessionToken"])
    assert answer["SessionTokenUtilization"] == 50


# --- GetAccessKeyInfo and DecodeAuthorizationMessage ------------------------------------------------


def test_get_access_key_info_names_the_owning_account(
    sts: Any, sandbox: SandboxInfo, make_sandbox: Callable[..., SandboxInfo]
) -> None:
    other = make_sandbox("other")
    assert sts.get_access_key_info(AccessKeyId=sandbox.access_key_id)["Account"] == sandbox.account_id
    assert sts.get_access_key_info(AccessKeyId=other.access_key_id)["Account"] == other.account_id
    temporary = sts.get_session_token(DurationSeconds=900)["Credentials"]["AccessKeyId"]
    assert sts.get_access_key_info(AccessKeyId=temporary)["Account"] == sandbox.account_id
    with pytest.raises(sts.exceptions.ClientError) as caught:
        sts.get_access_key_info(AccessKeyId="AKIAUNKNOWNUNKNOWN00")
    assert error_of(caught)[:2] == ("ValidationError", 400)


def test_an_encoded_authorization_message_decodes_for_its_account(
    sts: Any, aws: Callable[..., Any], sandbox: SandboxInfo, make_sandbox: Callable[..., SandboxInfo], db_access: None
) -> None:
    from playground.sandboxes.models import Sandbox
    from services.sts.public import authorization_message

    arn = f"arn:aws:iam::{sandbox.account_id}:user/playground"
    encoded = authorization_message(
        sandbox=Sandbox.objects.get(pk=sandbox.id), principal_arn=arn, action="ec2:RunInstances", resource="*"
    )
    decoded = json.loads(sts.decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
    assert decoded["allowed"] is False
    assert decoded["context"]["principal"]["arn"] == arn
    assert decoded["context"]["action"] == "ec2:RunInstances"
    stranger = aws("sts", info=make_sandbox("stranger"))
    for client, message in ((stranger, encoded), (sts, "garbage")):
        with pytest.raises(client.exceptions.InvalidAuthorizationMessageException) as caught:
            client.decode_authorization_message(EncodedMessage=message)
        assert error_of(caught) == (
            "InvalidAuthorizationMessageException",
            400,
            "The error returned if the message passed to DecodeAuthorizationMessage was invalid.",
        )


# --- AssumeRoot, GetScopedCredentials, GetDelegatedAccessToken --------------------------------------

ROOT_TASK = {"arn": "arn:aws:iam::aws:policy/root-task/SQSUnlockQueuePolicy"}


def test_assume_root_gives_the_accounts_root_for_fifteen_minutes(
    sts: Any, strict_server: Server, sandbox: SandboxInfo, advance: Callable[[float], None]
) -> None:
    creds = sts.assume_root(TargetPrincipal=sandbox.account_id, TaskPolicyArn=ROOT_TASK)["Credentials"]
    identity = client_for(strict_server, creds).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{sandbox.account_id}:root"
    assert identity["UserId"] == sandbox.account_id
    _expires_on_the_clock(strict_server, creds, 900, advance)


def test_assume_root_refuses_another_account_and_other_policies(sts: Any, sandbox: SandboxInfo) -> None:
    with pytest.raises(sts.exceptions.ClientError) as caught:
        sts.assume_root(TargetPrincipal="100000000042", TaskPolicyArn=ROOT_TASK)
    assert error_of(caught)[:2] == ("AccessDenied", 403)
    with pytest.raises(sts.exceptions.ClientError) as caught:
        sts.assume_root(
            TargetPrincipal=sandbox.account_id, TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/AdministratorAccess"}
        )
    assert error_of(caught)[:2] == ("ValidationError", 400)


def test_scoped_credentials_keep_the_identity_and_stack_at_most_three_policies(
    sts: Any, strict_server: Server, sandbox: SandboxInfo
) -> None:
    with pytest.raises(sts.exceptions.ClientError) as caught:
        sts.get_scoped_credentials(DurationSeconds=60)
    assert error_of(caught) == ("AccessDenied", 403, "Cannot call GetScopedCredentials with long-term credentials")
    policy = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}
    )
    assumed = sts.assume_role(RoleArn=f"arn:aws:iam::{sandbox.account_id}:role/Lab", RoleSessionName="scope")
    client = client_for(strict_server, assumed["Credentials"])
    for layer in (1, 2, 3):
        answer = client.get_scoped_credentials(Policy=policy)
        assert answer["ScopedPoliciesCount"] == layer
        assert answer["SessionInfo"]["Arn"] == assumed["AssumedRoleUser"]["Arn"]
        assert answer["SessionInfo"]["ScopedSessionId"] == assumed["AssumedRoleUser"]["AssumedRoleId"]
        assert answer["Credentials"]["Expiration"] == assumed["Credentials"]["Expiration"]  # inherited
        client = client_for(strict_server, answer["Credentials"])
        assert client.get_caller_identity()["Arn"] == assumed["AssumedRoleUser"]["Arn"]
    with pytest.raises(client.exceptions.ClientError) as caught:
        client.get_scoped_credentials(Policy=policy)
    assert error_of(caught)[:2] == ("AccessDenied", 403)
    shorter = client.get_scoped_credentials(DurationSeconds=60)  # no new policy layer: allowed
    assert shorter["ScopedPoliciesCount"] == 3
    with pytest.raises(client.exceptions.ClientError) as caught:
        client.get_scoped_credentials(DurationSeconds=129600)
    assert error_of(caught) == (
        "InsufficientSessionLifetime",
        400,
        "The request was rejected because the requested DurationSeconds is greater than the remaining lifetime of the "
        "calling session.",
    )


def test_a_trade_in_token_becomes_credentials_until_it_expires(
    sts: Any, strict_server: Server, sandbox: SandboxInfo, advance: Callable[[float], None], db_access: None
) -> None:
    from playground.sandboxes.models import Sandbox
    from services.sts.public import trade_in_token

    box = Sandbox.objects.get(pk=sandbox.id)
    arn = f"arn:aws:sts::{sandbox.account_id}:assumed-role/Partner/delegated"
    token = trade_in_token(sandbox=box, principal_arn=arn, now=box.clock.now(), seconds=300)
    answer = sts.get_delegated_access_token(TradeInToken=token)
    assert answer["AssumedPrincipal"] == arn
    assert client_for(strict_server, answer["Credentials"]).get_caller_identity()["Arn"] == arn
    advance(301)
    with pytest.raises(sts.exceptions.ExpiredTradeInTokenException) as caught:
        sts.get_delegated_access_token(TradeInToken=token)
    assert error_of(caught)[:2] == ("ExpiredTradeInTokenException", 400)
    with pytest.raises(sts.exceptions.ClientError) as caught:
        sts.get_delegated_access_token(TradeInToken="garbage")
    assert error_of(caught) == ("AccessDenied", 403, "The trade-in token is not valid.")


def test_every_expiration_is_a_sandbox_clock_time(
    sts: Any, sandbox: SandboxInfo, advance: Callable[[float], None]
) -> None:
    advance(30 * 86400)  # a month ahead of the wall clock
    creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
    ahead = creds["Expiration"] - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=29) < ahead < dt.timedelta(days=31)


def test_session_tokens_expire_on_the_sandbox_clock(
    sts: Any, strict_server: Server, advance: Callable[[float], None]
) -> None:
    _expires_on_the_clock(strict_server, sts.get_session_token(DurationSeconds=900)["Credentials"], 900, advance)


def test_scoped_credentials_expire_on_the_sandbox_clock(
    sts: Any, strict_server: Server, sandbox: SandboxInfo, advance: Callable[[float], None]
) -> None:
    assumed = sts.assume_role(RoleArn=f"arn:aws:iam::{sandbox.account_id}:role/Lab", RoleSessionName="scoped")
    scoped = client_for(strict_server, assumed["Credentials"]).get_scoped_credentials(DurationSeconds=60)
    _expires_on_the_clock(strict_server, scoped["Credentials"], 60, advance)


def test_delegated_credentials_expire_on_the_sandbox_clock(
    sts: Any, strict_server: Server, sandbox: SandboxInfo, advance: Callable[[float], None], db_access: None
) -> None:
    from playground.sandboxes.models import Sandbox
    from services.sts.public import trade_in_token

    box = Sandbox.objects.get(pk=sandbox.id)
    token = trade_in_token(
        sandbox=box, principal_arn=f"arn:aws:iam::{sandbox.account_id}:user/partner", now=box.clock.now()
    )
    creds = sts.get_delegated_access_token(TradeInToken=token)["Credentials"]
    _expires_on_the_clock(strict_server, creds, 3600, advance)


def test_a_web_identity_token_sts_issued_expires_on_the_sandbox_clock(
    sts: Any, strict_server: Server, sandbox: SandboxInfo, advance: Callable[[float], None]
) -> None:
    from tests.services.sts.conftest import anonymous

    token = sts.get_web_identity_token(Audience=["a"], SigningAlgorithm="ES384", DurationSeconds=60)["WebIdentityToken"]
    role = f"arn:aws:iam::{sandbox.account_id}:role/Next"
    anonymous(strict_server).assume_role_with_web_identity(
        RoleArn=role, RoleSessionName="in-time", WebIdentityToken=token
    )
    advance(61)
    with pytest.raises(sts.exceptions.ExpiredTokenException):
        anonymous(strict_server).assume_role_with_web_identity(
            RoleArn=role, RoleSessionName="too-late", WebIdentityToken=token
        )
