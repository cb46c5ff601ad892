"""AssumeRoleWithSAML through boto3 and the aws CLI: the SAML response read for its Role pairs,
RoleSessionName, NameID, Issuer and audience, as AWS documents; AWS's errors; credentials that
expire on the sandbox clock."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo, Server, error_of
from tests.services.sts.conftest import anonymous, client_for, make_saml

pytestmark = pytest.mark.live

INVALID = (
    "InvalidIdentityToken",
    400,
    "The web identity token that was passed could not be validated by Amazon Web Services. Get a new identity token "
    "from the identity provider and then retry the request.",
)


def _arns(sandbox: SandboxInfo, role: str = "SamlRole", provider: str = "MyIdP") -> dict[str, str]:
    return {
        "RoleArn": f"arn:aws:iam::{sandbox.account_id}:role/{role}",
        "PrincipalArn": f"arn:aws:iam::{sandbox.account_id}:saml-provider/{provider}",
    }


def test_a_saml_assertion_assumes_the_role_it_names(strict_server: Server, sandbox: SandboxInfo) -> None:
    other = f"arn:aws:iam::{sandbox.account_id}:role/Other,arn:aws:iam::{sandbox.account_id}:saml-provider/MyIdP"
    answer = anonymous(strict_server).assume_role_with_saml(
        **_arns(sandbox), SAMLAssertion=make_saml(account_id=sandbox.account_id, extra_roles=(other,))
    )
    assert answer["Subject"] == "alice@example.com"
    assert answer["SubjectType"] == "persistent"
    assert answer["Issuer"] == "https://idp.example.com/saml"
    assert answer["Audience"] == "https://signin.aws.amazon.com/saml"
    expected = hashlib.sha1(  # noqa: S324  (AWS's documented NameQualifier)
        f"https://idp.example.com/saml{sandbox.account_id}/MyIdP".encode()
    ).digest()
    assert answer["NameQualifier"] == base64.b64encode(expected).decode()
    arn = f"arn:aws:sts::{sandbox.account_id}:assumed-role/SamlRole/alice@example.com"
    assert answer["AssumedRoleUser"]["Arn"] == arn
    identity = client_for(strict_server, answer["Credentials"]).get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == (sandbox.account_id, arn)


def test_the_other_role_of_the_assertion_can_be_chosen_too(strict_server: Server, sandbox: SandboxInfo) -> None:
    # Role values may name the provider first, as some identity providers write them.
    other = f"arn:aws:iam::{sandbox.account_id}:saml-provider/MyIdP,arn:aws:iam::{sandbox.account_id}:role/Other"
    answer = anonymous(strict_server).assume_role_with_saml(
        **_arns(sandbox, role="Other"),
        SAMLAssertion=make_saml(account_id=sandbox.account_id, extra_roles=(other,), name_format="urn:example:custom"),
    )
    assert answer["AssumedRoleUser"]["Arn"].endswith(":assumed-role/Other/alice@example.com")
    assert answer["SubjectType"] == "urn:example:custom"  # a format outside SAML's own prefix comes back whole


def test_a_role_the_assertion_does_not_name_is_not_authorized(strict_server: Server, sandbox: SandboxInfo) -> None:
    sts = anonymous(strict_server)
    with pytest.raises(sts.exceptions.ClientError) as caught:
        sts.assume_role_with_saml(
            **_arns(sandbox, role="Admin"), SAMLAssertion=make_saml(account_id=sandbox.account_id)
        )
    assert error_of(caught) == ("AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML")


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda account: base64.b64encode(b"<not-xml").decode(), "not XML"),
        (lambda account: "%%%not base64%%%", "not base64"),
        (
            lambda account: make_saml(
                account_id=account,
                doctype='<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>',
            ),
            "a DTD (entity expansion)",
        ),
        (lambda account: base64.b64encode(b"<Response/>").decode(), "not a SAML response"),
    ],
)
def test_an_unreadable_assertion_is_an_invalid_identity_token(
    strict_server: Server, sandbox: SandboxInfo, make: Callable[[str], str], why: str
) -> None:
    sts = anonymous(strict_server)
    with pytest.raises(sts.exceptions.InvalidIdentityTokenException) as caught:
        sts.assume_role_with_saml(**_arns(sandbox), SAMLAssertion=make(sandbox.account_id))
    assert error_of(caught) == INVALID, why


def test_an_assertion_past_not_on_or_after_on_the_sandbox_clock_is_expired(
    strict_server: Server, sandbox: SandboxInfo, advance: Callable[[float], None]
) -> None:
    assertion = make_saml(account_id=sandbox.account_id, lifetime=300)
    advance(301)
    sts = anonymous(strict_server)
    with pytest.raises(sts.exceptions.ExpiredTokenException) as caught:
        sts.assume_role_with_saml(**_arns(sandbox), SAMLAssertion=assertion)
    assert error_of(caught)[:2] == ("ExpiredTokenException", 400)


def test_the_credentials_expire_on_the_sandbox_clock(
    strict_server: Server, sandbox: SandboxInfo, advance: Callable[[float], None], db_access: None
) -> None:
    from playground.sandboxes.models import AccessKey

    answer = anonymous(strict_server).assume_role_with_saml(
        **_arns(sandbox), SAMLAssertion=make_saml(account_id=sandbox.account_id, session_duration=900, lifetime=3600)
    )
    key = AccessKey.objects.get(access_key_id=answer["Credentials"]["AccessKeyId"])
    assert key.expires_at is not None
    lasts = (key.expires_at - key.created_at).total_seconds()
    assert 899 <= lasts <= 900  # SessionDuration won over 3600 (Expiration is in whole seconds)
    client = client_for(strict_server, answer["Credentials"])
    client.get_caller_identity()
    advance(901)
    with pytest.raises(client.exceptions.ClientError) as caught:
        client.get_caller_identity()
    assert error_of(caught)[:2] == ("ExpiredToken", 400)


def test_strict_mode_refuses_a_role_of_an_account_with_no_sandbox(strict_server: Server) -> None:
    sts = anonymous(strict_server)
    with pytest.raises(sts.exceptions.ClientError) as caught:
        sts.assume_role_with_saml(
            RoleArn="arn:aws:iam::100000000042:role/SamlRole",
            PrincipalArn="arn:aws:iam::100000000042:saml-provider/MyIdP",
            SAMLAssertion=make_saml(account_id="100000000042"),
        )
    assert error_of(caught) == ("AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML")


def test_the_cli_assumes_a_role_with_saml(aws_cli: Any, strict_server: Server, sandbox: SandboxInfo) -> None:
    arns = _arns(sandbox)
    result = aws_cli(
        "sts", "assume-role-with-saml", "--role-arn", arns["RoleArn"], "--principal-arn", arns["PrincipalArn"],
        "--saml-assertion", make_saml(account_id=sandbox.account_id), server=strict_server,
    )  # fmt: skip
    printed = json.loads(result.stdout)
    assert printed["Subject"] == "alice@example.com"
    assert printed["Credentials"]["AccessKeyId"].startswith("ASIA")
