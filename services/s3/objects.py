"""Objects: write, read (ranges and conditions), delete, copy, tags; the versioning rules.

Writes: the body is stored first (storage.store: MD5 and the checksum in one pass), checked against
Content-MD5 and the x-amz-checksum-* value (sent as a header or as an aws-chunked trailer), and only
then does a version row appear; a refused body leaves nothing behind. With no checksum sent, S3
computes CRC64NVME, as AWS does for new objects.

Versioning: an unversioned bucket keeps one "null" version per key, replaced by each write; with
versioning Enabled each write adds a version and a delete without a version id adds a delete
marker; Suspended writes and deletes replace the "null" version (a delete with a "null" delete
marker). Deleting a specific version removes it for good and, when it was the latest, makes the
next newer one latest.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from django.db import connection

from services.s3 import checksums, events, notifications, storage
from services.s3.buckets import check_tags
from services.s3.exceptions import (
    BadDigest,
    InvalidArgument,
    InvalidDigest,
    InvalidPartNumber,
    InvalidRange,
    InvalidRequest,
    KeyTooLongError,
    MethodNotAllowed,
    NoSuchKey,
    NoSuchVersion,
    NotModified,
    PreconditionFailed,
    XAmzContentSHA256Mismatch,
)
from services.s3.models import Bucket, ObjectVersion

MAX_KEY_BYTES = 1024
MAX_PUT_BYTES = 5 * 1024**3
DEFAULT_CHECKSUM = "CRC64NVME"
HEADER_PARAMS = {
    "CacheControl": "Cache-Control",
    "ContentDisposition": "Content-Disposition",
    "ContentEncoding": "Content-Encoding",
    "ContentLanguage": "Content-Language",
    "Expires": "Expires",
}


def check_key(key: str) -> None:
    size = len(key.encode("utf-8"))
    if size > MAX_KEY_BYTES:
        raise KeyTooLongError(Size=size, MaxSizeAllowed=MAX_KEY_BYTES)
    if not key:
        raise InvalidArgument("Key cannot be empty")


def new_version_id() -> str:
    return secrets.token_urlsafe(24)


@dataclass
class Described:
    """What a write says of the object beside its bytes."""

    content_type: str = ""
    headers: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Described:
        headers: dict[str, Any] = {}
        for name in HEADER_PARAMS:
            value = params.get(name)
            if value is not None:
                headers[name] = value.isoformat() if isinstance(value, dt.datetime) else value
        metadata = {str(key).lower(): str(value) for key, value in (params.get("Metadata") or {}).items()}
        return cls(
            content_type=params.get("ContentType") or "",
            headers=headers,
            metadata=metadata,
            tags=parse_tagging(params.get("Tagging")),
        )


def parse_tagging(text: str | None) -> dict[str, str]:
    """x-amz-tagging's URL query form: `k1=v1&k2=v2`."""
    if not text:
        return {}
    pairs = parse_qsl(text, keep_blank_values=True)
    return check_tags([{"Key": key, "Value": value} for key, value in pairs], limit=10)


# --- checksums -------------------------------------------------------------------------------------


@dataclass
class ChecksumRequest:
    algorithm: str  # what to compute and store
    expected: str | None  # the value sent in a header (None: none, or one still to come in a trailer)
    trailer: bool = False


def checksum_request(params: dict[str, Any], headers: dict[str, str]) -> ChecksumRequest:
    """Which checksum the request asks for (x-amz-checksum-*, x-amz-sdk-checksum-algorithm,
    x-amz-trailer), its value when sent as a header; S3's InvalidRequest for a contradiction."""
    sent = {
        name: params[checksums.param_name(name)]
        for name in checksums.ALGORITHMS
        if params.get(checksums.param_name(name))
    }
    if len(sent) > 1:
        raise InvalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
    trailer = headers.get("x-amz-trailer", "").strip().lower()
    trailed = None
    if trailer:
        trailed = next((name for name in checksums.ALGORITHMS if checksums.header_name(name) == trailer), None)
        if trailed is None:
            raise InvalidRequest(f"The value specified in the x-amz-trailer header is not supported: {trailer}")
    named = params.get("ChecksumAlgorithm")
    if named is not None and named not in checksums.ALGORITHMS:
        raise InvalidRequest("Value for x-amz-sdk-checksum-algorithm header is invalid.")
    for name, value in sent.items():
        if not checksums.is_valid_value(name, value):
            raise InvalidRequest(f"Value for {checksums.header_name(name)} header is invalid.")
        if named is not None and named != name:
            raise InvalidRequest(
                f"Value for x-amz-sdk-checksum-algorithm header is invalid. Expected: {name}, actual: {named}"
            )
    if sent:
        name, value = next(iter(sent.items()))
        return ChecksumRequest(name, value)
    if trailed is not None:
        return ChecksumRequest(trailed, None, trailer=True)
    return ChecksumRequest(named or DEFAULT_CHECKSUM, None)


