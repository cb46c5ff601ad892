"""GetWebIdentityToken: JSON Web Tokens that STS signs for the calling identity, and the keys that
verify them.

Each sandbox signs with its own keys, one per algorithm (RS256: RSA 2048 with SHA-256; ES384:
ECDSA P-384 with SHA-384), made on first use and stored encrypted. The token's issuer is the
sandbox's address under this server, which serves the OpenID Connect discovery document and the
key set there (views.py), so a relying party can verify tokens as it would AWS's:

    {issuer}/.well-known/openid-configuration      issuer = PLAYGROUND_PUBLIC_URL/sts/<account id>
    {issuer}/.well-known/jwks.json
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from django.conf import settings
from django.db import IntegrityError, transaction

from playground.sandboxes.models import Sandbox, decrypt_secret, encrypt_secret
from services.sts.models import SigningKey

ALGORITHMS = ("RS256", "ES384")
NAMESPACE = "https://sts.amazonaws.com/"  # AWS's claim namespace for the identity's details

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _int_bytes(number: int, size: int | None = None) -> bytes:
    return number.to_bytes(size or max(1, (number.bit_length() + 7) // 8), "big")


def issuer_url(account_id: str) -> str:
    return f"{settings.PLAYGROUND_PUBLIC_URL.rstrip('/')}/sts/{account_id}"


def _new_private_key(algorithm: str) -> PrivateKey:
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP384R1())


def signing_key(*, sandbox: Sandbox, algorithm: str, now: dt.datetime) -> SigningKey:
    """The sandbox's key for `algorithm`, made on first use."""
    found = SigningKey.objects.filter(sandbox=sandbox, algorithm=algorithm).first()
    if found is not None:
        return found
    pem = _new_private_key(algorithm).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        with transaction.atomic():
            return SigningKey.objects.create(
                sandbox=sandbox,
                algorithm=algorithm,
                key_id=uuid.uuid4().hex,
                encrypted_private_key=encrypt_secret(pem.decode("ascii")),
                created_at=now,
            )
    except IntegrityError:  # made by a concurrent call just now
        return SigningKey.objects.get(sandbox=sandbox, algorithm=algorithm)


def _private(key: SigningKey) -> PrivateKey:
    loaded = serialization.load_pem_private_key(decrypt_secret(key.encrypted_private_key).encode(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise TypeError(f"unexpected key type for {key}")
    return loaded


def _sign(key: SigningKey, data: bytes) -> bytes:
    private = _private(key)
    if isinstance(private, rsa.RSAPrivateKey):
        return private.sign(data, padding.PKCS1v15(), hashes.SHA256())
    r, s = decode_dss_signature(private.sign(data, ec.ECDSA(hashes.SHA384())))
    return _int_bytes(r, 48) + _int_bytes(s, 48)


def token_sign(*, key: SigningKey, claims: dict[str, Any]) -> str:
    header = {"alg": key.algorithm, "typ": "JWT", "kid": key.key_id}
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url(json.dumps(claims, separators=(",", ":")).encode())
    )
    return signing_input + "." + b64url(_sign(key, signing_input.encode("ascii")))


def token_issue(
    *,
    sandbox: Sandbox,
    subject: str,
    principal_arn: str,
    audiences: list[str],
    seconds: int,
    algorithm: str,
    scope: str | None,
    tags: list[dict[str, str]] | None,
    now: dt.datetime,
) -> tuple[str, dt.datetime]:
    """A signed token for the caller, valid `seconds` from `now` on the sandbox clock."""
    issued = int(now.timestamp())
    expires_at = dt.datetime.fromtimestamp(issued + seconds, dt.UTC)
    details: dict[str, Any] = {"aws_account": sandbox.account_id, "principal_id": principal_arn}
    if tags:
        details["request_tags"] = {tag["Key"]: tag["Value"] for tag in tags}
    claims: dict[str, Any] = {
        "iss": issuer_url(sandbox.account_id),
        "sub": subject,
        "aud": audiences[0] if len(audiences) == 1 else audiences,
        "iat": issued,
        "nbf": issued,
        "exp": issued + seconds,
        "jti": str(uuid.uuid4()),
        NAMESPACE: details,
    }
    if scope:
        claims["scope"] = scope
    token = token_sign(key=signing_key(sandbox=sandbox, algorithm=algorithm, now=now), claims=claims)
    return token, expires_at


def _jwk(key: SigningKey) -> dict[str, str]:
    public = _private(key).public_key()
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        return {"kty": "RSA", "n": b64url(_int_bytes(numbers.n)), "e": b64url(_int_bytes(numbers.e))} | {
            "kid": key.key_id, "alg": key.algorithm, "use": "sig",
        }  # fmt: skip
    if not isinstance(public, ec.EllipticCurvePublicKey):
        raise TypeError(f"unexpected key type for {key}")
    point = public.public_numbers()
    return {
        "kty": "EC", "crv": "P-384", "x": b64url(_int_bytes(point.x, 48)), "y": b64url(_int_bytes(point.y, 48)),
        "kid": key.key_id, "alg": key.algorithm, "use": "sig",
    }  # fmt: skip


def key_set(*, sandbox: Sandbox) -> dict[str, Any]:
    """The JSON Web Key Set of the sandbox's token signing keys."""
    return {"keys": [_jwk(key) for key in SigningKey.objects.filter(sandbox=sandbox).order_by("algorithm")]}


def discovery(*, account_id: str) -> dict[str, Any]:
    issuer = issuer_url(account_id)
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(ALGORITHMS),
    }
