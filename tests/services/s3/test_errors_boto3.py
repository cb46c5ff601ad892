"""S3's errors as boto3 meets them, from AWS's S3 API reference (Error responses, and each
operation's page): every request below is refused with AWS's code, HTTP status and message, the
headers of a rest-xml error, and nothing stored changes (buckets, object versions, multipart uploads
and their parts read back through the API before and after).

Messages are the ones S3 answers; where S3's answer differs by case (a HEAD request has no body, so
boto3 reports the bare status) the test says so.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
import zlib
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import boto3
import pytest
import requests
from botocore.auth import SIGV4_TIMESTAMP, S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, Server

pytestmark = pytest.mark.live

MiB = 1024 * 1024
PATH_STYLE = Config(
    retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}, read_timeout=120, signature_version="s3v4"
)

NO_SUCH_BUCKET = "The specified bucket does not exist"
NO_SUCH_KEY = "The specified key does not exist."
NO_SUCH_UPLOAD = (
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or"
    " completed."
)
INVALID_PART = (
    "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified "
    "entity tag may not match the part's entity tag."
)
PRECONDITION_FAILED = "At least one of the pre-conditions you specified did not hold"
MALFORMED_XML = "The XML you provided was not well-formed or did not validate against our published schema"


# --- fixtures and helpers --------------------------------------------------------------------------------------


def s3_client(server: Server, who: SandboxInfo, *, region: str | None = None, secret: str | None = None) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=server.url,
        region_name=region or who.region,
        aws_access_key_id=who.access_key_id,
        aws_secret_access_key=secret or who.secret_access_key,
        config=PATH_STYLE,
    )


@pytest.fixture
def s3(daphne: Server, sandbox: SandboxInfo) -> Any:
    return s3_client(daphne, sandbox)


def unique(prefix: str = "bucket") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def bucket(s3: Any) -> str:
    """A new bucket holding one object, `hello.txt` ("hello world")."""
    name = unique()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="hello.txt", Body=b"hello world", ContentType="text/plain")
    return name


def stored(s3: Any) -> dict[str, Any]:
    """Everything the sandbox holds in S3, as the API lists it: buckets and their regions, every
    object version and delete marker (key, version, ETag, size), every multipart upload and its parts."""
    state: dict[str, Any] = {}
    for entry in s3.list_buckets().get("Buckets", []):
        name = entry["Name"]
        versions = s3.list_object_versions(Bucket=name)
        uploads = s3.list_multipart_uploads(Bucket=name).get("Uploads", [])
        state[name] = {
            "region": s3.get_bucket_location(Bucket=name).get("LocationConstraint"),
            "versions": sorted(
                (v["Key"], v["VersionId"], v["ETag"], v["Size"], v["IsLatest"]) for v in versions.get("Versions", [])
            ),
            "markers": sorted((m["Key"], m["VersionId"]) for m in versions.get("DeleteMarkers", [])),
            "uploads": sorted(
                (
                    u["Key"],
                    u["UploadId"],
                    tuple(
                        (p["PartNumber"], p["ETag"], p["Size"])
                        for p in s3.list_parts(Bucket=name, Key=u["Key"], UploadId=u["UploadId"]).get("Parts", [])
                    ),
                )
                for u in uploads
            ),
        }
    return state


@pytest.fixture
def unchanged(s3: Any) -> Iterator[None]:
    """Asserts, after the test, that S3 holds exactly what it held when the test began refusing
    things (request the fixture after making what the test needs)."""
    before = stored(s3)
    yield
    assert stored(s3) == before


def refused(call: Callable[[], Any], code: str, status: int, message: str) -> dict[str, Any]:
    """Run a boto3 call that S3 must refuse; check the error's code, status, message and headers."""
    with pytest.raises(ClientError) as raised:
        call()
    response: dict[str, Any] = raised.value.response
    assert response["Error"]["Code"] == code, response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status, response
    assert response["Error"].get("Message") == message, response
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers.get("x-amz-request-id"), headers
    if status != 304 and code.isalpha():  # a HEAD's or a 304's answer has no body
        assert headers.get("content-type", "").startswith("application/xml"), headers
    return response


