"""Multipart uploads through boto3 against the live server: the whole cycle, S3's multipart ETag
and checksums, and the errors of completing with a wrong list."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of

pytestmark = pytest.mark.live
MIB = 1024 * 1024


def test_upload_list_complete(s3: Any, bucket: str) -> None:
    upload = s3.create_multipart_upload(
        Bucket=bucket, Key="big.bin", ContentType="application/x-big", Metadata={"m": "1"}
    )
    upload_id = upload["UploadId"]
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [upload_id]
    parts_data = [os.urandom(5 * MIB), os.urandom(1234)]
    etags = []
    for number, data in enumerate(parts_data, start=1):
        answer = s3.upload_part(Bucket=bucket, Key="big.bin", UploadId=upload_id, PartNumber=number, Body=data)
        assert answer["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'  # noqa: S324
        etags.append(answer["ETag"])
    listed = s3.list_parts(Bucket=bucket, Key="big.bin", UploadId=upload_id)
    assert [(p["PartNumber"], p["Size"]) for p in listed["Parts"]] == [(1, 5 * MIB), (2, 1234)]
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="big.bin",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]},
    )
    digests = b"".join(hashlib.md5(data).digest() for data in parts_data)  # noqa: S324
    assert done["ETag"] == f'"{hashlib.md5(digests).hexdigest()}-2"'  # noqa: S324
    got = s3.get_object(Bucket=bucket, Key="big.bin")
    assert got["Body"].read() == b"".join(parts_data)
    assert got["ContentType"] == "application/x-big"
    assert got["Metadata"] == {"m": "1"}
    assert s3.head_object(Bucket=bucket, Key="big.bin", PartNumber=1)["PartsCount"] == 2
    second = s3.get_object(Bucket=bucket, Key="big.bin", PartNumber=2)
    assert second["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert second["Body"].read() == parts_data[1]
    assert second["ContentRange"] == f"bytes {5 * MIB}-{5 * MIB + 1233}/{5 * MIB + 1234}"
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="big.bin", PartNumber=3)
    assert error_of(excinfo) == ("InvalidPartNumber", 416, "The requested partnumber is not satisfiable")
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_composite_checksum_of_a_multipart_object(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="sum", ChecksumAlgorithm="SHA256")["UploadId"]
    data = [os.urandom(5 * MIB), b"tail"]
    parts = []
    for number, chunk in enumerate(data, start=1):
        answer = s3.upload_part(
            Bucket=bucket, Key="sum", UploadId=upload_id, PartNumber=number, Body=chunk, ChecksumAlgorithm="SHA256"
        )
        assert answer["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(chunk).digest()).decode()
        parts.append({"PartNumber": number, "ETag": answer["ETag"], "ChecksumSHA256": answer["ChecksumSHA256"]})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="sum", UploadId=upload_id, MultipartUpload={"Parts": parts})
    joined = b"".join(hashlib.sha256(chunk).digest() for chunk in data)
    assert done["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(joined).digest()).decode() + "-2"
    assert done["ChecksumType"] == "COMPOSITE"


def test_completing_with_a_wrong_list(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    first = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"small")["ETag"]
    second = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=2, Body=b"small")["ETag"]
    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="k", UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": first}, {"PartNumber": 2, "ETag": second}]},
        )  # fmt: skip
    assert error_of(excinfo) == (
        "EntityTooSmall",
        400,
        "Your proposed upload is smaller than the minimum allowed object size.",
    )
    assert excinfo.value.response["Error"]["MinSizeAllowed"] == str(5 * MIB)
    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"00"'}]}
        )
    assert error_of(excinfo)[:2] == ("InvalidPart", 400)
    with pytest.raises(ClientError) as excinfo:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="k", UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": second}, {"PartNumber": 1, "ETag": first}]},
        )  # fmt: skip
    assert error_of(excinfo) == (
        "InvalidPartOrder",
        400,
        "The list of parts was not in ascending order. Parts must be ordered by part number.",
    )
    # A single small part is a whole object: the last part may be any size.
    s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": first}]}
    )
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"small"


def test_abort_and_unknown_uploads(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"x")
    s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    with pytest.raises(ClientError) as excinfo:
        s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)
    assert error_of(excinfo) == (
        "NoSuchUpload",
        404,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted "
        "or completed.",
    )
    with pytest.raises(ClientError) as excinfo:
        s3.upload_part(Bucket=bucket, Key="k", UploadId="nope", PartNumber=1, Body=b"x")
    assert error_of(excinfo)[:2] == ("NoSuchUpload", 404)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_upload_part_copy(s3: Any, bucket: str) -> None:
    source = os.urandom(6 * MIB)
    s3.put_object(Bucket=bucket, Key="source", Body=source)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="copied")["UploadId"]
    first = s3.upload_part_copy(
        Bucket=bucket, Key="copied", UploadId=upload_id, PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "source"}, CopySourceRange=f"bytes=0-{5 * MIB - 1}",
    )["CopyPartResult"]  # fmt: skip
    assert first["ETag"] == f'"{hashlib.md5(source[: 5 * MIB]).hexdigest()}"'  # noqa: S324
    second = s3.upload_part_copy(
        Bucket=bucket, Key="copied", UploadId=upload_id, PartNumber=2,
        CopySource=f"{bucket}/source", CopySourceRange=f"bytes={5 * MIB}-{6 * MIB - 1}",
    )["CopyPartResult"]  # fmt: skip
    with pytest.raises(ClientError) as excinfo:
        s3.upload_part_copy(
            Bucket=bucket, Key="copied", UploadId=upload_id, PartNumber=3,
            CopySource=f"{bucket}/source", CopySourceRange=f"bytes=0-{6 * MIB}",
        )  # fmt: skip
    assert error_of(excinfo) == (
        "InvalidArgument",
        400,
        f"Range specified is not valid for source object of size: {6 * MIB}",
    )
    parts = [{"PartNumber": 1, "ETag": first["ETag"]}, {"PartNumber": 2, "ETag": second["ETag"]}]
    s3.complete_multipart_upload(Bucket=bucket, Key="copied", UploadId=upload_id, MultipartUpload={"Parts": parts})
    assert s3.get_object(Bucket=bucket, Key="copied")["Body"].read() == source
