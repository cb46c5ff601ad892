"""Request bodies sent gzip'd (`Content-Encoding: gzip`), as botocore sends those of operations its
model marks `requestcompression` once they pass 10 KiB: every RPC protocol reads them decompressed,
signed as sent; a body that is not gzip is a SerializationException, never a 500."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest

from tests.conftest import SandboxInfo, Server
from tests.signing import signed_request

pytestmark = pytest.mark.live


def send(daphne: Server, sandbox: SandboxInfo, service: str, body: bytes, headers: dict[str, str]) -> Any:
    return signed_request(
        daphne.url + "/", service=service, access_key_id=sandbox.access_key_id,
        secret_access_key=sandbox.secret_access_key, body=body, headers=headers, region=sandbox.region,
    )  # fmt: skip


def test_a_gzip_json_body_is_read_decompressed(daphne: Server, sandbox: SandboxInfo) -> None:
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.CreateKey",
               "Content-Encoding": "gzip"}  # fmt: skip
    body = gzip.compress(json.dumps({"Description": "d" * 4000}).encode())
    response = send(daphne, sandbox, "kms", body, headers)
    assert response.status_code == 200, response.text
    assert response.json()["KeyMetadata"]["Description"] == "d" * 4000


def test_a_gzip_query_body_is_read_decompressed(daphne: Server, sandbox: SandboxInfo) -> None:
    """The query protocol names the operation in the body itself."""
    body = gzip.compress(b"Action=CreateTopic&Version=2010-03-31&Name=zipped")
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "gzip"}
    response = send(daphne, sandbox, "sns", body, headers)
    assert response.status_code == 200, response.text
    assert f"arn:aws:sns:{sandbox.region}:{sandbox.account_id}:zipped" in response.text


def test_a_body_that_is_not_gzip_is_a_serialization_error(daphne: Server, sandbox: SandboxInfo) -> None:
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.ListKeys",
               "Content-Encoding": "gzip"}  # fmt: skip
    response = send(daphne, sandbox, "kms", b"{}", headers)
    assert response.status_code == 400
    assert response.json()["__type"] == "SerializationException"