def raw_s3(
    server: Server,
    who: SandboxInfo,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    payload_hash: str | None = None,
) -> requests.Response:
    """A request signed with S3's SigV4 rules, for bodies an SDK would never send."""
    url = f"{server.url}{path}"
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    stamp = dt.datetime.now(dt.UTC).strftime(SIGV4_TIMESTAMP)
    request.context["timestamp"] = stamp
    request.headers["X-Amz-Date"] = stamp
    request.headers["X-Amz-Content-SHA256"] = payload_hash or hashlib.sha256(body).hexdigest()
    S3SigV4Auth(Credentials(who.access_key_id, who.secret_access_key), "s3", who.region).add_auth(request)
    prepared = request.prepare()
    return requests.request(method, prepared.url, data=body, headers=dict(prepared.headers), timeout=60)


def xml_error(response: requests.Response) -> tuple[int, str, str]:
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(response.content)  # noqa: S314  (the answer of the test's own server)
    except ET.ParseError:
        shown = f"{response.status_code} {response.headers} {response.content[:300]!r}"
        raise AssertionError(f"not an XML error: {shown}") from None
    return response.status_code, root.findtext("Code") or "", root.findtext("Message") or ""


def crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


# --- NoSuchBucket ----------------------------------------------------------------------------------------------


def test_operations_on_a_missing_bucket_answer_no_such_bucket(s3: Any, bucket: str, unchanged: None) -> None:
    missing = unique("missing")
    for call in (
        lambda: s3.get_object(Bucket=missing, Key="hello.txt"),
        lambda: s3.put_object(Bucket=missing, Key="hello.txt", Body=b"x"),
        lambda: s3.list_objects_v2(Bucket=missing),
        lambda: s3.delete_bucket(Bucket=missing),
        lambda: s3.delete_object(Bucket=missing, Key="hello.txt"),
        lambda: s3.create_multipart_upload(Bucket=missing, Key="big"),
        lambda: s3.copy_object(Bucket=missing, Key="copy", CopySource={"Bucket": bucket, "Key": "hello.txt"}),
        lambda: s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": missing, "Key": "hello.txt"}),
    ):
        refused(call, "NoSuchBucket", 404, NO_SUCH_BUCKET)


def test_head_bucket_of_a_missing_bucket_answers_404_without_a_body(s3: Any, unchanged: None) -> None:
    # HEAD responses carry no body: boto3 reports the status as the code and its reason as the message.
    refused(lambda: s3.head_bucket(Bucket=unique("missing")), "404", 404, "Not Found")


def test_another_sandboxs_bucket_does_not_exist_for_this_one(
    daphne: Server, s3: Any, bucket: str, make_sandbox: Callable[..., SandboxInfo]
) -> None:
    other = s3_client(daphne, make_sandbox("other"))
    before = stored(s3)
    refused(lambda: other.get_object(Bucket=bucket, Key="hello.txt"), "NoSuchBucket", 404, NO_SUCH_BUCKET)
    refused(lambda: other.delete_bucket(Bucket=bucket), "NoSuchBucket", 404, NO_SUCH_BUCKET)
    assert stored(s3) == before


# --- NoSuchKey -------------------------------------------------------------------------------------------------


def test_get_of_a_missing_key_answers_no_such_key(s3: Any, bucket: str, unchanged: None) -> None:
    refused(lambda: s3.get_object(Bucket=bucket, Key="nothing/here.txt"), "NoSuchKey", 404, NO_SUCH_KEY)


def test_head_of_a_missing_key_answers_404_without_a_body(s3: Any, bucket: str, unchanged: None) -> None:
    refused(lambda: s3.head_object(Bucket=bucket, Key="nothing.txt"), "404", 404, "Not Found")


def test_copy_from_a_missing_key_answers_no_such_key_and_writes_nothing(s3: Any, bucket: str, unchanged: None) -> None:
    refused(
        lambda: s3.copy_object(Bucket=bucket, Key="copy.txt", CopySource={"Bucket": bucket, "Key": "absent.txt"}),
        "NoSuchKey",
        404,
        NO_SUCH_KEY,
    )


