"""S3 state: buckets, object versions, multipart uploads and their parts.

Rows hold metadata only. Object bytes live in files of the platform's blob storage (Django's
storage API, `storages["blobs"]`, on disk under var/ by default): `storage_name` is the file of an
object version or an uploaded part. A version's file is never rewritten; deleting a version deletes
its file after the transaction commits (storage.py).

Every object version is a row, versioned bucket or not. An unversioned bucket keeps one row per key,
version id "null"; with versioning Enabled each write adds a row with a fresh version id and
clears `is_latest` on the previous one; Suspended writes replace the "null" version. A delete
marker is a row with `is_delete_marker` and no file. Times are sandbox-clock times.
"""

from __future__ import annotations

from django.db import models

from playground.sandboxes.models import Sandbox


class Bucket(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="s3_buckets")
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=63)
    created_at = models.DateTimeField()
    # "" (never enabled), "Enabled" or "Suspended", as GetBucketVersioning reports it.
    versioning = models.CharField(max_length=16, blank=True, default="")
    policy = models.TextField(blank=True, default="")  # the bucket policy as PutBucketPolicy stored it
    tags = models.JSONField(default=dict, blank=True)
    # The NotificationConfiguration as boto3 gives it (QueueConfigurations, TopicConfigurations,
    # LambdaFunctionConfigurations, EventBridgeConfiguration), with each configuration's Id filled.
    notifications = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["sandbox", "name"], name="s3_bucket_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.name}"


class ObjectVersion(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    bucket = models.ForeignKey(Bucket, on_delete=models.CASCADE, related_name="versions")
    key = models.CharField(max_length=1024)
    version_id = models.CharField(max_length=64)  # "null" for the version an unversioned write makes
    is_latest = models.BooleanField(default=True)
    is_delete_marker = models.BooleanField(default=False)
    last_modified = models.DateTimeField()
    size = models.BigIntegerField(default=0)
    etag = models.CharField(max_length=64, blank=True, default="")  # quoted, as S3 returns it
    content_type = models.CharField(max_length=256, blank=True, default="")
    # Content-Encoding, Content-Disposition, Content-Language, Cache-Control, Expires as sent.
    headers = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)  # x-amz-meta-*, names lower-cased
    tags = models.JSONField(default=dict, blank=True)
    # The flexible checksum stored with the object: CRC32 / CRC32C / CRC64NVME / SHA1 / SHA256,
    # its base64 value and its type (FULL_OBJECT, or COMPOSITE for a multipart object's "-N" one).
    checksum_algorithm = models.CharField(max_length=16, blank=True, default="")
    checksum_value = models.CharField(max_length=128, blank=True, default="")
    checksum_type = models.CharField(max_length=16, blank=True, default="")
    parts_count = models.IntegerField(null=True, blank=True)  # a multipart object's number of parts
    part_sizes = models.JSONField(default=list, blank=True)  # and their sizes (GetObject's PartNumber)
    storage_name = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["key", "-id"]
        indexes = [
            models.Index(fields=["bucket", "key", "is_latest"], name="s3_version_latest"),
            models.Index(fields=["bucket", "version_id"], name="s3_version_id"),
        ]

    def __str__(self) -> str:
        return f"{self.key}@{self.version_id}"


class MultipartUpload(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    bucket = models.ForeignKey(Bucket, on_delete=models.CASCADE, related_name="uploads")
    upload_id = models.CharField(max_length=128, unique=True)
    key = models.CharField(max_length=1024)
    initiated = models.DateTimeField()
    content_type = models.CharField(max_length=256, blank=True, default="")
    headers = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    checksum_algorithm = models.CharField(max_length=16, blank=True, default="")
    checksum_type = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        ordering = ["key", "initiated", "id"]

    def __str__(self) -> str:
        return f"{self.key} ({self.upload_id})"


class Part(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="+")
    upload = models.ForeignKey(MultipartUpload, on_delete=models.CASCADE, related_name="parts")
    part_number = models.IntegerField()
    size = models.BigIntegerField()
    etag = models.CharField(max_length=64)  # quoted MD5 of the part
    checksum_value = models.CharField(max_length=128, blank=True, default="")
    last_modified = models.DateTimeField()
    storage_name = models.CharField(max_length=255)

    class Meta:
        ordering = ["part_number"]
        constraints = [models.UniqueConstraint(fields=["upload", "part_number"], name="s3_part_unique_number")]

    def __str__(self) -> str:
        return f"{self.upload_id}#{self.part_number}"
