"""The wire as today's SDKs use it, against the live server: flexible checksums (sent, checked,
returned), Content-MD5, aws-chunked bodies with trailing checksums (in memory and spooled to disk),
large bodies both ways, presigned URLs (and their expiry and signature in strict mode) and
virtual-hosted-style addressing."""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
from collections.abc import Callable
from typing import Any

import boto3
import pytest
import requests
from awscrt import checksums as crt
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, Server, error_of

pytestmark = pytest.mark.live
MIB = 1024 * 1024


def _b64(value: int, width: int) -> str:
    return base64.b64encode(value.to_bytes(width, "big")).decode()


def expected_checksums(data: bytes) -> dict[str, str]:
    return {
        "CRC32": _b64(zlib.crc32(data), 4),
        "CRC32C": _b64(crt.crc32c(data), 4),
        "CRC64NVME": _b64(crt.crc64nvme(data), 8),
        "SHA1": base64.b64encode(hashlib.sha1(data).digest()).decode(),  # noqa: S324
        "SHA256": base64.b64encode(hashlib.sha256(data).digest()).decode(),
    }


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])
def test_flexible_checksums_are_checked_stored_and_returned(s3: Any, bucket: str, algorithm: str) -> None:
    data = os.urandom(3000)
    wanted = expected_checksums(data)[algorithm]
    put = s3.put_object(Bucket=bucket, Key="c", Body=data, ChecksumAlgorithm=algorithm)
    assert put[f"Checksum{algorithm}"] == wanted
    got = s3.get_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert got[f"Checksum{algorithm}"] == wanted
    assert got["ChecksumType"] == "FULL_OBJECT"
    assert got["Body"].read() == data


def test_objects_sent_without_a_checksum_get_crc64nvme(s3: Any, bucket: str) -> None:
    def no_checksum(request: Any, **kwargs: Any) -> None:
        for name in [name for name in request.headers if name.lower().startswith("x-amz-checksum-")]:
            del request.headers[name]
        if "x-amz-sdk-checksum-algorithm" in request.headers:
            del request.headers["x-amz-sdk-checksum-algorithm"]

    s3.meta.events.register("before-sign.s3.PutObject", no_checksum)
    put = s3.put_object(Bucket=bucket, Key="plain", Body=b"abc")
    assert put["ChecksumCRC64NVME"] == expected_checksums(b"abc")["CRC64NVME"]


def _with_header(s3: Any, name: str, value: str) -> None:
    def set_header(request: Any, **kwargs: Any) -> None:
        if name in request.headers:
            del request.headers[name]
        request.headers[name] = value

    s3.meta.events.register("before-sign.s3.PutObject", set_header)


def test_a_wrong_checksum_is_bad_digest_and_nothing_is_stored(s3: Any, bucket: str) -> None:
    _with_header(s3, "x-amz-checksum-crc32", expected_checksums(b"other")["CRC32"])
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"data", ChecksumAlgorithm="CRC32")
    assert error_of(excinfo) == ("BadDigest", 400, "The CRC32 you specified did not match the calculated checksum.")
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_a_malformed_checksum_is_invalid_request(s3: Any, bucket: str) -> None:
    _with_header(s3, "x-amz-checksum-sha256", "not base64!")
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"data", ChecksumAlgorithm="SHA256")
    assert error_of(excinfo) == ("InvalidRequest", 400, "Value for x-amz-checksum-sha256 header is invalid.")


def test_content_md5(s3: Any, bucket: str) -> None:
    good = base64.b64encode(hashlib.md5(b"data").digest()).decode()  # noqa: S324
    s3.put_object(Bucket=bucket, Key="ok", Body=b"data", ContentMD5=good)
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"other", ContentMD5=good)
    assert error_of(excinfo) == ("BadDigest", 400, "The Content-MD5 you specified did not match what we received.")
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"other", ContentMD5="xyz")
    assert error_of(excinfo) == ("InvalidDigest", 400, "The Content-MD5 you specified was invalid.")
    assert [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["ok"]


def _chunked(data: bytes, trailer_value: str, *, chunk: int = 64 * 1024) -> bytes:
    pieces = [
        f"{len(data[i : i + chunk]):x}\r\n".encode() + data[i : i + chunk] + b"\r\n" for i in range(0, len(data), chunk)
    ]
    return b"".join(pieces) + b"0\r\n" + f"x-amz-checksum-crc32:{trailer_value}\r\n\r\n".encode()


def _put_chunked(
    server: Server, who: SandboxInfo, bucket: str, key: str, body: bytes, decoded: int
) -> requests.Response:
    """An aws-chunked PUT with a trailing checksum, as today's SDKs send over HTTPS (unsigned
    payload, open mode: the signature is not checked)."""
    headers = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential={who.access_key_id}/20260101/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        "x-amz-date": "20260101T000000Z",
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "Content-Encoding": "aws-chunked",
        "x-amz-trailer": "x-amz-checksum-crc32",
        "x-amz-decoded-content-length": str(decoded),
    }
    return requests.put(f"{server.url}/{bucket}/{key}", data=body, headers=headers, timeout=60)