def test_get_of_a_key_whose_latest_version_is_a_delete_marker_answers_no_such_key(s3: Any, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="gone.txt", Body=b"soon gone")
    marker = s3.delete_object(Bucket=bucket, Key="gone.txt")
    assert marker["DeleteMarker"] is True
    before = stored(s3)
    response = refused(lambda: s3.get_object(Bucket=bucket, Key="gone.txt"), "NoSuchKey", 404, NO_SUCH_KEY)
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers.get("x-amz-delete-marker") == "true"
    assert stored(s3) == before


# --- creating buckets: BucketAlreadyOwnedByYou, InvalidBucketName, LocationConstraint ---------------------------


def test_creating_a_bucket_you_own_again_outside_us_east_1_answers_bucket_already_owned_by_you(
    daphne: Server, sandbox: SandboxInfo, s3: Any
) -> None:
    ireland = s3_client(daphne, sandbox, region="eu-west-1")
    name = unique()
    ireland.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    ireland.put_object(Bucket=name, Key="kept.txt", Body=b"kept")
    before = stored(s3)
    refused(
        lambda: ireland.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}),
        "BucketAlreadyOwnedByYou",
        409,
        "Your previous request to create the named bucket succeeded and you already own it.",
    )
    assert stored(s3) == before
    assert before[name]["region"] == "eu-west-1"


def test_creating_a_bucket_you_own_again_in_us_east_1_succeeds_and_keeps_its_objects(s3: Any, bucket: str) -> None:
    # AWS's legacy behaviour in North Virginia (CreateBucket, BucketAlreadyOwnedByYou): 200 OK.
    before = stored(s3)
    answer = s3.create_bucket(Bucket=bucket)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert stored(s3) == before


@pytest.mark.parametrize(
    "name",
    [
        "ab",  # fewer than 3 characters
        "a" * 64,  # more than 63
        "Uppercase-bucket",  # upper case letters
        "under_score",  # underscores
        "-starts-with-hyphen",
        "ends-with-hyphen-",
        "two..periods",
        "192.168.5.4",  # an IP address
        "xn--reserved-prefix",
        "reserved-suffix-s3alias",
        "reserved-suffix--ol-s3",
        "sthree-reserved-prefix",
    ],
)
def test_a_name_against_the_bucket_naming_rules_answers_invalid_bucket_name(
    s3: Any, name: str, unchanged: None
) -> None:
    refused(lambda: s3.create_bucket(Bucket=name), "InvalidBucketName", 400, "The specified bucket is not valid.")


def test_a_location_constraint_from_another_region_is_refused(s3: Any, unchanged: None) -> None:
    name = unique()
    refused(
        lambda: s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}),
        "IllegalLocationConstraintException",
        400,
        "The eu-west-1 location constraint is incompatible for the region specific endpoint this request was sent to.",
    )


def test_no_location_constraint_outside_us_east_1_is_refused(
    daphne: Server, sandbox: SandboxInfo, s3: Any, unchanged: None
) -> None:
    ireland = s3_client(daphne, sandbox, region="eu-west-1")
    refused(
        lambda: ireland.create_bucket(Bucket=unique()),
        "IllegalLocationConstraintException",
        400,
        "The unspecified location constraint is incompatible for the region specific endpoint this request was"
        " sent to.",
    )


def test_us_east_1_as_a_location_constraint_is_not_valid(s3: Any, unchanged: None) -> None:
    refused(
        lambda: s3.create_bucket(Bucket=unique(), CreateBucketConfiguration={"LocationConstraint": "us-east-1"}),
        "InvalidLocationConstraint",
        400,
        "The specified location-constraint is not valid",
    )


# --- BucketNotEmpty --------------------------------------------------------------------------------------------


def test_deleting_a_bucket_with_objects_answers_bucket_not_empty(s3: Any, bucket: str, unchanged: None) -> None:
    refused(
        lambda: s3.delete_bucket(Bucket=bucket), "BucketNotEmpty", 409, "The bucket you tried to delete is not empty"
    )


