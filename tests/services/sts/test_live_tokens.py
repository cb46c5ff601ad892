"""GetWebIdentityToken's signed JWTs, verified with the key set the sandbox's issuer publishes, and
the workload identity operations (GetCertificate, GetTrustBundles, IssueWorkloadIdentityContext),
which answer as AWS answers an account without workload identity templates."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.conftest import SandboxInfo, Server, error_of
from tests.services.sts.conftest import anonymous, client_for, make_jwt

pytestmark = pytest.mark.live


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _verify(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """Check the token's signature with the published key its kid names; its claims."""
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(_b64(header_b64))
    [jwk] = [key for key in jwks["keys"] if key["kid"] == header["kid"]]
    data, signature = f"{header_b64}.{payload_b64}".encode(), _b64(signature_b64)
    number = lambda name: int.from_bytes(_b64(jwk[name]), "big")  # noqa: E731
    if jwk["kty"] == "RSA":
        public = rsa.RSAPublicNumbers(number("e"), number("n")).public_key()
        public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    else:
        public_ec = ec.EllipticCurvePublicNumbers(number("x"), number("y"), ec.SECP384R1()).public_key()
        der = encode_dss_signature(int.from_bytes(signature[:48], "big"), int.from_bytes(signature[48:], "big"))
        public_ec.verify(der, data, ec.ECDSA(hashes.SHA384()))
    return dict(json.loads(_b64(payload_b64)))


@pytest.mark.parametrize("algorithm", ["RS256", "ES384"])
def test_a_web_identity_token_verifies_with_the_published_keys(
    aws: Callable[..., Any], sandbox: SandboxInfo, algorithm: str
) -> None:
    sts = aws("sts")
    answer = sts.get_web_identity_token(
        Audience=["https://api.example.com"], SigningAlgorithm=algorithm, Tags=[{"Key": "team", "Value": "blue"}]
    )
    claims = json.loads(_b64(answer["WebIdentityToken"].split(".")[1]))
    # The issuer is PLAYGROUND_PUBLIC_URL/sts/<account>; the test server answers the same paths.
    assert claims["iss"].endswith(f"/sts/{sandbox.account_id}")
    issuer_path = claims["iss"].split("/sts/", 1)[1]
    server_url = sts.meta.endpoint_url
    config = requests.get(f"{server_url}/sts/{issuer_path}/.well-known/openid-configuration", timeout=10).json()
    assert config["issuer"] == claims["iss"]
    jwks = requests.get(f"{server_url}/sts/{issuer_path}/.well-known/jwks.json", timeout=10).json()
    verified = _verify(answer["WebIdentityToken"], jwks)
    assert verified["sub"] == f"arn:aws:iam::{sandbox.account_id}:user/playground"
    assert verified["aud"] == "https://api.example.com"
    assert verified["exp"] - verified["iat"] == 300
    assert verified["https://sts.amazonaws.com/"]["aws_account"] == sandbox.account_id
    assert verified["https://sts.amazonaws.com/"]["request_tags"] == {"team": "blue"}
    assert int(answer["Expiration"].timestamp()) == verified["exp"]


def test_a_token_may_not_outlive_the_calling_session(aws: Callable[..., Any], strict_server: Server) -> None:
    sts = aws("sts", server=strict_server)
    assumed = sts.assume_role(
        RoleArn=f"arn:aws:iam::{sts.get_caller_identity()['Account']}:role/Tok",
        RoleSessionName="tok",
        DurationSeconds=900,
    )
    role = client_for(strict_server, assumed["Credentials"])
    role.get_web_identity_token(Audience=["a"], SigningAlgorithm="ES384", DurationSeconds=600)
    with pytest.raises(role.exceptions.SessionDurationEscalationException) as caught:
        role.get_web_identity_token(Audience=["a"], SigningAlgorithm="ES384", DurationSeconds=1800)
    assert error_of(caught) == (
        "SessionDurationEscalationException",
        403,
        "The requested token duration would extend the session beyond its original expiration time.",
    )