_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def store_body(
    *, bucket: Bucket, body: Any, wanted: ChecksumRequest, content_md5: str | None, content_sha256: str = ""
) -> storage.Stored:
    """Store a request body and check it against what the request said of it (Content-MD5, the
    flexible checksum, and the SHA-256 a SigV4 signature covers in x-amz-content-sha256); nothing is
    kept when a check fails."""
    md5_expected = None
    if content_md5 is not None:
        try:
            md5_expected = base64.b64decode(content_md5, validate=True)
        except (binascii.Error, ValueError):
            md5_expected = None
        if md5_expected is None or len(md5_expected) != 16:
            raise InvalidDigest()
    signed_sha256 = content_sha256.lower() if _HEX_SHA256.match(content_sha256.lower()) else ""
    stored = storage.store(
        account_id=bucket.sandbox.account_id,
        source=body or b"",
        algorithms=[wanted.algorithm],
        sha256=bool(signed_sha256),
    )
    try:
        if signed_sha256 and signed_sha256 != stored.sha256_hex:
            raise XAmzContentSHA256Mismatch(
                ClientComputedContentSHA256=signed_sha256, S3ComputedContentSHA256=stored.sha256_hex
            )
        if md5_expected is not None and md5_expected != stored.md5:
            raise BadDigest(ExpectedDigest=content_md5, CalculatedDigest=base64.b64encode(stored.md5).decode())
        expected = wanted.expected
        if wanted.trailer:
            trailers = getattr(body, "trailers", None) or {}
            expected = trailers.get(checksums.header_name(wanted.algorithm))
            if expected is not None and not checksums.is_valid_value(wanted.algorithm, expected):
                raise InvalidRequest(f"Value for {checksums.header_name(wanted.algorithm)} trailing header is invalid.")
        if expected is not None and expected != stored.checksums[wanted.algorithm]:
            raise BadDigest(f"The {wanted.algorithm} you specified did not match the calculated checksum.")
        if stored.size > MAX_PUT_BYTES:
            from services.s3.exceptions import EntityTooLarge

            raise EntityTooLarge(ProposedSize=stored.size, MaxSizeAllowed=MAX_PUT_BYTES)
    except BaseException:
        storage.discard(stored.name)
        raise
    return stored


# --- versions --------------------------------------------------------------------------------------


def latest_version(bucket: Bucket, key: str) -> ObjectVersion | None:
    return ObjectVersion.objects.filter(bucket=bucket, key=key, is_latest=True).first()


def _delete_rows(pks: list[int]) -> None:
    table = connection.ops.quote_name(ObjectVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(pks))})", pks)  # noqa: S608


def version_add(*, bucket: Bucket, key: str, now: dt.datetime, **fields: Any) -> ObjectVersion:
    """A new latest version of `key` under the bucket's versioning rules (replacing the "null"
    version unless versioning is Enabled)."""
    versions = ObjectVersion.objects.filter(bucket=bucket, key=key)
    if bucket.versioning == "Enabled":
        version_id = new_version_id()
    else:
        version_id = "null"
        replaced = list(versions.filter(version_id="null").values_list("pk", "storage_name"))
        storage.discard_on_commit(name for _pk, name in replaced)
        if replaced:  # one DELETE (nothing refers to a version row): no Collector gathering what to cascade
            _delete_rows([pk for pk, _name in replaced])
    if bucket.versioning:  # a bucket never versioned holds no other version of the key
        versions.filter(is_latest=True).update(is_latest=False)
    return ObjectVersion.objects.create(
        sandbox=bucket.sandbox,
        bucket=bucket,
        key=key,
        version_id=version_id,
        is_latest=True,
        last_modified=now,
        **fields,
    )


