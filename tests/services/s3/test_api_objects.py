"""Objects through boto3 against the live server: put, get (ranges, conditions), head, delete,
batch delete, copy, listing v1 and v2, metadata, tags and versions, with S3's errors."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of

pytestmark = pytest.mark.live


def test_put_get_head_with_metadata(s3: Any, bucket: str) -> None:
    body = b"hello, world\n"
    put = s3.put_object(
        Bucket=bucket, Key="docs/hello.txt", Body=body, ContentType="text/plain", Metadata={"Author": "Ada"},
        CacheControl="max-age=60", ContentDisposition="inline",
    )  # fmt: skip
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'  # noqa: S324
    assert "VersionId" not in put
    got = s3.get_object(Bucket=bucket, Key="docs/hello.txt")
    assert got["Body"].read() == body
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"author": "Ada"}
    assert got["CacheControl"] == "max-age=60"
    assert got["ContentDisposition"] == "inline"
    assert got["ContentLength"] == len(body)
    assert got["ETag"] == put["ETag"]
    head = s3.head_object(Bucket=bucket, Key="docs/hello.txt")
    assert head["ContentLength"] == len(body)
    assert head["ETag"] == put["ETag"]
    assert (
        s3.get_object(Bucket=bucket, Key="docs/hello.txt", ResponseContentType="application/x-test")["ContentType"]
        == "application/x-test"
    )
    plain = s3.put_object(Bucket=bucket, Key="untyped", Body=b"")
    assert plain["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    assert s3.head_object(Bucket=bucket, Key="untyped")["ContentType"] == "binary/octet-stream"


def test_missing_keys(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="nope")
    assert error_of(excinfo) == ("NoSuchKey", 404, "The specified key does not exist.")
    assert excinfo.value.response["Error"]["Key"] == "nope"
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key="nope")
    assert error_of(excinfo)[:2] == ("404", 404)
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert error_of(excinfo) == ("KeyTooLongError", 400, "Your key is too long")


def test_ranges(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    part = s3.get_object(Bucket=bucket, Key="digits", Range="bytes=2-5")
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["Body"].read() == b"2345"
    assert part["ContentRange"] == "bytes 2-5/10"
    assert s3.get_object(Bucket=bucket, Key="digits", Range="bytes=-3")["Body"].read() == b"789"
    assert s3.get_object(Bucket=bucket, Key="digits", Range="bytes=7-")["Body"].read() == b"789"
    assert s3.get_object(Bucket=bucket, Key="digits", Range="bytes=8-100")["Body"].read() == b"89"
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="digits", Range="bytes=10-20")
    assert error_of(excinfo) == ("InvalidRange", 416, "The requested range is not satisfiable")
    assert excinfo.value.response["Error"]["ActualObjectSize"] == "10"


def test_conditional_gets(s3: Any, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"data")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"data"
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0000"')
    assert error_of(excinfo) == (
        "PreconditionFailed",
        412,
        "At least one of the pre-conditions you specified did not hold",
    )
    assert excinfo.value.response["Error"]["Condition"] == "If-Match"
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert error_of(excinfo)[:2] == ("304", 304)
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=modified + dt.timedelta(seconds=1))
    assert error_of(excinfo)[:2] == ("304", 304)
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=modified - dt.timedelta(days=1))
    assert error_of(excinfo)[:2] == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=modified - dt.timedelta(days=1))["Body"].read()
    # If-Match holding wins over a failing If-Unmodified-Since, as RFC 7232 and S3 say.
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag, IfUnmodifiedSince=modified - dt.timedelta(days=1))
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="c", Body=b"again", IfNoneMatch="*")
    assert error_of(excinfo)[:2] == ("PreconditionFailed", 412)


def test_delete_and_delete_objects(s3: Any, bucket: str) -> None:
    for key in ("a", "b", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert s3.delete_object(Bucket=bucket, Key="a")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.delete_object(Bucket=bucket, Key="a")["ResponseMetadata"]["HTTPStatusCode"] == 204  # idempotent
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "b"}, {"Key": "c"}, {"Key": "missing"}]})
    assert sorted(item["Key"] for item in answer["Deleted"]) == ["b", "c", "missing"]
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "x"}], "Quiet": True})
    assert "Deleted" not in quiet


def test_delete_objects_with_a_malformed_body(s3: Any, bucket: str) -> None:
    def empty_list(request: Any, **kwargs: Any) -> None:
        request.data = b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></Delete>'
        if "Content-MD5" in request.headers:
            del request.headers["Content-MD5"]

    s3.meta.events.register("before-sign.s3.DeleteObjects", empty_list)
    with pytest.raises(ClientError) as excinfo:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "x"}]})
    assert error_of(excinfo) == (
        "MalformedXML",
        400,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )


def test_copy_object_keeps_or_replaces_metadata(s3: Any, make_bucket: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"copy me", ContentType="text/plain", Metadata={"a": "1"})
    other = make_bucket()
    copied = s3.copy_object(Bucket=other, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert copied["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"copy me").hexdigest()}"'  # noqa: S324
    got = s3.get_object(Bucket=other, Key="dst")
    assert got["Body"].read() == b"copy me"
    assert got["Metadata"] == {"a": "1"}
    assert got["ContentType"] == "text/plain"
    s3.copy_object(
        Bucket=other, Key="dst2", CopySource=f"{bucket}/src", MetadataDirective="REPLACE",
        Metadata={"b": "2"}, ContentType="application/json",
    )  # fmt: skip
    replaced = s3.head_object(Bucket=other, Key="dst2")
    assert replaced["Metadata"] == {"b": "2"}
    assert replaced["ContentType"] == "application/json"
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=bucket, Key="src", CopySource=f"{bucket}/src")
    assert error_of(excinfo)[:2] == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=bucket, Key="x", CopySource=f"{bucket}/missing")
    assert error_of(excinfo)[:2] == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=bucket, Key="x", CopySource=f"{bucket}/src", CopySourceIfMatch='"nope"')
    assert error_of(excinfo)[:2] == ("PreconditionFailed", 412)


def test_list_objects_v2_prefix_delimiter_and_pages(s3: Any, bucket: str) -> None:
    keys = ["a.txt", "photos/2024/x.jpg", "photos/2024/y.jpg", "photos/2025/z.jpg", "photos/top.jpg", "z.txt"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"1")
    everything = s3.list_objects_v2(Bucket=bucket)
    assert [item["Key"] for item in everything["Contents"]] == keys
    assert everything["KeyCount"] == 6
    assert everything["IsTruncated"] is False
    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [item["Key"] for item in top["Contents"]] == ["a.txt", "z.txt"]
    assert top["CommonPrefixes"] == [{"Prefix": "photos/"}]
    photos = s3.list_objects_v2(Bucket=bucket, Prefix="photos/", Delimiter="/")
    assert [p["Prefix"] for p in photos["CommonPrefixes"]] == ["photos/2024/", "photos/2025/"]
    assert [item["Key"] for item in photos["Contents"]] == ["photos/top.jpg"]
    first = s3.list_objects_v2(Bucket=bucket, MaxKeys=2)
    assert first["IsTruncated"] is True
    assert first["KeyCount"] == 2
    second = s3.list_objects_v2(Bucket=bucket, MaxKeys=10, ContinuationToken=first["NextContinuationToken"])
    assert [item["Key"] for item in second["Contents"]] == keys[2:]
    after = s3.list_objects_v2(Bucket=bucket, StartAfter="photos/2025/z.jpg")
    assert [item["Key"] for item in after["Contents"]] == ["photos/top.jpg", "z.txt"]
    paged = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1})
        for item in page["Contents"]
    ]
    assert paged == keys


def test_list_objects_v1(s3: Any, bucket: str) -> None:
    for key in ("a", "b/c", "b/d", "e"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"1")
    answer = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=2)
    assert [item["Key"] for item in answer["Contents"]] == ["a"]
    assert answer["CommonPrefixes"] == [{"Prefix": "b/"}]
    assert answer["IsTruncated"] is True
    assert answer["NextMarker"] == "b/"
    rest = s3.list_objects(Bucket=bucket, Delimiter="/", Marker=answer["NextMarker"])
    assert [item["Key"] for item in rest["Contents"]] == ["e"]


def test_keys_with_spaces_and_unicode_list_url_encoded(s3: Any, bucket: str) -> None:
    key = "dir with space/naïve+plus.txt"
    s3.put_object(Bucket=bucket, Key=key, Body=b"1")
    assert [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"1"


def test_object_tags(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="t", Body=b"1", Tagging="env=dev&team=blue")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [
        {"Key": "env", "Value": "dev"},
        {"Key": "team", "Value": "blue"},
    ]
    assert s3.get_object(Bucket=bucket, Key="t")["TagCount"] == 2
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "k", "Value": "v"}]
    s3.delete_object_tagging(Bucket=bucket, Key="t")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    with pytest.raises(ClientError) as excinfo:
        s3.put_object_tagging(
            Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]}
        )
    assert error_of(excinfo) == ("InvalidTag", 400, "Object tags cannot be greater than 10")


def test_versions_and_delete_markers(s3: Any, make_bucket: Any) -> None:
    bucket = make_bucket(versioned=True)
    first = s3.put_object(Bucket=bucket, Key="v", Body=b"one")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="v", Body=b"two")["VersionId"]
    assert first != second
    assert s3.get_object(Bucket=bucket, Key="v")["Body"].read() == b"two"
    assert s3.get_object(Bucket=bucket, Key="v", VersionId=first)["Body"].read() == b"one"
    deleted = s3.delete_object(Bucket=bucket, Key="v")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="v")
    assert error_of(excinfo)[:2] == ("NoSuchKey", 404)
    assert excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="v", VersionId=marker)
    assert error_of(excinfo)[:2] == ("MethodNotAllowed", 405)
    listed = s3.list_object_versions(Bucket=bucket)
    assert [(v["VersionId"], v["IsLatest"]) for v in listed["Versions"]] == [(second, False), (first, False)]
    assert [(m["VersionId"], m["IsLatest"]) for m in listed["DeleteMarkers"]] == [(marker, True)]
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key="v", VersionId=marker)  # removing the marker brings "two" back
    assert s3.get_object(Bucket=bucket, Key="v")["Body"].read() == b"two"
    s3.delete_object(Bucket=bucket, Key="v", VersionId=second)
    assert s3.get_object(Bucket=bucket, Key="v")["Body"].read() == b"one"
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="v", VersionId=second)
    assert error_of(excinfo) == ("NoSuchVersion", 404, "The specified version does not exist.")


def test_suspended_versioning_writes_the_null_version(s3: Any, make_bucket: Any) -> None:
    bucket = make_bucket(versioned=True)
    kept = s3.put_object(Bucket=bucket, Key="s", Body=b"kept")["VersionId"]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    s3.put_object(Bucket=bucket, Key="s", Body=b"null one")
    s3.put_object(Bucket=bucket, Key="s", Body=b"null two")
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [v["VersionId"] for v in versions] == ["null", kept]
    assert s3.get_object(Bucket=bucket, Key="s", VersionId="null")["Body"].read() == b"null two"