def test_a_bucket_holding_only_old_versions_and_delete_markers_is_not_empty(s3: Any, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="hello.txt", Body=b"second")
    s3.delete_object(Bucket=bucket, Key="hello.txt")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    before = stored(s3)
    refused(
        lambda: s3.delete_bucket(Bucket=bucket),
        "BucketNotEmpty",
        409,
        "The bucket you tried to delete is not empty. You must delete all versions in the bucket.",
    )
    assert stored(s3) == before


def test_an_emptied_bucket_can_be_deleted(s3: Any, bucket: str) -> None:
    s3.delete_object(Bucket=bucket, Key="hello.txt")
    s3.delete_bucket(Bucket=bucket)
    refused(lambda: s3.list_objects_v2(Bucket=bucket), "NoSuchBucket", 404, NO_SUCH_BUCKET)


# --- multipart uploads: EntityTooSmall, InvalidPart, InvalidPartOrder, NoSuchUpload -----------------------------


@pytest.fixture
def upload(s3: Any, bucket: str) -> dict[str, Any]:
    """A multipart upload of `big.bin` with two parts: 1 of 5 MiB, 2 of 1 KiB (a valid last part)."""
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="big.bin")["UploadId"]
    first = s3.upload_part(Bucket=bucket, Key="big.bin", UploadId=upload_id, PartNumber=1, Body=b"a" * (5 * MiB))
    last = s3.upload_part(Bucket=bucket, Key="big.bin", UploadId=upload_id, PartNumber=2, Body=b"b" * 1024)
    return {
        "bucket": bucket,
        "id": upload_id,
        "parts": [{"PartNumber": 1, "ETag": first["ETag"]}, {"PartNumber": 2, "ETag": last["ETag"]}],
    }


def complete(s3: Any, upload: dict[str, Any], parts: list[dict[str, Any]]) -> Any:
    return s3.complete_multipart_upload(
        Bucket=upload["bucket"], Key="big.bin", UploadId=upload["id"], MultipartUpload={"Parts": parts}
    )


def test_a_part_under_5_mib_that_is_not_the_last_answers_entity_too_small(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="small.bin")["UploadId"]
    parts = []
    for number in (1, 2):
        answer = s3.upload_part(Bucket=bucket, Key="small.bin", UploadId=upload_id, PartNumber=number, Body=b"x" * 1024)
        parts.append({"PartNumber": number, "ETag": answer["ETag"]})
    before = stored(s3)
    refused(
        lambda: s3.complete_multipart_upload(
            Bucket=bucket, Key="small.bin", UploadId=upload_id, MultipartUpload={"Parts": parts}
        ),
        "EntityTooSmall",
        400,
        "Your proposed upload is smaller than the minimum allowed object size.",
    )
    # The upload stays in progress with its parts; no object was made.
    assert stored(s3) == before
    refused(lambda: s3.get_object(Bucket=bucket, Key="small.bin"), "NoSuchKey", 404, NO_SUCH_KEY)


def test_a_wrong_etag_answers_invalid_part(s3: Any, upload: dict[str, Any], unchanged: None) -> None:
    parts = [upload["parts"][0], {"PartNumber": 2, "ETag": '"0123456789abcdef0123456789abcdef"'}]
    refused(lambda: complete(s3, upload, parts), "InvalidPart", 400, INVALID_PART)


def test_a_part_never_uploaded_answers_invalid_part(s3: Any, upload: dict[str, Any], unchanged: None) -> None:
    parts = [*upload["parts"], {"PartNumber": 3, "ETag": upload["parts"][1]["ETag"]}]
    refused(lambda: complete(s3, upload, parts), "InvalidPart", 400, INVALID_PART)


def test_parts_out_of_order_answer_invalid_part_order(s3: Any, upload: dict[str, Any], unchanged: None) -> None:
    refused(
        lambda: complete(s3, upload, list(reversed(upload["parts"]))),
        "InvalidPartOrder",
        400,
        "The list of parts was not in ascending order. Parts must be ordered by part number.",
    )


