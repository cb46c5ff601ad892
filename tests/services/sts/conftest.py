"""Fixtures for the STS tests: clients for the test's sandbox and for credentials STS hands out,
web identity tokens and SAML responses as identity providers make them, and the sandbox clock."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from typing import Any

import boto3

from tests.conftest import NO_RETRY, Server


def client_for(server: Server, credentials: dict[str, Any], service: str = "sts") -> Any:
    """A client signing with credentials an STS operation returned."""
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        config=NO_RETRY,
    )


def anonymous(server: Server) -> Any:
    """An STS client with keys no sandbox holds: AssumeRoleWithWebIdentity and AssumeRoleWithSAML
    go unsigned whatever the client holds, so in strict mode only an unsigned call can succeed."""
    return boto3.client(
        "sts", endpoint_url=server.url, region_name="us-east-1",
        aws_access_key_id="AKIANOBODYNOBODY0000", aws_secret_access_key="x" * 40, config=NO_RETRY,
    )  # fmt: skip


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(*, alg: str = "RS256", lifetime: int = 600, **claims: Any) -> str:
    """An OpenID Connect ID token as an identity provider issues it (signature not checked here)."""
    now = int(time.time())
    payload = {
        "iss": "https://token.example.com",
        "sub": "user-123",
        "aud": "my-app",
        "iat": now,
        "exp": now + lifetime,
    }
    payload.update(claims)
    payload = {key: value for key, value in payload.items() if value is not None}
    header = {"alg": alg, "typ": "JWT", "kid": "key-1"}
    return ".".join(
        [_b64url(json.dumps(header).encode()), _b64url(json.dumps(payload).encode()), _b64url(b"signature")]
    )


def make_saml(
    *,
    account_id: str,
    role: str = "SamlRole",
    provider: str = "MyIdP",
    session_name: str = "alice@example.com",
    name_id: str = "alice@example.com",
    name_format: str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    issuer: str = "https://idp.example.com/saml",
    lifetime: int = 300,
    session_duration: int | None = None,
    extra_roles: tuple[str, ...] = (),
    doctype: str = "",
) -> str:
    """A base64 SAMLResponse with AWS's Role and RoleSessionName attributes."""
    ends = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=lifetime)).strftime("%Y-%m-%dT%H:%M:%SZ")
    roles = [f"arn:aws:iam::{account_id}:role/{role},arn:aws:iam::{account_id}:saml-provider/{provider}", *extra_roles]
    role_values = "".join(f"<saml:AttributeValue>{value}</saml:AttributeValue>" for value in roles)
    duration = (
        '<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration">'
        f"<saml:AttributeValue>{session_duration}</saml:AttributeValue></saml:Attribute>"
        if session_duration
        else ""
    )
    xml = f"""{doctype}<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
    xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="r1" Version="2.0">
  <saml:Issuer>{issuer}</saml:Issuer>
  <saml:Assertion ID="a1" Version="2.0">
    <saml:Issuer>{issuer}</saml:Issuer>
    <saml:Subject>
      <saml:NameID Format="{name_format}">{name_id}</saml:NameID>
      <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
        <saml:SubjectConfirmationData NotOnOrAfter="{ends}" Recipient="https://signin.aws.amazon.com/saml"/>
      </saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions NotOnOrAfter="{ends}">
      <saml:AudienceRestriction><saml:Audience>https://signin.aws.amazon.com/saml</saml:Audience></saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AttributeStatement>
      <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">{role_values}</saml:Attribute>
      <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">
        <saml:AttributeValue>{session_name}</saml:AttributeValue>
      </saml:Attribute>
      {duration}
    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>"""
    return base64.b64encode(xml.encode()).decode()