@pytest.mark.parametrize("size", [1000, 3 * MIB], ids=["in-memory", "spooled"])
def test_aws_chunked_bodies_with_a_trailing_checksum(
    s3: Any, bucket: str, daphne: Server, sandbox: SandboxInfo, size: int
) -> None:
    data = os.urandom(size)
    crc = expected_checksums(data)["CRC32"]
    answer = _put_chunked(daphne, sandbox, bucket, "chunked", _chunked(data, crc), size)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-amz-checksum-crc32"] == crc
    got = s3.get_object(Bucket=bucket, Key="chunked", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got["ChecksumCRC32"] == crc
    wrong = _put_chunked(daphne, sandbox, bucket, "wrong", _chunked(data, expected_checksums(b"x")["CRC32"]), size)
    assert wrong.status_code == 400
    assert "<Code>BadDigest</Code>" in wrong.text
    assert [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["chunked"]


def test_large_objects_both_ways_with_ranges(s3: Any, bucket: str) -> None:
    data = os.urandom(24 * MIB + 5)
    put = s3.put_object(Bucket=bucket, Key="large", Body=data, ChecksumAlgorithm="CRC32C")
    assert put["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'  # noqa: S324
    got = s3.get_object(Bucket=bucket, Key="large", ChecksumMode="ENABLED")
    assert got["ContentLength"] == len(data)
    assert got["Body"].read() == data
    tail = s3.get_object(Bucket=bucket, Key="large", Range=f"bytes={len(data) - 10}-")
    assert tail["Body"].read() == data[-10:]


@pytest.mark.parametrize("version", ["s3", "s3v4"], ids=["sigv2", "sigv4"])
def test_presigned_get_and_put(aws: Callable[..., Any], bucket: str, version: str) -> None:
    s3 = aws("s3", config=Config(signature_version=version))
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "shared.txt"}, ExpiresIn=300)
    assert requests.put(put_url, data=b"via a URL", timeout=30).status_code == 200
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared.txt"}, ExpiresIn=300)
    answer = requests.get(get_url, timeout=30)
    assert answer.status_code == 200
    assert answer.content == b"via a URL"


def test_virtual_hosted_style_addressing(daphne: Server, sandbox: SandboxInfo, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="vh.txt", Body=b"virtual host")
    port = daphne.url.rsplit(":", 1)[1]
    virtual = boto3.client(
        "s3", endpoint_url=f"http://localhost:{port}", region_name="us-east-1", aws_access_key_id=sandbox.access_key_id,
        aws_secret_access_key=sandbox.secret_access_key,
        config=Config(s3={"addressing_style": "virtual"}, signature_version="s3v4"),
    )  # fmt: skip
    url = virtual.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "vh.txt"})
    assert url.startswith(f"http://{bucket}.localhost:{port}/vh.txt?")
    host = {"Host": f"{bucket}.localhost:{port}"}
    answer = requests.get(url.replace(f"{bucket}.localhost", "127.0.0.1"), headers=host, timeout=30)
    assert answer.status_code == 200
    assert answer.content == b"virtual host"


@pytest.mark.parametrize("version", ["s3", "s3v4"], ids=["sigv2", "sigv4"])
def test_strict_mode_presigned_urls(
    aws: Callable[..., Any],
    strict_server: Server,
    sandbox: SandboxInfo,
    advance: Callable[[float], None],
    version: str,
) -> None:
    s3 = aws("s3", server=strict_server)
    s3.create_bucket(Bucket="strict-presign")
    s3.put_object(Bucket="strict-presign", Key="k", Body=b"secret")
    presigner = aws("s3", server=strict_server, config=Config(signature_version=version))
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": "strict-presign", "Key": "k"}, ExpiresIn=60)
    first = requests.get(url, timeout=30)
    assert first.content == b"secret", first.text
    forged = boto3.client(
        "s3", endpoint_url=strict_server.url, region_name="us-east-1",
        aws_access_key_id=sandbox.access_key_id, aws_secret_access_key="wrong" + sandbox.secret_access_key[5:],
        config=Config(signature_version=version),
    ).generate_presigned_url("get_object", Params={"Bucket": "strict-presign", "Key": "k"})  # fmt: skip
    denied = requests.get(forged, timeout=30)
    assert denied.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in denied.text
    advance(120)  # past X-Amz-Expires on the sandbox clock
    expired = requests.get(url, timeout=30)
    assert expired.status_code == 403
    assert "<Code>AccessDenied</Code>" in expired.text
    assert "<Message>Request has expired</Message>" in expired.text


def test_a_body_changed_after_signing_is_refused(s3: Any, bucket: str) -> None:
    sent: dict[str, Any] = {}

    def tamper(request: Any, **kwargs: Any) -> None:
        sent["sha256"] = request.headers["x-amz-content-sha256"]
        request.body = b"tampered"
        request.headers["Content-Length"] = "8"

    s3.meta.events.register("before-send.s3.PutObject", tamper)
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="signed", Body=b"original")
    assert error_of(excinfo) == (
        "XAmzContentSHA256Mismatch",
        400,
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    )
    assert sent["sha256"] in (hashlib.sha256(b"original").hexdigest(), hashlib.sha256(b"original").hexdigest().encode())
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_a_sigv2_authorization_header_is_refused_as_s3_refuses_it(daphne: Server, sandbox: SandboxInfo) -> None:
    headers = {"Authorization": f"AWS {sandbox.access_key_id}:c2lnbmF0dXJl", "Date": "Sun, 06 Dec 2026 08:00:00 GMT"}
    answer = requests.put(f"{daphne.url}/sigv2-bucket", headers=headers, timeout=30)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/xml"
    assert "<Code>InvalidRequest</Code>" in answer.text
    message = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
    assert f"<Message>{message}</Message>" in answer.text