def test_an_unknown_upload_id_answers_no_such_upload(s3: Any, bucket: str, unchanged: None) -> None:
    refused(
        lambda: s3.upload_part(Bucket=bucket, Key="big.bin", UploadId="no-such-upload", PartNumber=1, Body=b"x"),
        "NoSuchUpload",
        404,
        NO_SUCH_UPLOAD,
    )
    refused(
        lambda: s3.list_parts(Bucket=bucket, Key="big.bin", UploadId="no-such-upload"),
        "NoSuchUpload",
        404,
        NO_SUCH_UPLOAD,
    )


def test_an_aborted_upload_cannot_be_completed(s3: Any, upload: dict[str, Any]) -> None:
    s3.abort_multipart_upload(Bucket=upload["bucket"], Key="big.bin", UploadId=upload["id"])
    before = stored(s3)
    refused(lambda: complete(s3, upload, upload["parts"]), "NoSuchUpload", 404, NO_SUCH_UPLOAD)
    assert stored(s3) == before


def test_the_valid_upload_completes_with_a_multipart_etag(s3: Any, upload: dict[str, Any]) -> None:
    """The control for the refusals above: the same parts, in order, make the object."""
    answer = complete(s3, upload, upload["parts"])
    md5s = b"".join(bytes.fromhex(part["ETag"].strip('"')) for part in upload["parts"])
    assert answer["ETag"] == f'"{hashlib.md5(md5s, usedforsecurity=False).hexdigest()}-2"'
    head = s3.head_object(Bucket=upload["bucket"], Key="big.bin")
    assert head["ContentLength"] == 5 * MiB + 1024


# --- InvalidRange ----------------------------------------------------------------------------------------------


def test_a_range_starting_past_the_end_answers_invalid_range(s3: Any, bucket: str, unchanged: None) -> None:
    refused(
        lambda: s3.get_object(Bucket=bucket, Key="hello.txt", Range="bytes=100-200"),
        "InvalidRange",
        416,
        "The requested range is not satisfiable",
    )


def test_a_range_reaching_past_the_end_is_cut_at_the_end(s3: Any, bucket: str) -> None:
    answer = s3.get_object(Bucket=bucket, Key="hello.txt", Range="bytes=6-100")
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert answer["ContentRange"] == "bytes 6-10/11"
    assert answer["Body"].read() == b"world"


def test_a_suffix_range_gives_the_last_bytes(s3: Any, bucket: str) -> None:
    answer = s3.get_object(Bucket=bucket, Key="hello.txt", Range="bytes=-5")
    assert (answer["ContentRange"], answer["Body"].read()) == ("bytes 6-10/11", b"world")


# --- PreconditionFailed and Not Modified -----------------------------------------------------------------------


def test_if_match_with_another_etag_answers_precondition_failed(s3: Any, bucket: str, unchanged: None) -> None:
    refused(
        lambda: s3.get_object(Bucket=bucket, Key="hello.txt", IfMatch='"0123456789abcdef0123456789abcdef"'),
        "PreconditionFailed",
        412,
        PRECONDITION_FAILED,
    )


def test_if_unmodified_since_before_the_write_answers_precondition_failed(
    s3: Any, bucket: str, unchanged: None
) -> None:
    written = s3.head_object(Bucket=bucket, Key="hello.txt")["LastModified"]
    refused(
        lambda: s3.get_object(Bucket=bucket, Key="hello.txt", IfUnmodifiedSince=written - dt.timedelta(days=1)),
        "PreconditionFailed",
        412,
        PRECONDITION_FAILED,
    )


def test_if_none_match_with_the_etag_answers_304_not_modified(s3: Any, bucket: str, unchanged: None) -> None:
    etag = s3.head_object(Bucket=bucket, Key="hello.txt")["ETag"]
    refused(lambda: s3.get_object(Bucket=bucket, Key="hello.txt", IfNoneMatch=etag), "304", 304, "Not Modified")


def test_if_modified_since_after_the_write_answers_304_not_modified(s3: Any, bucket: str, unchanged: None) -> None:
    written = s3.head_object(Bucket=bucket, Key="hello.txt")["LastModified"]
    refused(
        lambda: s3.get_object(Bucket=bucket, Key="hello.txt", IfModifiedSince=written + dt.timedelta(days=1)),
        "304",
        304,
        "Not Modified",
    )