def object_write(
    *,
    bucket: Bucket,
    key: str,
    stored: storage.Stored,
    described: Described,
    checksum_algorithm: str,
    checksum_value: str,
    checksum_type: str = "FULL_OBJECT",
    parts_count: int | None = None,
    part_sizes: list[int] | None = None,
    etag: str | None = None,
    operation: str,
    event: str,
    now: dt.datetime,
) -> ObjectVersion:
    version = version_add(
        bucket=bucket,
        key=key,
        now=now,
        size=stored.size,
        etag=etag or stored.etag,
        content_type=described.content_type or "binary/octet-stream",
        headers=described.headers,
        metadata=described.metadata,
        tags=described.tags,
        checksum_algorithm=checksum_algorithm,
        checksum_value=checksum_value,
        checksum_type=checksum_type,
        parts_count=parts_count,
        part_sizes=part_sizes or [],
        storage_name=stored.name,
    )
    events.flow(
        bucket,
        "put",
        source=events.CLIENT,
        target=bucket.arn,
        item_id=f"{key}@{version.version_id}",
        now=now,
        detail={
            "key": key,
            "size": version.size,
            "etag": version.etag,
            "version_id": version.version_id,
            "operation": operation,
        },
    )
    events.bucket_changed(bucket, now=now)
    notifications.object_event(bucket, event, version=version, now=now)
    return version


def version_get(*, bucket: Bucket, key: str, version_id: str | None) -> ObjectVersion:
    """The version a read names (the latest without a version id); S3's errors for a missing key,
    a missing version and a delete marker."""
    if version_id is None:
        found = latest_version(bucket, key)
        if found is None:
            raise NoSuchKey(Key=key)
        if found.is_delete_marker:
            raise NoSuchKey(Key=key, headers=_marker_headers(found))
        return found
    found = ObjectVersion.objects.filter(bucket=bucket, key=key, version_id=version_id).first()
    if found is None:
        if version_id != "null" and not re.fullmatch(r"[A-Za-z0-9._\-+/=]{1,64}", version_id):
            raise InvalidArgument("Invalid version id specified", ArgumentName="versionId", ArgumentValue=version_id)
        raise NoSuchVersion(Key=key, VersionId=version_id)
    if found.is_delete_marker:
        headers = _marker_headers(found)
        headers["Last-Modified"] = found.last_modified.strftime("%a, %d %b %Y %H:%M:%S GMT")
        raise MethodNotAllowed(Method="GET", ResourceType="DeleteMarker", headers=headers)
    return found


def _marker_headers(marker: ObjectVersion) -> dict[str, str]:
    headers = {"x-amz-delete-marker": "true"}
    if marker.version_id != "null" or marker.bucket.versioning:
        headers["x-amz-version-id"] = marker.version_id
    return headers


# --- conditions and ranges -------------------------------------------------------------------------


def _unquoted(etag: str) -> str:
    return etag.strip().strip('"')


def _etag_matches(header: str, etag: str) -> bool:
    wanted = [_unquoted(item) for item in header.split(",")]
    return "*" in wanted or _unquoted(etag) in wanted


