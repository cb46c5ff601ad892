"""AssumeRoleWithWebIdentity's token: an OpenID Connect ID token (a JWT) from an identity provider.

The token is read, not verified: its header and claims are decoded, `sub`, `aud` and `iss` become
SubjectFromWebIdentityToken, Audience and Provider, and `exp` is checked against the sandbox
clock. IAM OIDC identity providers are not emulated, so there are no provider keys to check the
signature with (see the provider's LIMITATIONS). A token that is not a JWT is an OAuth 2.0 access
token, which only its provider (ProviderId: www.amazon.com, graph.facebook.com) could vouch for:
that provider cannot be reached from here (IDPCommunicationError).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from services.sts.exceptions import ExpiredToken, IDPCommunicationError, InvalidIdentityToken


@dataclass(frozen=True)
class WebIdentity:
    subject: str
    audience: str
    provider: str
    expires_at: dt.datetime


def _segment(text: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        document = json.loads(raw)
    except (ValueError, binascii.Error):
        raise InvalidIdentityToken() from None
    if not isinstance(document, dict):
        raise InvalidIdentityToken()
    return document


def _claim(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str) or not value:
        raise InvalidIdentityToken()
    return value


def read_token(token: str, *, provider_id: str | None, now: dt.datetime) -> WebIdentity:
    """The identity a web identity token asserts, or AWS's error for a token it would refuse."""
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts[:2]):
        if provider_id:
            raise IDPCommunicationError()
        raise InvalidIdentityToken()
    header, claims = _segment(parts[0]), _segment(parts[1])
    if str(header.get("alg", "")).lower() in ("", "none") or not parts[2]:
        raise InvalidIdentityToken()  # an unsigned token is never accepted
    subject = _claim(claims, "sub")
    audience = _claim(claims, "aud")
    issuer = provider_id or _claim(claims, "iss")
    expires = claims.get("exp")
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        raise InvalidIdentityToken()
    try:
        expires_at = dt.datetime.fromtimestamp(expires, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidIdentityToken() from None
    if expires_at <= now:
        raise ExpiredToken()
    not_before = claims.get("nbf")
    if isinstance(not_before, int | float) and not isinstance(not_before, bool) and not_before > now.timestamp():
        raise InvalidIdentityToken()
    return WebIdentity(subject=subject, audience=audience, provider=issuer, expires_at=expires_at)