def test_preconditions_that_hold_return_the_object(s3: Any, bucket: str) -> None:
    head = s3.head_object(Bucket=bucket, Key="hello.txt")
    answer = s3.get_object(
        Bucket=bucket,
        Key="hello.txt",
        IfMatch=head["ETag"],
        IfModifiedSince=head["LastModified"] - dt.timedelta(days=1),
    )
    assert answer["Body"].read() == b"hello world"


# --- MalformedXML ----------------------------------------------------------------------------------------------


def test_delete_objects_with_no_object_answers_malformed_xml(s3: Any, bucket: str, unchanged: None) -> None:
    refused(lambda: s3.delete_objects(Bucket=bucket, Delete={"Objects": []}), "MalformedXML", 400, MALFORMED_XML)


def test_a_complete_multipart_upload_body_that_is_not_xml_answers_malformed_xml(
    daphne: Server, sandbox: SandboxInfo, s3: Any, upload: dict[str, Any]
) -> None:
    before = stored(s3)
    response = raw_s3(
        daphne,
        sandbox,
        "POST",
        f"/{upload['bucket']}/big.bin?uploadId={upload['id']}",
        body=b"<CompleteMultipartUpload><Part><PartNumber>1</Part>",
    )
    assert xml_error(response) == (400, "MalformedXML", MALFORMED_XML)
    assert stored(s3) == before


def test_a_notification_configuration_that_is_not_xml_answers_malformed_xml(
    daphne: Server, sandbox: SandboxInfo, s3: Any, bucket: str
) -> None:
    before = s3.get_bucket_notification_configuration(Bucket=bucket)
    response = raw_s3(daphne, sandbox, "PUT", f"/{bucket}?notification", body=b"<NotificationConfiguration><Queue")
    assert xml_error(response) == (400, "MalformedXML", MALFORMED_XML)
    after = s3.get_bucket_notification_configuration(Bucket=bucket)
    before.pop("ResponseMetadata")
    after.pop("ResponseMetadata")
    assert after == before


# --- bad checksums: BadDigest, InvalidDigest, InvalidRequest ---------------------------------------------------


def test_a_crc32_that_does_not_match_the_body_answers_bad_digest(s3: Any, bucket: str, unchanged: None) -> None:
    refused(
        lambda: s3.put_object(Bucket=bucket, Key="hello.txt", Body=b"changed", ChecksumCRC32=crc32(b"other")),
        "BadDigest",
        400,
        "The CRC32 you specified did not match the calculated checksum.",
    )


def test_a_sha256_that_does_not_match_the_body_answers_bad_digest(s3: Any, bucket: str, unchanged: None) -> None:
    wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    refused(
        lambda: s3.put_object(Bucket=bucket, Key="new.txt", Body=b"body", ChecksumSHA256=wrong),
        "BadDigest",
        400,
        "The SHA256 you specified did not match the calculated checksum.",
    )


def test_a_content_md5_that_does_not_match_the_body_answers_bad_digest(s3: Any, bucket: str, unchanged: None) -> None:
    wrong = base64.b64encode(hashlib.md5(b"other", usedforsecurity=False).digest()).decode()
    refused(
        lambda: s3.put_object(Bucket=bucket, Key="hello.txt", Body=b"changed", ContentMD5=wrong),
        "BadDigest",
        400,
        "The Content-MD5 you specified did not match what we received.",
    )


def test_a_content_md5_that_is_no_md5_answers_invalid_digest(s3: Any, bucket: str, unchanged: None) -> None:
    refused(
        lambda: s3.put_object(Bucket=bucket, Key="hello.txt", Body=b"changed", ContentMD5="bm90LWFuLW1kNQ=="),
        "InvalidDigest",
        400,
        "The Content-MD5 you specified was invalid.",
    )


