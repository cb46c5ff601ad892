from __future__ import annotations

from django.urls import reverse

from playground import catalog


class S3Config(catalog.ServiceApp):
    name = "services.s3"
    label = "s3"
    verbose_name = "S3"
    aws_services = ("s3",)
    title = "Amazon S3"
    group = "Storage and compute"
    quotas = {"Bucket": 100, "ObjectVersion": 10_000, "MultipartUpload": 1_000}
    stored_payloads = {"ObjectVersion": "size", "Part": "size"}
    storing_operations = frozenset({"PutObject", "UploadPart", "CopyObject", "UploadPartCopy"})
    # AWS logs object-level calls as data events (resource type AWS::S3::Object).
    data_events = dict.fromkeys(
        (
            "GetObject", "PutObject", "HeadObject", "DeleteObject", "DeleteObjects", "CopyObject", "RestoreObject",
            "GetObjectAcl", "PutObjectAcl", "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging",
            "GetObjectAttributes", "SelectObjectContent", "CreateMultipartUpload", "UploadPart", "UploadPartCopy",
            "CompleteMultipartUpload", "AbortMultipartUpload", "ListParts", "ListObjects", "ListObjectsV2",
            "ListObjectVersions", "ListMultipartUploads", "GetObjectRetention", "PutObjectRetention",
            "GetObjectLegalHold", "PutObjectLegalHold",
        ),
        "AWS::S3::Object",
    )  # fmt: skip

    def gui_config(self, *, sandbox_id: int) -> dict[str, object]:
        """The inspector's folder browser, upload and download use S3's own views (views.py)."""
        return {
            "browse": reverse("s3:browse", args=[sandbox_id]),
            "objects": reverse("s3:objects", args=[sandbox_id]),
        }