def test_a_role_sessions_token_names_the_role_and_its_origin_identity(
    strict_server: Server, sandbox: SandboxInfo
) -> None:
    web = anonymous(strict_server).assume_role_with_web_identity(
        RoleArn=f"arn:aws:iam::{sandbox.account_id}:role/Fed", RoleSessionName="o1",
        WebIdentityToken=make_jwt(sub="person-7"),
    )  # fmt: skip
    role = client_for(strict_server, web["Credentials"])
    token = role.get_web_identity_token(Audience=["x"], SigningAlgorithm="RS256")["WebIdentityToken"]
    plain = json.loads(_b64(token.split(".")[1]))
    assert plain["sub"] == f"arn:aws:iam::{sandbox.account_id}:role/Fed"
    origin = role.get_web_identity_token(Audience=["x"], SigningAlgorithm="RS256", SubjectMode="OriginIdentity")
    assert json.loads(_b64(origin["WebIdentityToken"].split(".")[1]))["sub"] == "person-7"
    # A token STS issued is itself a web identity token another role can be assumed with.
    again = anonymous(strict_server).assume_role_with_web_identity(
        RoleArn=f"arn:aws:iam::{sandbox.account_id}:role/Downstream", RoleSessionName="o2",
        WebIdentityToken=origin["WebIdentityToken"],
    )  # fmt: skip
    assert again["SubjectFromWebIdentityToken"] == "person-7"


def test_web_identity_token_requests_are_checked_as_aws_documents(aws: Callable[..., Any]) -> None:
    sts = aws("sts")
    cases: list[tuple[dict[str, Any], tuple[str, int]]] = [
        ({"TokenType": "AWSIdentity", "SubjectMode": "AWSIdentity"}, ("ValidationError", 400)),
        ({"TokenType": "JWT_SVID", "Audience": ["a", "b"]}, ("ValidationError", 400)),
        ({"TokenType": "JWT_SVID"}, ("AccessDenied", 403)),
        ({"SigningAlgorithm": "HS256"}, ("ValidationError", 400)),
        ({"Scope": " leading-space"}, ("ValidationError", 400)),
        ({"SubjectMode": "OriginIdentity"}, ("ValidationError", 400)),
    ]
    for extra, expected in cases:
        params: dict[str, Any] = {"Audience": ["a"], "SigningAlgorithm": "RS256", **extra}
        with pytest.raises(sts.exceptions.ClientError) as caught:
            sts.get_web_identity_token(**params)
        assert error_of(caught)[:2] == expected, extra


def test_workload_identity_operations_answer_as_for_an_account_without_templates(
    aws: Callable[..., Any], sandbox: SandboxInfo
) -> None:
    sts = aws("sts")
    with pytest.raises(sts.exceptions.ClientError) as caught:
        sts.get_certificate(CertificateSigningRequest="-----BEGIN CERTIFICATE REQUEST-----")
    assert error_of(caught) == (
        "AccessDenied",
        403,
        f"User: arn:aws:iam::{sandbox.account_id}:user/playground is not authorized to perform: sts:GetCertificate "
        "because the calling session has no workload identity",
    )
    with pytest.raises(sts.exceptions.ClientError) as caught:
        sts.get_trust_bundles(ProviderArn="arn:aws:iam::x:not-a-provider/p1")
    assert error_of(caught)[:2] == ("ValidationError", 400)
    provider = f"arn:aws:iam::{sandbox.account_id}:workload-identity-provider/p1"
    with pytest.raises(sts.exceptions.ResourceNotFoundException) as caught:
        sts.get_trust_bundles(ProviderArn=provider)
    assert error_of(caught)[:2] == ("ResourceNotFoundException", 404)
    template = f"arn:aws:iam::{sandbox.account_id}:workload-identity-template/t1"
    with pytest.raises(sts.exceptions.InvalidAttestationDocumentException) as caught:
        sts.issue_workload_identity_context(WorkloadIdentityTemplateArn=template, AttestationDocument="[1]")
    assert error_of(caught)[:2] == ("InvalidAttestationDocument", 400)
    assert caught.value.response["reason"] == "The attestation document must be a JSON object with at least one key."
    with pytest.raises(sts.exceptions.ClientError) as caught:
        sts.issue_workload_identity_context(WorkloadIdentityTemplateArn=template, AttestationDocument='{"image": "x"}')
    assert error_of(caught)[:2] == ("AccessDenied", 403)
