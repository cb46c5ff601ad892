"""SigV4: reading the credential scope of a request and, in strict mode, verifying its signature.

The signature is recomputed with botocore's own signer (the same code that signed the request on
the client side) from the headers the client says it signed, the raw path and the query, and
compared in constant time.

Presigned URLs of the retired Signature Version 2 (`?AWSAccessKeyId=...&Signature=...&Expires=`),
which botocore and the aws CLI v1 still make for the APIs whose model signs with HMAC v1 (S3 in
us-east-1), are read too: they name no region or service, so the service is the one API that
signs that way, the region the host's or the sandbox's, and `Expires` is an absolute time.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import (
    AUTH_TYPE_MAPS,
    SIGV4_TIMESTAMP,
    HmacV1Auth,
    HmacV1QueryAuth,
    S3SigV4Auth,
    S3SigV4QueryAuth,
    SigV4Auth,
    SigV4QueryAuth,
)
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from playground.gateway.request import AwsRequest
from playground.gateway.specs import routed_apis, service_model, services_for_signing_name

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = dt.timedelta(minutes=15)
MAX_EXPIRES = 7 * 24 * 3600  # a presigned URL lives at most a week


class AuthProblem(Exception):
    """Why a request's authentication failed; the gateway names it per protocol (see errors_for)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        # missing | incomplete | unsupported (SigV2 headers) | unknown-key | bad-signature | expired | skewed
        # | expired-token
        self.kind = kind
        self.message = message


@dataclass
class Credential:
    access_key_id: str
    date: str  # YYYYMMDD from the scope
    region: str
    service: str  # signing name, e.g. "sqs", "monitoring"
    timestamp: str  # X-Amz-Date, YYYYMMDDTHHMMSSZ
    signed_headers: list[str]
    signature: str
    presigned: bool
    expires: int | None  # X-Amz-Expires of a presigned URL (SigV2: the epoch second it expires)
    session_token: str
    version: int = 4


def read_credential(request: AwsRequest) -> Credential | None:
    """The credential scope and signature a request claims; None when it claims none at all (an
    unsigned request: gateway/unsigned.py). A claim that cannot be read is an AuthProblem."""
    header = request.headers.get("authorization", "")
    if not header and _presigned_v2(request):
        return _v2_credential(request)
    if not header and not _presigned(request):
        return None
    if header and not header.startswith(ALGORITHM):
        scheme = header.split(" ", 1)[0][:40]
        raise AuthProblem(
            "unsupported" if scheme == "AWS" else "incomplete",
            f"Unsupported authorization type '{scheme}': sign the request with Signature Version 4 ({ALGORITHM}).",
        )
    if header:
        fields: dict[str, str] = {}
        for part in header[len(ALGORITHM) :].split(","):
            name, _, value = part.strip().partition("=")
            fields[name] = value
        missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not fields.get(name)]
        if missing:
            raise AuthProblem(
                "incomplete",
                f"Authorization header requires '{missing[0]}' parameter. Authorization={header[:200]}",
            )
        scope, signed, signature = fields["Credential"], fields["SignedHeaders"], fields["Signature"]
        timestamp = request.headers.get("x-amz-date", "")
        presigned, expires = False, None
        token = request.headers.get("x-amz-security-token", "")
    else:
        query = {key.lower(): value for key, value in request.query}
        scope = query.get("x-amz-credential", "")
        signed = query.get("x-amz-signedheaders", "")
        signature = query.get("x-amz-signature", "")
        timestamp = query.get("x-amz-date", "")
        token = query.get("x-amz-security-token", "")
        presigned = True
        try:
            expires = int(query.get("x-amz-expires", str(MAX_EXPIRES)))
        except ValueError:
            raise AuthProblem("incomplete", "X-Amz-Expires must be a number of seconds") from None
        if not 0 <= expires <= MAX_EXPIRES:
            raise AuthProblem(
                "incomplete",
                f"X-Amz-Expires must be non-negative and less than a week (in seconds) that is {MAX_EXPIRES}",
            )
        if not (scope and signed and signature):
            raise AuthProblem(
                "incomplete", "Presigned URL requires X-Amz-Credential, X-Amz-SignedHeaders and X-Amz-Signature"
            )
    parts = scope.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise AuthProblem(
            "incomplete",
            f"Credential should be scoped to a valid region, not '{scope}'. "
            "Credential should be of the form <key>/<date>/<region>/<service>/aws4_request.",
        )
    if not timestamp:
        raise AuthProblem("incomplete", "Authorization requires the X-Amz-Date header or parameter.")
    return Credential(
        access_key_id=parts[0],
        date=parts[1],
        region=parts[2],
        service=parts[3],
        timestamp=timestamp,
        signed_headers=[h.strip().lower() for h in signed.split(";") if h.strip()],
        signature=signature,
        presigned=presigned,
        expires=expires,
        session_token=token,
    )


def _presigned_v2(request: AwsRequest) -> bool:
    names = {name for name, _ in request.query}
    return {"AWSAccessKeyId", "Signature"} <= names


@cache
def hmac_v1_signing_name() -> str | None:
    """The signing name of the API whose model signs with HMAC v1 (SigV2), if one is routed."""
    for api in routed_apis():
        model = service_model(api)
        signer = AUTH_TYPE_MAPS.get(str(model.metadata.get("signatureVersion", "")))
        if signer is not None and issubclass(signer, HmacV1Auth):
            return str(model.metadata.get("signingName") or model.metadata["endpointPrefix"])
    return None