def test_a_checksum_value_that_is_not_a_crc32_answers_invalid_request(s3: Any, bucket: str, unchanged: None) -> None:
    refused(
        lambda: s3.put_object(Bucket=bucket, Key="hello.txt", Body=b"changed", ChecksumCRC32="not-a-crc"),
        "InvalidRequest",
        400,
        "Value for x-amz-checksum-crc32 header is invalid.",
    )


def test_a_part_with_a_wrong_checksum_answers_bad_digest_and_is_not_kept(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="big.bin", ChecksumAlgorithm="CRC32")["UploadId"]
    before = stored(s3)
    refused(
        lambda: s3.upload_part(
            Bucket=bucket, Key="big.bin", UploadId=upload_id, PartNumber=1, Body=b"part", ChecksumCRC32=crc32(b"nope")
        ),
        "BadDigest",
        400,
        "The CRC32 you specified did not match the calculated checksum.",
    )
    assert stored(s3) == before


def test_an_aws_chunked_upload_whose_trailing_checksum_is_wrong_answers_bad_digest(
    daphne: Server, sandbox: SandboxInfo, s3: Any, bucket: str
) -> None:
    """What today's SDKs send over HTTPS: the body in aws-chunked framing, its CRC32 in a trailer."""
    data = b"changed by a chunked upload"
    body = b"%x\r\n%s\r\n0\r\nx-amz-checksum-crc32:%s\r\n\r\n" % (len(data), data, crc32(b"other").encode())
    headers = {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(data)),
        "X-Amz-Trailer": "x-amz-checksum-crc32",
        "X-Amz-Sdk-Checksum-Algorithm": "CRC32",
        "Content-Length": str(len(body)),
    }
    before = stored(s3)
    response = raw_s3(
        daphne, sandbox, "PUT", f"/{bucket}/hello.txt", body=body, headers=headers,
        payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    )  # fmt: skip
    assert xml_error(response) == (400, "BadDigest", "The CRC32 you specified did not match the calculated checksum.")
    assert stored(s3) == before
    assert s3.get_object(Bucket=bucket, Key="hello.txt")["Body"].read() == b"hello world"


def test_an_aws_chunked_upload_with_the_right_trailing_checksum_is_stored(
    daphne: Server, sandbox: SandboxInfo, s3: Any, bucket: str
) -> None:
    """The control for the test above."""
    data = b"changed by a chunked upload"
    body = b"%x\r\n%s\r\n0\r\nx-amz-checksum-crc32:%s\r\n\r\n" % (len(data), data, crc32(data).encode())
    headers = {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(data)),
        "X-Amz-Trailer": "x-amz-checksum-crc32",
        "X-Amz-Sdk-Checksum-Algorithm": "CRC32",
        "Content-Length": str(len(body)),
    }
    response = raw_s3(
        daphne, sandbox, "PUT", f"/{bucket}/hello.txt", body=body, headers=headers,
        payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.headers.get("x-amz-checksum-crc32") == crc32(data)
    assert s3.get_object(Bucket=bucket, Key="hello.txt")["Body"].read() == data


# --- strict mode: SignatureDoesNotMatch, expired and tampered presigned URLs -----------------------------------


class Strict(NamedTuple):
    client: Any
    bucket: str


@pytest.fixture
def strict(strict_server: Server, sandbox: SandboxInfo) -> Strict:
    """The sandbox's S3 on the strict server (signatures verified), with a bucket holding hello.txt."""
    client = s3_client(strict_server, sandbox)
    name = unique()
    client.create_bucket(Bucket=name)
    client.put_object(Bucket=name, Key="hello.txt", Body=b"hello world")
    return Strict(client, name)


SIGNATURE_MISMATCH = "The request signature we calculated does not match the signature you provided."


def test_a_wrong_secret_key_answers_signature_does_not_match_and_stores_nothing(
    strict_server: Server, sandbox: SandboxInfo, strict: Strict
) -> None:
    impostor = s3_client(strict_server, sandbox, secret="wrong" + sandbox.secret_access_key[5:])
    before = stored(strict.client)
    for call in (
        lambda: impostor.put_object(Bucket=strict.bucket, Key="hello.txt", Body=b"overwritten"),
        lambda: impostor.delete_object(Bucket=strict.bucket, Key="hello.txt"),
        lambda: impostor.create_bucket(Bucket=unique()),
        lambda: impostor.get_object(Bucket=strict.bucket, Key="hello.txt"),
    ):
        with pytest.raises(ClientError) as raised:
            call()
        error = raised.value.response
        assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("SignatureDoesNotMatch", 403)
        assert error["Error"]["Message"].startswith(SIGNATURE_MISMATCH), error
    assert stored(strict.client) == before


def test_a_presigned_get_works_in_strict_mode(strict: Strict) -> None:
    url = strict.client.generate_presigned_url("get_object", Params={"Bucket": strict.bucket, "Key": "hello.txt"})
    response = requests.get(url, timeout=30)
    assert (response.status_code, response.content) == (200, b"hello world")


def test_boto3s_default_sigv2_presigned_url_gets_an_s3_answer(
    daphne: Server, sandbox: SandboxInfo, bucket: str
) -> None:
    """An AWS request never gets an HTML page: S3 either serves a SigV2 presigned URL or refuses it with
    an XML error."""
    legacy = boto3.client(
        "s3",
        endpoint_url=daphne.url,
        region_name="us-east-1",
        aws_access_key_id=sandbox.access_key_id,
        aws_secret_access_key=sandbox.secret_access_key,
        config=Config(s3={"addressing_style": "path"}),
    )
    url = legacy.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "hello.txt"})
    assert "AWSAccessKeyId=" in url
    response = requests.get(url, timeout=30)
    assert response.status_code < 500
    assert response.content == b"hello world" or xml_error(response)[1]