def check_conditions(
    version: ObjectVersion,
    *,
    if_match: str | None,
    if_none_match: str | None,
    if_modified_since: dt.datetime | None,
    if_unmodified_since: dt.datetime | None,
) -> None:
    """RFC 7232's order as S3 applies it: If-Match (else If-Unmodified-Since) -> 412; then
    If-None-Match (else If-Modified-Since) -> 304."""
    modified = version.last_modified.replace(microsecond=0)
    if if_match is not None:
        if not _etag_matches(if_match, version.etag):
            raise PreconditionFailed(Condition="If-Match")
    elif if_unmodified_since is not None and modified > if_unmodified_since:
        raise PreconditionFailed(Condition="If-Unmodified-Since")
    if if_none_match is not None:
        if _etag_matches(if_none_match, version.etag):
            raise NotModified(headers={"ETag": version.etag})
    elif if_modified_since is not None and modified <= if_modified_since:
        raise NotModified(headers={"ETag": version.etag})


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) of a satisfiable `Range: bytes=...`; None for none or one S3 ignores;
    InvalidRange (416) for one past the end."""
    if not header:
        return None
    found = _RANGE.match(header.strip())
    if found is None or (not found.group(1) and not found.group(2)):
        return None
    first_text, last_text = found.groups()
    if not first_text:  # the last N bytes
        count = int(last_text)
        if count == 0:
            raise InvalidRange(RangeRequested=header, ActualObjectSize=size)
        return max(0, size - count), size - 1 if size else -1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last < first:
        return None
    if first >= size:
        raise InvalidRange(RangeRequested=header, ActualObjectSize=size)
    return first, min(last, size - 1)


def part_range(version: ObjectVersion, part_number: int) -> tuple[int, int] | None:
    """(first, last) byte of part `part_number` of a multipart object; None for the whole of a
    single-part object's part 1; InvalidPartNumber (416) past its parts."""
    if not version.part_sizes:
        if part_number == 1:
            return None
        raise InvalidPartNumber(PartNumberRequested=part_number, ActualPartCount=1)
    if not 1 <= part_number <= len(version.part_sizes):
        raise InvalidPartNumber(PartNumberRequested=part_number, ActualPartCount=len(version.part_sizes))
    first = sum(version.part_sizes[: part_number - 1])
    return first, first + version.part_sizes[part_number - 1] - 1


# --- deletes ---------------------------------------------------------------------------------------


def object_delete(*, bucket: Bucket, key: str, version_id: str | None, now: dt.datetime) -> dict[str, Any]:
    """DeleteObject's answer: {"DeleteMarker": bool, "VersionId": str} as S3 reports them."""
    versions = ObjectVersion.objects.filter(bucket=bucket, key=key)
    if version_id is not None:
        row = versions.filter(version_id=version_id).first()
        if row is None:
            if version_id != "null" and not re.fullmatch(r"[A-Za-z0-9._\-+/=]{1,64}", version_id):
                raise InvalidArgument(
                    "Invalid version id specified", ArgumentName="versionId", ArgumentValue=version_id
                )
            return {"VersionId": version_id}
        _remove(row, now=now)
        return {"DeleteMarker": row.is_delete_marker or None, "VersionId": version_id}
    if not bucket.versioning:
        row = versions.filter(version_id="null").first()
        if row is not None:
            _remove(row, now=now)
        return {}
    marker = version_add(bucket=bucket, key=key, now=now, is_delete_marker=True, content_type="")
    events.flow(
        bucket,
        "deleted",
        source=events.CLIENT,
        target=bucket.arn,
        item_id=f"{key}@{marker.version_id}",
        now=now,
        detail={"key": key, "version_id": marker.version_id, "delete_marker": True},
    )
    events.bucket_changed(bucket, now=now)
    notifications.object_event(bucket, "ObjectRemoved:DeleteMarkerCreated", version=marker, now=now)
    return {"DeleteMarker": True, "VersionId": marker.version_id}


def _remove(row: ObjectVersion, *, now: dt.datetime) -> None:
    bucket = row.bucket
    storage.discard_on_commit([row.storage_name])
    row_id = row.pk
    row.delete()
    row.id = row_id  # still named in the event notification's sequencer
    if row.is_latest:
        newer = ObjectVersion.objects.filter(bucket=bucket, key=row.key).order_by("-id").first()
        if newer is not None:
            newer.is_latest = True
            newer.save(update_fields=["is_latest"])
    events.flow(
        bucket,
        "deleted",
        source=events.CLIENT,
        target=bucket.arn,
        item_id=f"{row.key}@{row.version_id}",
        now=now,
        detail={"key": row.key, "version_id": row.version_id, "delete_marker": row.is_delete_marker},
    )
    events.bucket_changed(bucket, now=now)
    notifications.object_event(bucket, "ObjectRemoved:Delete", version=row, now=now)


