"""What other services may use of S3 (docs/services.md: services meet through public doors).

object_read(sandbox=, bucket=, key=, version_id=)   an object's bytes (Lambda code from S3, Athena
                                                    tables, Transcoder inputs); S3's NoSuchBucket,
                                                    NoSuchKey, NoSuchVersion as S3 raises them
object_write(sandbox=, bucket=, key=, body=, ...)   write an object as an AWS service does
                                                    (Firehose, CloudTrail, Flow Logs, exports): a
                                                    new version with S3's events and notifications;
                                                    with `service_principal`, the bucket policy must
                                                    allow it s3:PutObject (AccessDenied otherwise)
bucket_exists(sandbox=, bucket=)                    whether the sandbox has the bucket
service_may_write(sandbox=, bucket=, key=, service_principal=, source_arn=)
                                                    whether the bucket policy lets that service
                                                    put `key` (CloudTrail checks it at CreateTrail)
service_may_get_acl(sandbox=, bucket=, service_principal=, source_arn=)
                                                    whether the bucket policy lets that service call
                                                    s3:GetBucketAcl on the bucket (Logs' export tasks)
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from playground.policies import service_allowed
from services.s3 import buckets, objects, storage
from services.s3.exceptions import AccessDenied
from services.s3.models import Bucket

if TYPE_CHECKING:
    from playground.sandboxes.models import Sandbox

__all__ = [
    "AccessDenied",
    "bucket_exists",
    "object_read",
    "object_write",
    "service_may_get_acl",
    "service_may_write",
]


def bucket_exists(*, sandbox: Sandbox, bucket: str) -> bool:
    return Bucket.objects.filter(sandbox=sandbox, name=bucket).exists()


def service_may_write(
    *,
    sandbox: Sandbox,
    bucket: str,
    key: str,
    service_principal: str,
    source_arn: str | None = None,
    acl: str | None = None,
) -> bool:
    """Whether the bucket's policy allows `service_principal` s3:PutObject on `key`, as
    object_write checks it (False when there is no such bucket)."""
    found = Bucket.objects.filter(sandbox=sandbox, name=bucket).first()
    if found is None:
        return False
    return _allowed(
        found, sandbox=sandbox, action="s3:PutObject", resource=f"arn:aws:s3:::{found.name}/{key}",
        service_principal=service_principal, source_arn=source_arn, acl=acl,
    )  # fmt: skip


def service_may_get_acl(
    *, sandbox: Sandbox, bucket: str, service_principal: str, source_arn: str | None = None
) -> bool:
    """Whether the bucket's policy allows `service_principal` s3:GetBucketAcl on the bucket (False
    when there is no such bucket)."""
    found = Bucket.objects.filter(sandbox=sandbox, name=bucket).first()
    if found is None:
        return False
    return _allowed(
        found, sandbox=sandbox, action="s3:GetBucketAcl", resource=f"arn:aws:s3:::{found.name}",
        service_principal=service_principal, source_arn=source_arn, acl=None,
    )  # fmt: skip


def _allowed(
    target: Bucket, *, sandbox: Sandbox, action: str, resource: str, service_principal: str,
    source_arn: str | None, acl: str | None,
) -> bool:  # fmt: skip
    """Whether the bucket's policy lets the service do `action` on `resource` for this account (the
    aws:SourceAccount, aws:SourceArn and s3:x-amz-acl condition keys AWS's examples use)."""
    context = {"aws:SourceAccount": sandbox.account_id}
    if source_arn:
        context["aws:SourceArn"] = source_arn
    if acl:
        context["s3:x-amz-acl"] = acl
    return service_allowed(
        target.policy, service_principal=service_principal, action=action, resource=resource, context=context
    )


def object_read(*, sandbox: Sandbox, bucket: str, key: str, version_id: str | None = None) -> bytes:
    found = buckets.bucket_get(sandbox=sandbox, name=bucket)
    version = objects.version_get(bucket=found, key=key, version_id=version_id)
    with storage.open_blob(version.storage_name) as blob:
        return blob.read()


def object_write(
    *,
    sandbox: Sandbox,
    bucket: str,
    key: str,
    body: bytes,
    now: dt.datetime,
    content_type: str = "application/octet-stream",
    content_encoding: str | None = None,
    service_principal: str | None = None,
    source_arn: str | None = None,
    acl: str | None = None,
    metadata: dict[str, str] | None = None,
) -> dict[str, str]:
    """Write `body` under `key` and answer {"ETag", "VersionId"}. A service that AWS documents as
    writing under the bucket policy (cloudtrail.amazonaws.com, delivery.logs.amazonaws.com) passes
    its principal, the ARN it writes for (aws:SourceArn) and the canned ACL it sends (s3:x-amz-acl:
    CloudTrail's bucket-owner-full-control). `metadata` is the object's user metadata (x-amz-meta-*:
    CloudTrail's digest signature)."""
    target = buckets.bucket_get(sandbox=sandbox, name=bucket)
    objects.check_key(key)
    if service_principal is not None and not _allowed(
        target, sandbox=sandbox, action="s3:PutObject", resource=f"arn:aws:s3:::{target.name}/{key}",
        service_principal=service_principal, source_arn=source_arn, acl=acl,
    ):  # fmt: skip
        raise AccessDenied()
    headers = {"ContentEncoding": content_encoding} if content_encoding else {}
    stored = storage.store(account_id=sandbox.account_id, source=body, algorithms=[objects.DEFAULT_CHECKSUM])
    try:
        version = objects.object_write(
            bucket=target,
            key=key,
            stored=stored,
            described=objects.Described(content_type=content_type, headers=headers, metadata=dict(metadata or {})),
            checksum_algorithm=objects.DEFAULT_CHECKSUM,
            checksum_value=stored.checksums[objects.DEFAULT_CHECKSUM],
            operation="PutObject",
            event="ObjectCreated:Put",
            now=now,
        )
    except BaseException:
        storage.discard(stored.name)
        raise
    return {"ETag": version.etag, "VersionId": version.version_id}
