"""Sign raw HTTP requests the way an SDK does, for tests that send what an SDK would not."""

from __future__ import annotations

import datetime as dt

import requests
from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def signed_request(
    url: str,
    *,
    service: str,
    access_key_id: str,
    secret_access_key: str,
    body: bytes = b"",
    method: str = "POST",
    headers: dict[str, str] | None = None,
    region: str = "us-east-1",
    at: dt.datetime | None = None,
) -> requests.Response:
    """Send a request signed with SigV4 at time `at` (now when omitted)."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    signer = SigV4Auth(Credentials(access_key_id, secret_access_key), service, region)
    stamp = (at or dt.datetime.now(dt.UTC)).strftime(SIGV4_TIMESTAMP)
    request.context["timestamp"] = stamp
    request.headers["X-Amz-Date"] = stamp
    request.headers["host"] = url.split("://", 1)[1].split("/", 1)[0]
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    request.headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access_key_id}/{stamp[:8]}/{region}/{service}/aws4_request, "
        f"SignedHeaders={signer.signed_headers(signer.headers_to_sign(request))}, Signature={signature}"
    )
    prepared = request.prepare()
    return requests.request(method, prepared.url, data=body, headers=dict(prepared.headers), timeout=30)