# --- copies ----------------------------------------------------------------------------------------


def parse_copy_source(text: str) -> tuple[str, str, str | None]:
    """(bucket, key, version id) of x-amz-copy-source: `bucket/key[?versionId=...]`, URL-encoded."""
    path, _, query = text.partition("?")
    path = unquote(path).lstrip("/")
    bucket, _, key = path.partition("/")
    if not bucket or not key:
        raise InvalidArgument("Invalid copy source object key", ArgumentName="x-amz-copy-source", ArgumentValue=text)
    version_id = dict(parse_qsl(query)).get("versionId") if query else None
    return bucket, key, version_id


def check_copy_conditions(version: ObjectVersion, params: dict[str, Any]) -> None:
    modified = version.last_modified.replace(microsecond=0)
    if_match, if_none_match = params.get("CopySourceIfMatch"), params.get("CopySourceIfNoneMatch")
    if_modified, if_unmodified = params.get("CopySourceIfModifiedSince"), params.get("CopySourceIfUnmodifiedSince")
    failed = (
        (if_match is not None and not _etag_matches(if_match, version.etag))
        or (if_match is None and if_unmodified is not None and modified > if_unmodified)
        or (if_none_match is not None and _etag_matches(if_none_match, version.etag))
        or (if_none_match is None and if_modified is not None and modified <= if_modified)
    )
    if failed:
        raise PreconditionFailed(
            Condition="x-amz-copy-source-If-Match" if if_match else "x-amz-copy-source-If-None-Match"
        )


def object_copy(
    *, source: ObjectVersion, bucket: Bucket, key: str, params: dict[str, Any], now: dt.datetime
) -> ObjectVersion:
    directive = params.get("MetadataDirective") or "COPY"
    tagging_directive = params.get("TaggingDirective") or "COPY"
    same = source.bucket_id == bucket.pk and source.key == key
    changes = directive == "REPLACE" or params.get("StorageClass") or params.get("ChecksumAlgorithm")
    if same and not changes:
        raise InvalidRequest(
            "This copy request is illegal because it is trying to copy an object to itself without changing the "
            "object's metadata, storage class, website redirect location or encryption attributes."
        )
    if directive == "REPLACE":
        described = Described.from_params(params)
    else:
        described = Described(source.content_type, dict(source.headers), dict(source.metadata))
    described.tags = parse_tagging(params.get("Tagging")) if tagging_directive == "REPLACE" else dict(source.tags)
    algorithm = params.get("ChecksumAlgorithm") or source.checksum_algorithm or DEFAULT_CHECKSUM
    name = storage.copy(account_id=bucket.sandbox.account_id, name=source.storage_name)
    value = (
        source.checksum_value
        if algorithm == source.checksum_algorithm and source.checksum_type == "FULL_OBJECT"
        else ""
    )
    md5 = bytes.fromhex(_unquoted(source.etag)) if "-" not in source.etag else None
    if not value or md5 is None:
        with storage.open_blob(name) as handle:
            recomputed = storage.store(account_id=bucket.sandbox.account_id, source=handle, algorithms=[algorithm])
        storage.discard(name)
        stored = recomputed
        value = recomputed.checksums[algorithm]
    else:
        stored = storage.Stored(name=name, size=source.size, md5=md5)
    return object_write(
        bucket=bucket,
        key=key,
        stored=stored,
        described=described,
        checksum_algorithm=algorithm,
        checksum_value=value,
        operation="CopyObject",
        event="ObjectCreated:Copy",
        now=now,
    )


# --- object tags -----------------------------------------------------------------------------------


def object_tags_put(
    *, bucket: Bucket, version: ObjectVersion, tags: list[dict[str, Any]], deleted: bool, now: dt.datetime
) -> None:
    """PutObjectTagging (or DeleteObjectTagging when `deleted`), with its s3:ObjectTagging event."""
    version.tags = check_tags(tags, limit=10)
    version.save(update_fields=["tags"])
    event = "ObjectTagging:Delete" if deleted else "ObjectTagging:Put"
    notifications.object_event(bucket, event, version=version, now=now)