def _v2_credential(request: AwsRequest) -> Credential:
    query = dict(request.query)
    service = hmac_v1_signing_name()
    if service is None:
        raise AuthProblem("incomplete", "Signature Version 2 is not supported here: sign with Signature Version 4.")
    try:
        expires = int(query.get("Expires", ""))
    except ValueError:
        raise AuthProblem("incomplete", "Query-string authentication requires the Signature, Expires and "
                          "AWSAccessKeyId parameters") from None  # fmt: skip
    return Credential(
        access_key_id=query["AWSAccessKeyId"],
        date="",
        region="",
        service=service,
        timestamp="",
        signed_headers=[],
        signature=query["Signature"],
        presigned=True,
        expires=expires,
        session_token=query.get("x-amz-security-token", ""),
        version=2,
    )


def _presigned(request: AwsRequest) -> bool:
    names = {name.lower() for name, _ in request.query}
    return bool(names & {"x-amz-credential", "x-amz-signature", "x-amz-algorithm"})


def check_time(credential: Credential, wall: dt.datetime, *, sandbox_now: dt.datetime | None = None) -> None:
    """Refuse requests signed too far from the real time (AWS's 15-minute rule) and expired URLs.
    A presigned URL expires X-Amz-Expires seconds after X-Amz-Date by the real time or by the
    sandbox clock, whichever is later: moving a sandbox's clock past a URL's expiry expires it."""
    if credential.version == 2:
        latest = max(wall, sandbox_now) if sandbox_now is not None else wall
        if credential.expires is not None and latest.timestamp() > credential.expires:
            raise AuthProblem("expired", "Request has expired")
        return
    try:
        signed_at = dt.datetime.strptime(credential.timestamp, SIGV4_TIMESTAMP).replace(tzinfo=dt.UTC)
    except ValueError:
        raise AuthProblem("incomplete", f"Invalid X-Amz-Date: {credential.timestamp}") from None
    stamp = wall.strftime(SIGV4_TIMESTAMP)
    if credential.presigned:
        moment = max(wall, sandbox_now) if sandbox_now is not None else wall
        if credential.expires is not None and moment > signed_at + dt.timedelta(seconds=credential.expires):
            raise AuthProblem("expired", "Request has expired")
        if signed_at - wall > MAX_SKEW:
            raise AuthProblem(
                "skewed", f"Signature not yet current: {credential.timestamp} is still later than {stamp}"
            )
        return
    if wall - signed_at > MAX_SKEW:
        earliest = (wall - MAX_SKEW).strftime(SIGV4_TIMESTAMP)
        raise AuthProblem(
            "skewed",
            f"Signature expired: {credential.timestamp} is now earlier than {earliest} ({stamp} - 15 min.)",
        )
    if signed_at - wall > MAX_SKEW:
        last_valid = (wall + MAX_SKEW).strftime(SIGV4_TIMESTAMP)
        raise AuthProblem(
            "skewed",
            f"Signature not yet current: {credential.timestamp} is still later than {last_valid} ({stamp} + 15 min.)",
        )


SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


@cache
def signs_with_s3_rules(signing_name: str) -> bool:
    """Whether the APIs signing with this name follow S3's signing rules: their model's
    signatureVersion names one of botocore's S3 signers (HMAC v1 or S3 SigV4), which botocore then
    signs with S3's SigV4 rules too."""
    for api in services_for_signing_name(signing_name):
        signer = AUTH_TYPE_MAPS.get(str(service_model(api).metadata.get("signatureVersion", "")))
        if signer is not None and issubclass(signer, HmacV1Auth | S3SigV4Auth):
            return True
    return False


def verify_signature(
    request: AwsRequest, credential: Credential, secret_key: str, *, resource_path: str | None = None
) -> None:
    """Recompute the signature with botocore's signer and compare; raises AuthProblem on mismatch.
    `resource_path` is the path a SigV2 signature covers when the request's is not it (the
    protocol's routing path: S3's virtual-hosted style puts the bucket in the host)."""
    creds = Credentials(credential.access_key_id, secret_key, credential.session_token or None)
    if credential.version == 2:
        signer_v2: Any = HmacV1QueryAuth(creds)
        signer_v2._get_date = lambda: str(credential.expires)  # the URL's Expires stands for the Date it signs
        url = f"{request.scheme}://{request.host}{request.raw_path}?{request.query_string}"
        headers = {
            name: value
            for name, value in request.headers.items()
            if name in ("content-md5", "content-type") or name.startswith("x-amz-")
        }
        expected = signer_v2.get_signature(
            request.method, urlsplit(url), headers, expires=str(credential.expires), auth_path=resource_path
        )
        if not hmac.compare_digest(expected, credential.signature):
            raise AuthProblem("bad-signature", SIGNATURE_MISMATCH)
        return
    # The signer classes botocore presigns and signs with: presigned URLs carry no payload hash
    # (UNSIGNED-PAYLOAD) and S3 paths are not normalized.
    s3_rules = signs_with_s3_rules(credential.service)
    if credential.presigned:
        signer_cls: Any = S3SigV4QueryAuth if s3_rules else SigV4QueryAuth
    else:
        signer_cls = S3SigV4Auth if s3_rules else SigV4Auth
    signer = signer_cls(creds, credential.service, credential.region)

    params = [(k, v) for k, v in request.query if not (credential.presigned and k == "X-Amz-Signature")]
    # Only the headers the client signed: anything else a proxy or the server added must not count.
    headers = {name: request.headers.get(name, "") for name in credential.signed_headers}
    aws_request = AWSRequest(
        method=request.method,
        url=f"{request.scheme}://{request.host}{request.raw_path}",
        headers=headers,
        data=request.body,
        params=params,
    )
    aws_request.context["timestamp"] = credential.timestamp
    canonical = signer.canonical_request(aws_request)
    expected = signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
    if not hmac.compare_digest(expected, credential.signature):
        raise AuthProblem("bad-signature", SIGNATURE_MISMATCH)
