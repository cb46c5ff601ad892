"""The Amazon S3 API (rest-xml) as `aws s3`, `aws s3api` and boto3 use it.

Buckets (create with LocationConstraint, head, list, delete, location, versioning, tags, policy,
event notifications), objects (put, get with Range and conditions, head, delete, batch delete,
copy, list v1/v2, versions, tags) and multipart uploads. Bodies stream from and to disk (the
gateway hands a large body over as a file and sends a BodyStream from its file).

LIMITATIONS against real AWS (docs/s3.md has the whole list):
- Bucket names are unique per sandbox (account), not across the server; BucketAlreadyExists is
  never answered.
- ACLs, object lock, lifecycle, replication, CORS, website hosting, requester pays, access points,
  and the other operations without a method here answer NotImplemented; ACL and SSE
  headers on writes are accepted and ignored (bytes stored as sent, storage class STANDARD).
- The bucket policy is validated and stored, not enforced on callers.
- The newer checksum algorithms (SHA512, MD5, XXHASH*) are refused with InvalidRequest.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from playground.gateway.errors import AwsError
from playground.gateway.registry import Provider, own_transactions, register
from playground.gateway.request import RESPONSE_STATUS, BodyStream, RequestContext
from playground.gateway.validation import Problem
from services.s3 import buckets, checksums, listing, multipart, notifications, objects, storage
from services.s3.exceptions import InvalidRequest, MalformedXML, NoSuchKey
from services.s3.models import Bucket, MultipartUpload, ObjectVersion, Part

UNSUPPORTED_CHECKSUMS = ("SHA512", "MD5", "XXHASH64", "XXHASH3", "XXHASH128")


def _http_date(value: dt.datetime) -> dt.datetime:
    return value.replace(microsecond=0)


def _bucket(ctx: RequestContext, params: dict[str, Any], *, lock: bool = False) -> Bucket:
    notifications.serving(ctx)  # who acts, for the event messages this request may send
    bucket = buckets.bucket_get(sandbox=ctx.sandbox, name=params["Bucket"], lock=lock)
    bucket.sandbox = ctx.sandbox  # the request's own (with its clock): no second query for it
    return bucket


def _version_fields(version: ObjectVersion) -> dict[str, Any]:
    """The headers a GET or HEAD of an object version answers with."""
    fields: dict[str, Any] = {
        "ContentLength": version.size,
        "ContentType": version.content_type or "binary/octet-stream",
        "ETag": version.etag,
        "LastModified": _http_date(version.last_modified),
        "AcceptRanges": "bytes",
        "Metadata": version.metadata or None,
        "StorageClass": None,
        "TagCount": len(version.tags) or None,
        "PartsCount": version.parts_count,
    }
    if version.version_id != "null" or version.bucket.versioning:
        fields["VersionId"] = version.version_id
    for name, value in version.headers.items():
        fields[name] = dt.datetime.fromisoformat(value) if name == "Expires" else value
    return fields


def _checksum_fields(version: ObjectVersion) -> dict[str, Any]:
    if not version.checksum_algorithm or not version.checksum_value:
        return {}
    return {
        checksums.param_name(version.checksum_algorithm): version.checksum_value,
        "ChecksumType": version.checksum_type or "FULL_OBJECT",
    }


def _signed_payload_sha256(ctx: RequestContext) -> str:
    """The SHA-256 the signature says the body has, when it names the body as stored: an
    aws-chunked body's hash (if any) is of its framing, not of the object's bytes."""
    headers = ctx.request.headers
    if "aws-chunked" in headers.get("content-encoding", ""):
        return ""
    return headers.get("x-amz-content-sha256", "")


def _check_checksum_params(params: dict[str, Any]) -> None:
    for name in UNSUPPORTED_CHECKSUMS:
        if params.get(f"Checksum{name}") or params.get("ChecksumAlgorithm") == name:
            raise InvalidRequest(
                "Checksum algorithm provided is unsupported. Please try again with any of the valid types: "
                "[CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"
            )


@register
class S3Provider(Provider):
    service = "s3"

    def checks_itself(self, operation: str, problem: Problem) -> bool:
        """S3 answers an unknown enum value with an error of its own (InvalidLocationConstraint,
        MalformedXML, InvalidRequest...), which the domain code raises, not InvalidArgument."""
        return problem.kind == "enum" or "enum value set" in problem.message

    def validation_error(self, protocol: str, problems: list[Problem]) -> AwsError | None:
        """A required element missing from an XML body (Delete without Object) is MalformedXML."""
        if all("." in problem.path for problem in problems):
            return MalformedXML()
        return None

    # --- buckets ---------------------------------------------------------------------------------
    def create_bucket(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        configuration = params.get("CreateBucketConfiguration") or {}
        bucket, _new = buckets.bucket_create(
            sandbox=ctx.sandbox,
            region=ctx.region,
            name=params["Bucket"],
            location=configuration.get("LocationConstraint"),
            now=ctx.now,
        )
        return {"Location": f"/{bucket.name}", "BucketArn": bucket.arn}

    @own_transactions
    def head_bucket(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = _bucket(ctx, params)
        return {"BucketRegion": bucket.region, "AccessPointAlias": False}

    @own_transactions
    def list_buckets(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        token = listing.decode_token(params["ContinuationToken"]) if params.get("ContinuationToken") else None
        found, last = buckets.bucket_list(
            sandbox=ctx.sandbox,
            prefix=params.get("Prefix"),
            region=params.get("BucketRegion"),
            max_buckets=params.get("MaxBuckets"),
            token=token,
        )
        return {
            "Buckets": [
                {"Name": bucket.name, "CreationDate": _http_date(bucket.created_at), "BucketRegion": bucket.region}
                for bucket in found
            ],
            "Owner": buckets.owner(ctx.sandbox),
            "ContinuationToken": listing.encode_token(last) if last else None,
            "Prefix": params.get("Prefix"),
        }

    def delete_bucket(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        buckets.bucket_delete(bucket=_bucket(ctx, params, lock=True), now=ctx.now)
        return {}

    @own_transactions
    def get_bucket_location(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = _bucket(ctx, params)
        return {"LocationConstraint": None if bucket.region == buckets.LEGACY_REGION else bucket.region}

    def put_bucket_versioning(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        configuration = params.get("VersioningConfiguration") or {}
        buckets.versioning_set(bucket=_bucket(ctx, params, lock=True), status=configuration.get("Status"), now=ctx.now)
        return {}

    @own_transactions
    def get_bucket_versioning(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = _bucket(ctx, params)
        return {"Status": bucket.versioning or None}

    def put_bucket_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        tags = (params.get("Tagging") or {}).get("TagSet") or []
        buckets.bucket_tags_put(bucket=_bucket(ctx, params, lock=True), tags=tags, now=ctx.now)
        return {}

    @own_transactions
    def get_bucket_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"TagSet": buckets.bucket_tags_get(bucket=_bucket(ctx, params))}

    def delete_bucket_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        buckets.bucket_tags_delete(bucket=_bucket(ctx, params, lock=True), now=ctx.now)
        return {}

    def put_bucket_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        buckets.policy_put(bucket=_bucket(ctx, params, lock=True), policy=params["Policy"], now=ctx.now)
        return {}

    @own_transactions
    def get_bucket_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"Policy": buckets.policy_get(bucket=_bucket(ctx, params))}

    def delete_bucket_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        buckets.policy_delete(bucket=_bucket(ctx, params, lock=True), now=ctx.now)
        return {}

    def put_bucket_notification_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        notifications.configuration_put(
            bucket=_bucket(ctx, params, lock=True),
            configuration=params.get("NotificationConfiguration") or {},
            skip_validation=bool(params.get("SkipDestinationValidation")),
            now=ctx.now,
        )
        return {}

    @own_transactions
    def get_bucket_notification_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return notifications.configuration_get(bucket=_bucket(ctx, params))

    # --- objects ---------------------------------------------------------------------------------
    def put_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _check_checksum_params(params)
        bucket = _bucket(ctx, params)
        key = params["Key"]
        objects.check_key(key)
        described = objects.Described.from_params(params)
        wanted = objects.checksum_request(params, ctx.request.headers)
        if params.get("IfNoneMatch") == "*":
            latest = objects.latest_version(bucket, key)
            if latest is not None and not latest.is_delete_marker:
                from services.s3.exceptions import PreconditionFailed

                raise PreconditionFailed(Condition="If-None-Match")
        stored = objects.store_body(
            bucket=bucket,
            body=params.get("Body"),
            wanted=wanted,
            content_md5=params.get("ContentMD5"),
            content_sha256=_signed_payload_sha256(ctx),
        )
        try:
            version = objects.object_write(
                bucket=bucket,
                key=key,
                stored=stored,
                described=described,
                checksum_algorithm=wanted.algorithm,
                checksum_value=stored.checksums[wanted.algorithm],
                operation="PutObject",
                event="ObjectCreated:Put",
                now=ctx.now,
            )
        except BaseException:
            storage.discard(stored.name)
            raise
        output: dict[str, Any] = {"ETag": version.etag, "Size": version.size, **_checksum_fields(version)}
        if version.version_id != "null":
            output["VersionId"] = version.version_id
        return output

    @own_transactions
    def get_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        version = self._readable(ctx, params)
        output = _version_fields(version)
        span = self._span(params, version)
        if span is None:
            first, length = 0, version.size
            if params.get("ChecksumMode") == "ENABLED":
                output.update(_checksum_fields(version))
        else:
            first, last = span
            length = last - first + 1
            output["ContentRange"] = f"bytes {first}-{last}/{version.size}"
            output["ContentLength"] = length
            output[RESPONSE_STATUS] = 206
        for name in (
            "CacheControl",
            "ContentDisposition",
            "ContentEncoding",
            "ContentLanguage",
            "ContentType",
            "Expires",
        ):
            override = params.get(f"Response{name}")
            if override is not None:
                output[name] = override
        if not length:
            output["Body"] = b""
            return output
        try:
            blob = storage.open_blob(version.storage_name)
        except FileNotFoundError:  # overwritten and removed by a write that committed meanwhile
            raise NoSuchKey(Key=version.key) from None
        output["Body"] = BodyStream(blob, first, length)
        return output

    @own_transactions
    def head_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        version = self._readable(ctx, params)
        output = _version_fields(version)
        span = self._span(params, version)
        if span is not None:
            output["ContentRange"] = f"bytes {span[0]}-{span[1]}/{version.size}"
            output["ContentLength"] = span[1] - span[0] + 1
            output[RESPONSE_STATUS] = 206
        elif params.get("ChecksumMode") == "ENABLED":
            output.update(_checksum_fields(version))
        return output

    @staticmethod
    def _span(params: dict[str, Any], version: ObjectVersion) -> tuple[int, int] | None:
        """The bytes a read asks for: its Range, or its PartNumber's part; None for all of them."""
        if params.get("PartNumber") is not None:
            if params.get("Range"):
                raise InvalidRequest("Cannot specify both Range header and partNumber query parameter")
            return objects.part_range(version, int(params["PartNumber"]))
        return objects.byte_range(params.get("Range"), version.size)

    def _readable(self, ctx: RequestContext, params: dict[str, Any]) -> ObjectVersion:
        bucket = _bucket(ctx, params)
        version = objects.version_get(bucket=bucket, key=params["Key"], version_id=params.get("VersionId"))
        objects.check_conditions(
            version,
            if_match=params.get("IfMatch"),
            if_none_match=params.get("IfNoneMatch"),
            if_modified_since=params.get("IfModifiedSince"),
            if_unmodified_since=params.get("IfUnmodifiedSince"),
        )
        return version

    def delete_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = _bucket(ctx, params)
        return objects.object_delete(bucket=bucket, key=params["Key"], version_id=params.get("VersionId"), now=ctx.now)

    def delete_objects(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = _bucket(ctx, params)
        request = params.get("Delete") or {}
        entries = request.get("Objects") or []
        if not entries or len(entries) > 1000:
            raise MalformedXML()
        quiet = bool(request.get("Quiet"))
        deleted: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for entry in entries:
            key, version_id = entry.get("Key", ""), entry.get("VersionId")
            try:
                result = objects.object_delete(bucket=bucket, key=key, version_id=version_id, now=ctx.now)
            except Exception as problem:
                from playground.gateway.errors import AwsError

                if not isinstance(problem, AwsError):
                    raise
                errors.append({"Key": key, "VersionId": version_id, "Code": problem.code, "Message": problem.message})
                continue
            if quiet:
                continue
            item: dict[str, Any] = {"Key": key}
            if version_id is not None:
                item["VersionId"] = version_id
            if result.get("DeleteMarker"):
                item["DeleteMarker"] = True
                item["DeleteMarkerVersionId"] = result.get("VersionId")
            deleted.append(item)
        return {"Deleted": deleted or None, "Errors": errors or None}

    def copy_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _check_checksum_params(params)
        bucket = _bucket(ctx, params)
        key = params["Key"]
        objects.check_key(key)
        source_bucket_name, source_key, source_version = objects.parse_copy_source(params["CopySource"])
        source_bucket = buckets.bucket_get(sandbox=ctx.sandbox, name=source_bucket_name)
        try:
            source = objects.version_get(bucket=source_bucket, key=source_key, version_id=source_version)
        except NoSuchKey as missing:
            raise NoSuchKey(Key=source_key) from missing
        objects.check_copy_conditions(source, params)
        version = objects.object_copy(source=source, bucket=bucket, key=key, params=params, now=ctx.now)
        output: dict[str, Any] = {
            "CopyObjectResult": {
                "ETag": version.etag,
                "LastModified": _http_date(version.last_modified),
                **({k: v for k, v in _checksum_fields(version).items()}),
            }
        }
        if source.version_id != "null":
            output["CopySourceVersionId"] = source.version_id
        if version.version_id != "null":
            output["VersionId"] = version.version_id
        return output

    @own_transactions
    def list_objects_v2(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = _bucket(ctx, params)
        encode = listing.encoder(params.get("EncodingType"))
        max_keys = listing.check_max_keys(params.get("MaxKeys"))
        token = params.get("ContinuationToken")
        after = listing.decode_token(token) if token else (params.get("StartAfter") or "")
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or None
        page = listing.list_current(bucket=bucket, prefix=prefix, delimiter=delimiter, max_keys=max_keys, after=after)
        owner = buckets.owner(ctx.sandbox) if params.get("FetchOwner") else None
        return {
            "Name": bucket.name,
            "Prefix": encode(prefix),
            "Delimiter": encode(delimiter) if delimiter else None,
            "MaxKeys": params.get("MaxKeys", listing.MAX_KEYS),
            "EncodingType": params.get("EncodingType"),
            "KeyCount": len(page.rows) + len(page.prefixes),
            "IsTruncated": page.truncated,
            "ContinuationToken": token,
            "NextContinuationToken": listing.encode_token(page.last) if page.truncated else None,
            "StartAfter": encode(params["StartAfter"]) if params.get("StartAfter") else None,
            "Contents": [self._content(row, encode, owner) for row in page.rows] or None,
            "CommonPrefixes": [{"Prefix": encode(common)} for common in page.prefixes] or None,
        }

    @own_transactions
    def list_objects(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = _bucket(ctx, params)
        encode = listing.encoder(params.get("EncodingType"))
        max_keys = listing.check_max_keys(params.get("MaxKeys"))
        marker = params.get("Marker") or ""
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or None
        page = listing.list_current(bucket=bucket, prefix=prefix, delimiter=delimiter, max_keys=max_keys, after=marker)
        owner = buckets.owner(ctx.sandbox)
        return {
            "Name": bucket.name,
            "Prefix": encode(prefix),
            "Marker": encode(marker),
            "Delimiter": encode(delimiter) if delimiter else None,
            "MaxKeys": params.get("MaxKeys", listing.MAX_KEYS),
            "EncodingType": params.get("EncodingType"),
            "IsTruncated": page.truncated,
            "NextMarker": encode(page.last) if page.truncated and delimiter else None,
            "Contents": [self._content(row, encode, owner) for row in page.rows] or None,
            "CommonPrefixes": [{"Prefix": encode(common)} for common in page.prefixes] or None,
        }

    @staticmethod
    def _content(row: ObjectVersion, encode: Any, owner: dict[str, str] | None) -> dict[str, Any]:
        item: dict[str, Any] = {
            "Key": encode(row.key),
            "LastModified": _http_date(row.last_modified),
            "ETag": row.etag,
            "Size": row.size,
            "StorageClass": "STANDARD",
        }
        if row.checksum_algorithm:
            item["ChecksumAlgorithm"] = [row.checksum_algorithm]
            item["ChecksumType"] = row.checksum_type or "FULL_OBJECT"
        if owner is not None:
            item["Owner"] = owner
        return item

    @own_transactions
    def list_object_versions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = _bucket(ctx, params)
        encode = listing.encoder(params.get("EncodingType"))
        max_keys = listing.check_max_keys(params.get("MaxKeys"))
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or None
        key_marker = params.get("KeyMarker") or ""
        version_marker = params.get("VersionIdMarker") or ""
        page, last = listing.list_versions(
            bucket=bucket,
            prefix=prefix,
            delimiter=delimiter,
            max_keys=max_keys,
            key_marker=key_marker,
            version_marker=version_marker,
        )
        owner = buckets.owner(ctx.sandbox)
        versions, markers = [], []
        for row in page.rows:
            item: dict[str, Any] = {
                "Key": encode(row.key),
                "VersionId": row.version_id,
                "IsLatest": row.is_latest,
                "LastModified": _http_date(row.last_modified),
                "Owner": owner,
            }
            if row.is_delete_marker:
                markers.append(item)
            else:
                item.update({"ETag": row.etag, "Size": row.size, "StorageClass": "STANDARD"})
                if row.checksum_algorithm:
                    item["ChecksumAlgorithm"] = [row.checksum_algorithm]
                    item["ChecksumType"] = row.checksum_type or "FULL_OBJECT"
                versions.append(item)
        output: dict[str, Any] = {
            "Name": bucket.name,
            "Prefix": encode(prefix),
            "Delimiter": encode(delimiter) if delimiter else None,
            "KeyMarker": encode(key_marker),
            "VersionIdMarker": version_marker,
            "MaxKeys": params.get("MaxKeys", listing.MAX_KEYS),
            "EncodingType": params.get("EncodingType"),
            "IsTruncated": page.truncated,
            "Versions": versions or None,
            "DeleteMarkers": markers or None,
            "CommonPrefixes": [{"Prefix": encode(common)} for common in page.prefixes] or None,
        }
        if page.truncated:
            output["NextKeyMarker"] = encode(last.key if last else page.last)
            if last is not None:
                output["NextVersionIdMarker"] = last.version_id
        return output

    # --- object tags -----------------------------------------------------------------------------
    def put_object_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = _bucket(ctx, params)
        version = objects.version_get(bucket=bucket, key=params["Key"], version_id=params.get("VersionId"))
        objects.object_tags_put(
            bucket=bucket, version=version, tags=(params.get("Tagging") or {}).get("TagSet") or [], deleted=False,
            now=ctx.now,
        )  # fmt: skip
        return {"VersionId": version.version_id} if version.version_id != "null" else {}

    @own_transactions
    def get_object_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = _bucket(ctx, params)
        version = objects.version_get(bucket=bucket, key=params["Key"], version_id=params.get("VersionId"))
        output: dict[str, Any] = {"TagSet": buckets.tags_as_list(version.tags)}
        if version.version_id != "null":
            output["VersionId"] = version.version_id
        return output

    def delete_object_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = _bucket(ctx, params)
        version = objects.version_get(bucket=bucket, key=params["Key"], version_id=params.get("VersionId"))
        objects.object_tags_put(bucket=bucket, version=version, tags=[], deleted=True, now=ctx.now)
        return {"VersionId": version.version_id} if version.version_id != "null" else {}

    # --- multipart uploads -----------------------------------------------------------------------
    def create_multipart_upload(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _check_checksum_params(params)
        bucket = _bucket(ctx, params)
        objects.check_key(params["Key"])
        upload = multipart.upload_create(
            bucket=bucket,
            key=params["Key"],
            described=objects.Described.from_params(params),
            checksum_algorithm=params.get("ChecksumAlgorithm"),
            checksum_type=params.get("ChecksumType"),
            now=ctx.now,
        )
        return {
            "Bucket": bucket.name,
            "Key": upload.key,
            "UploadId": upload.upload_id,
            "ChecksumAlgorithm": upload.checksum_algorithm or None,
            "ChecksumType": upload.checksum_type or None,
        }

    def upload_part(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _check_checksum_params(params)
        bucket = _bucket(ctx, params)
        upload = multipart.upload_get(bucket=bucket, key=params["Key"], upload_id=params["UploadId"])
        wanted = objects.checksum_request(params, ctx.request.headers)
        part = multipart.part_upload(
            upload=upload,
            part_number=params["PartNumber"],
            body=params.get("Body"),
            wanted=wanted,
            content_md5=params.get("ContentMD5"),
            now=ctx.now,
            content_sha256=_signed_payload_sha256(ctx),
        )
        return {"ETag": part.etag, **multipart.part_checksum_fields(upload, part)}

    def upload_part_copy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = _bucket(ctx, params)
        upload = multipart.upload_get(bucket=bucket, key=params["Key"], upload_id=params["UploadId"])
        source_bucket_name, source_key, source_version = objects.parse_copy_source(params["CopySource"])
        source_bucket = buckets.bucket_get(sandbox=ctx.sandbox, name=source_bucket_name)
        source = objects.version_get(bucket=source_bucket, key=source_key, version_id=source_version)
        objects.check_copy_conditions(source, params)
        part = multipart.part_copy(
            upload=upload,
            part_number=params["PartNumber"],
            source=source,
            copy_range=params.get("CopySourceRange"),
            now=ctx.now,
        )
        output: dict[str, Any] = {
            "CopyPartResult": {
                "ETag": part.etag,
                "LastModified": _http_date(part.last_modified),
                **multipart.part_checksum_fields(upload, part),
            }
        }
        if source.version_id != "null":
            output["CopySourceVersionId"] = source.version_id
        return output

    def complete_multipart_upload(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = _bucket(ctx, params, lock=True)
        upload = multipart.upload_get(bucket=bucket, key=params["Key"], upload_id=params["UploadId"])
        parts = (params.get("MultipartUpload") or {}).get("Parts") or []
        version = multipart.upload_complete(upload=upload, parts=parts, params=params, now=ctx.now)
        output: dict[str, Any] = {
            "Location": f"{ctx.request.base_url}/{bucket.name}/{version.key}",
            "Bucket": bucket.name,
            "Key": version.key,
            "ETag": version.etag,
            **_checksum_fields(version),
        }
        if version.version_id != "null":
            output["VersionId"] = version.version_id
        return output

    def abort_multipart_upload(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = _bucket(ctx, params)
        upload = multipart.upload_get(bucket=bucket, key=params["Key"], upload_id=params["UploadId"])
        multipart.upload_abort(upload=upload)
        return {}

    @own_transactions
    def list_parts(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = _bucket(ctx, params)
        upload = multipart.upload_get(bucket=bucket, key=params["Key"], upload_id=params["UploadId"])
        max_parts = min(int(params.get("MaxParts") or 1000), 1000)
        marker = int(params.get("PartNumberMarker") or 0)
        rows = list(Part.objects.filter(upload=upload, part_number__gt=marker).order_by("part_number")[: max_parts + 1])
        truncated = len(rows) > max_parts
        rows = rows[:max_parts]
        owner = buckets.owner(ctx.sandbox)
        return {
            "Bucket": bucket.name,
            "Key": upload.key,
            "UploadId": upload.upload_id,
            "PartNumberMarker": marker,
            "NextPartNumberMarker": rows[-1].part_number if truncated and rows else None,
            "MaxParts": max_parts,
            "IsTruncated": truncated,
            "Parts": [
                {
                    "PartNumber": part.part_number,
                    "LastModified": _http_date(part.last_modified),
                    "ETag": part.etag,
                    "Size": part.size,
                    **multipart.part_checksum_fields(upload, part),
                }
                for part in rows
            ]
            or None,
            "Initiator": owner,
            "Owner": owner,
            "StorageClass": "STANDARD",
            "ChecksumAlgorithm": upload.checksum_algorithm or None,
            "ChecksumType": upload.checksum_type or None,
        }

    @own_transactions
    def list_multipart_uploads(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = _bucket(ctx, params)
        encode = listing.encoder(params.get("EncodingType"))
        prefix = params.get("Prefix") or ""
        max_uploads = min(int(params.get("MaxUploads") or 1000), 1000)
        rows = MultipartUpload.objects.filter(bucket=bucket).order_by("key", "initiated", "id")
        if prefix:
            rows = rows.filter(key__startswith=prefix)
        key_marker = params.get("KeyMarker") or ""
        if key_marker:
            rows = rows.filter(key__gt=key_marker)
        found = list(rows[: max_uploads + 1])
        truncated = len(found) > max_uploads
        found = found[:max_uploads]
        owner = buckets.owner(ctx.sandbox)
        return {
            "Bucket": bucket.name,
            "KeyMarker": encode(key_marker),
            "UploadIdMarker": params.get("UploadIdMarker") or "",
            "NextKeyMarker": encode(found[-1].key) if truncated and found else None,
            "NextUploadIdMarker": found[-1].upload_id if truncated and found else None,
            "Prefix": encode(prefix),
            "MaxUploads": max_uploads,
            "IsTruncated": truncated,
            "EncodingType": params.get("EncodingType"),
            "Uploads": [
                {
                    "UploadId": upload.upload_id,
                    "Key": encode(upload.key),
                    "Initiated": _http_date(upload.initiated),
                    "StorageClass": "STANDARD",
                    "Owner": owner,
                    "Initiator": owner,
                    "ChecksumAlgorithm": upload.checksum_algorithm or None,
                    "ChecksumType": upload.checksum_type or None,
                }
                for upload in found
            ]
            or None,
        }