def test_a_presigned_put_works_in_strict_mode(strict: Strict) -> None:
    url = strict.client.generate_presigned_url("put_object", Params={"Bucket": strict.bucket, "Key": "put.txt"})
    assert requests.put(url, data=b"put through a URL", timeout=30).status_code == 200
    assert strict.client.get_object(Bucket=strict.bucket, Key="put.txt")["Body"].read() == b"put through a URL"


def presigned_ten_minutes_ago(client: Any, method: str, params: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    """A URL signed ten minutes ago, valid for one: as an SDK signs it, at that time."""
    ten_minutes_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)

    def then(remove_tzinfo: bool = True) -> dt.datetime:
        return ten_minutes_ago.replace(tzinfo=None) if remove_tzinfo else ten_minutes_ago

    with monkeypatch.context() as patch:
        # botocore signs S3 with awscrt's signer when awscrt is installed (it is: the lock has it).
        for module in ("botocore.auth", "botocore.crt.auth"):
            patch.setattr(f"{module}.get_current_datetime", then, raising=False)
        return str(client.generate_presigned_url(method, Params=params, ExpiresIn=60))


def test_an_expired_presigned_get_answers_access_denied(strict: Strict, monkeypatch: pytest.MonkeyPatch) -> None:
    url = presigned_ten_minutes_ago(
        strict.client, "get_object", {"Bucket": strict.bucket, "Key": "hello.txt"}, monkeypatch
    )
    assert xml_error(requests.get(url, timeout=30)) == (403, "AccessDenied", "Request has expired")


def test_an_expired_presigned_put_answers_access_denied_and_stores_nothing(
    strict: Strict, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = presigned_ten_minutes_ago(
        strict.client, "put_object", {"Bucket": strict.bucket, "Key": "hello.txt"}, monkeypatch
    )
    before = stored(strict.client)
    assert xml_error(requests.put(url, data=b"too late", timeout=30)) == (403, "AccessDenied", "Request has expired")
    assert stored(strict.client) == before


def test_a_presigned_url_for_another_key_answers_signature_does_not_match(strict: Strict) -> None:
    url = strict.client.generate_presigned_url("put_object", Params={"Bucket": strict.bucket, "Key": "allowed.txt"})
    before = stored(strict.client)
    response = requests.put(url.replace("/allowed.txt?", "/hello.txt?"), data=b"not allowed", timeout=30)
    status, code, message = xml_error(response)
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert message.startswith(SIGNATURE_MISMATCH)
    assert stored(strict.client) == before
