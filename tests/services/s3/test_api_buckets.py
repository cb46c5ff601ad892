"""Buckets through boto3 against the live server: create (names, locations), head, list, delete,
location, versioning status, tags and policy, with S3's errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_of

pytestmark = pytest.mark.live


def test_create_list_head_and_delete_a_bucket(s3: Any, make_bucket: Callable[..., str]) -> None:
    name = make_bucket()
    listed = s3.list_buckets()
    assert [entry["Name"] for entry in listed["Buckets"]] == [name]
    assert listed["Buckets"][0]["BucketRegion"] == "us-east-1"
    assert len(listed["Owner"]["ID"]) == 64
    head = s3.head_bucket(Bucket=name)
    assert head["BucketRegion"] == "us-east-1"
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    s3.delete_bucket(Bucket=name)
    assert s3.list_buckets()["Buckets"] == []
    with pytest.raises(ClientError) as excinfo:
        s3.head_bucket(Bucket=name)
    assert error_of(excinfo)[:2] == ("404", 404)


@pytest.mark.parametrize(
    "name",
    ["ab", "a" * 64, "Upper", "under_score", "-start", "end-", "two..dots", "192.168.5.4", "xn--bucket", "a-s3alias"],
)
def test_bucket_names_breaking_the_rules_are_invalid(s3: Any, name: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        s3.create_bucket(Bucket=name)
    assert error_of(excinfo) == ("InvalidBucketName", 400, "The specified bucket is not valid.")
    assert excinfo.value.response["Error"]["BucketName"] == name


def test_location_constraints(aws: Callable[..., Any], s3: Any) -> None:
    eu = aws("s3", region_name="eu-west-1")
    eu.create_bucket(Bucket="in-ireland-1", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert s3.get_bucket_location(Bucket="in-ireland-1")["LocationConstraint"] == "eu-west-1"
    with pytest.raises(ClientError) as excinfo:
        eu.create_bucket(Bucket="no-constraint-1")
    assert error_of(excinfo) == (
        "IllegalLocationConstraintException",
        400,
        "The unspecified location constraint is incompatible for the region specific endpoint "
        "this request was sent to.",
    )
    with pytest.raises(ClientError) as excinfo:
        s3.create_bucket(Bucket="wrong-region-1", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert error_of(excinfo)[:2] == ("IllegalLocationConstraintException", 400)
    with pytest.raises(ClientError) as excinfo:
        s3.create_bucket(Bucket="bad-region-1", CreateBucketConfiguration={"LocationConstraint": "moon-1"})
    assert error_of(excinfo) == ("InvalidLocationConstraint", 400, "The specified location-constraint is not valid")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["in-ireland-1"]


def test_creating_a_bucket_twice(aws: Callable[..., Any], s3: Any) -> None:
    s3.create_bucket(Bucket="twice-east")
    s3.create_bucket(Bucket="twice-east")  # us-east-1 keeps S3's legacy 200 OK
    eu = aws("s3", region_name="eu-west-1")
    eu.create_bucket(Bucket="twice-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    with pytest.raises(ClientError) as excinfo:
        eu.create_bucket(Bucket="twice-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert error_of(excinfo) == (
        "BucketAlreadyOwnedByYou",
        409,
        "Your previous request to create the named bucket succeeded and you already own it.",
    )


def test_missing_buckets_and_non_empty_buckets(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        s3.list_objects_v2(Bucket="no-such-bucket-here")
    assert error_of(excinfo) == ("NoSuchBucket", 404, "The specified bucket does not exist")
    assert excinfo.value.response["Error"]["BucketName"] == "no-such-bucket-here"
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as excinfo:
        s3.delete_bucket(Bucket=bucket)
    assert error_of(excinfo) == ("BucketNotEmpty", 409, "The bucket you tried to delete is not empty")
    assert s3.head_bucket(Bucket=bucket)


def test_list_buckets_pages_and_filters(s3: Any) -> None:
    for name in ("page-a", "page-b", "page-c", "other-d"):
        s3.create_bucket(Bucket=name)
    first = s3.list_buckets(MaxBuckets=2)
    assert [b["Name"] for b in first["Buckets"]] == ["other-d", "page-a"]
    second = s3.list_buckets(MaxBuckets=2, ContinuationToken=first["ContinuationToken"])
    assert [b["Name"] for b in second["Buckets"]] == ["page-b", "page-c"]
    assert [b["Name"] for b in s3.list_buckets(Prefix="page-")["Buckets"]] == ["page-a", "page-b", "page-c"]


def test_bucket_tags(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error_of(excinfo) == ("NoSuchTagSet", 404, "The TagSet does not exist")
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "blue"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "team", "Value": "blue"}]
    s3.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_tagging(Bucket=bucket)


def test_bucket_policy_is_validated_and_stored(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        s3.get_bucket_policy(Bucket=bucket)
    assert error_of(excinfo) == ("NoSuchBucketPolicy", 404, "The bucket policy does not exist")
    with pytest.raises(ClientError) as excinfo:
        s3.put_bucket_policy(Bucket=bucket, Policy="not json")
    assert error_of(excinfo) == ("MalformedPolicy", 400, "Policies must be valid JSON and the first byte must be '{'")
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    with pytest.raises(ClientError) as excinfo:
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [statement]}))
    assert error_of(excinfo) == ("MalformedPolicy", 400, "Missing required field Principal")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{**statement, "Principal": "*"}]})
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(policy)
    s3.delete_bucket_policy(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_policy(Bucket=bucket)


def test_versioning_status(s3: Any, bucket: str) -> None:
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"


def test_deleting_a_sandbox_deletes_its_object_bytes(
    aws: Callable[..., Any], make_sandbox: Callable[..., Any], db_access: None
) -> None:
    from django.core.files.storage import storages

    from playground.sandboxes.models import Sandbox
    from playground.sandboxes.services import sandbox_delete
    from services.s3.models import ObjectVersion

    doomed = make_sandbox()
    s3 = aws("s3", info=doomed)
    s3.create_bucket(Bucket="doomed")
    s3.put_object(Bucket="doomed", Key="k", Body=b"bytes on disk")
    [name] = ObjectVersion.objects.filter(sandbox_id=doomed.id).values_list("storage_name", flat=True)
    assert storages["blobs"].exists(name)
    sandbox_delete(sandbox=Sandbox.objects.get(pk=doomed.id))
    assert not storages["blobs"].exists(name)
    assert not Sandbox.objects.filter(pk=doomed.id).exists()


def test_a_sandbox_reset_deletes_buckets_and_their_bytes(s3: Any, bucket: str, sandbox: Any, db_access: None) -> None:
    from django.core.files.storage import storages
    from django.db import transaction

    from playground.sandboxes.models import Sandbox
    from playground.sandboxes.services import sandbox_reset
    from services.s3.models import ObjectVersion

    s3.put_object(Bucket=bucket, Key="k", Body=b"bytes on disk")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="part")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="part", UploadId=upload, PartNumber=1, Body=b"a part")
    [name] = ObjectVersion.objects.filter(bucket__name=bucket, sandbox_id=sandbox.id).values_list(
        "storage_name", flat=True
    )
    assert storages["blobs"].exists(name)
    with transaction.atomic():
        sandbox_reset(sandbox=Sandbox.objects.get(pk=sandbox.id))
    assert not storages["blobs"].exists(name)
    assert s3.list_buckets()["Buckets"] == []
