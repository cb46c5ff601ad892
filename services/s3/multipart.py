"""Multipart uploads: create, upload part, complete, abort, list parts and uploads.

Each part is stored as a file of its own (with its MD5 and the upload's checksum). Completing
checks the list (ascending part numbers, each part uploaded with that ETag, every part but the last
at least 5 MiB), concatenates the parts into the object's file, and the ETag is S3's
md5-of-md5s-N. The object's checksum is COMPOSITE (checksum of the parts' checksums, "-N") for
SHA1/SHA256 and, unless the upload asked for FULL_OBJECT, for the CRCs too; FULL_OBJECT
checksums are computed over the assembled object.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
from typing import Any

from services.s3 import checksums, storage
from services.s3.exceptions import (
    EntityTooSmall,
    InvalidArgument,
    InvalidPart,
    InvalidPartOrder,
    InvalidRequest,
    MalformedXML,
    NoSuchUpload,
)
from services.s3.models import Bucket, MultipartUpload, ObjectVersion, Part
from services.s3.objects import ChecksumRequest, Described, object_write, store_body

MIN_PART_BYTES = 5 * 1024 * 1024
UNSUPPORTED_ALGORITHM = (
    "Checksum algorithm provided is unsupported. Please try again with any of the valid types: "
    "[CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"
)
MAX_PARTS = 10_000


def upload_create(
    *,
    bucket: Bucket,
    key: str,
    described: Described,
    checksum_algorithm: str | None,
    checksum_type: str | None,
    now: dt.datetime,
) -> MultipartUpload:
    if checksum_algorithm is not None and checksum_algorithm not in checksums.ALGORITHMS:
        raise InvalidRequest(UNSUPPORTED_ALGORITHM)
    if checksum_type == "FULL_OBJECT" and checksum_algorithm not in (None, *checksums.FULL_OBJECT_ALGORITHMS):
        raise InvalidRequest(
            f"The FULL_OBJECT checksum type cannot be used with the {checksum_algorithm} checksum algorithm."
        )
    if checksum_type and checksum_algorithm is None:
        checksum_algorithm = "CRC64NVME" if checksum_type == "FULL_OBJECT" else None
    if checksum_type is None and checksum_algorithm is not None:
        checksum_type = "FULL_OBJECT" if checksum_algorithm == "CRC64NVME" else "COMPOSITE"
    return MultipartUpload.objects.create(
        sandbox=bucket.sandbox,
        bucket=bucket,
        upload_id=secrets.token_urlsafe(48),
        key=key,
        initiated=now,
        content_type=described.content_type,
        headers=described.headers,
        metadata=described.metadata,
        tags=described.tags,
        checksum_algorithm=checksum_algorithm or "",
        checksum_type=checksum_type or "",
    )


def upload_get(*, bucket: Bucket, key: str, upload_id: str) -> MultipartUpload:
    found = MultipartUpload.objects.filter(bucket=bucket, key=key, upload_id=upload_id).first()
    if found is None:
        raise NoSuchUpload(UploadId=upload_id)
    return found


def part_upload(
    *,
    upload: MultipartUpload,
    part_number: int,
    body: Any,
    wanted: ChecksumRequest,
    content_md5: str | None,
    now: dt.datetime,
    content_sha256: str = "",
) -> Part:
    if not 1 <= part_number <= MAX_PARTS:
        raise InvalidArgument(
            "Part number must be an integer between 1 and 10000, inclusive",
            ArgumentName="partNumber",
            ArgumentValue=part_number,
        )
    if upload.checksum_algorithm and wanted.expected is None and not wanted.trailer:
        wanted = ChecksumRequest(upload.checksum_algorithm, None)
    elif upload.checksum_algorithm and wanted.algorithm != upload.checksum_algorithm:
        raise InvalidRequest(
            f"Checksum Type mismatch occurred, expected checksum Type: {upload.checksum_algorithm.lower()}, "
            f"actual checksum Type: {wanted.algorithm.lower()}"
        )
    stored = store_body(
        bucket=upload.bucket, body=body, wanted=wanted, content_md5=content_md5, content_sha256=content_sha256
    )
    value = stored.checksums.get(wanted.algorithm, "") if upload.checksum_algorithm else ""
    old = Part.objects.filter(upload=upload, part_number=part_number).first()
    if old is not None:
        storage.discard_on_commit([old.storage_name])
        old.delete()
    return Part.objects.create(
        sandbox=upload.sandbox,
        upload=upload,
        part_number=part_number,
        size=stored.size,
        etag=stored.etag,
        checksum_value=value,
        last_modified=now,
        storage_name=stored.name,
    )


_COPY_RANGE = re.compile(r"^bytes=(\d+)-(\d+)$")


def _copy_range(text: str | None, size: int) -> tuple[int, int]:
    """(offset, length) of x-amz-copy-source-range (`bytes=first-last`), the whole object without one."""
    if text is None:
        return 0, size
    found = _COPY_RANGE.match(text.strip())
    if found is None:
        raise InvalidArgument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are "
            "the zero-based offsets of the first and last bytes to copy",
            ArgumentName="x-amz-copy-source-range",
            ArgumentValue=text,
        )
    first, last = int(found.group(1)), int(found.group(2))
    if first > last or last >= size:
        raise InvalidArgument(
            f"Range specified is not valid for source object of size: {size}",
            ArgumentName="x-amz-copy-source-range",
            ArgumentValue=text,
        )
    return first, last - first + 1


class _Span:
    """`length` bytes of a stored file from `offset`, as a reader."""

    def __init__(self, name: str, offset: int, length: int) -> None:
        self.file = storage.open_blob(name)
        self.file.seek(offset)
        self.left = length

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            self.file.close()
            return b""
        data: bytes = self.file.read(self.left if size < 0 else min(size, self.left))
        self.left -= len(data)
        return data


def part_copy(
    *, upload: MultipartUpload, part_number: int, source: ObjectVersion, copy_range: str | None, now: dt.datetime
) -> Part:
    """UploadPartCopy: a part made of (a range of) a stored object's bytes."""
    if not 1 <= part_number <= MAX_PARTS:
        raise InvalidArgument(
            "Part number must be an integer between 1 and 10000, inclusive",
            ArgumentName="partNumber",
            ArgumentValue=part_number,
        )
    offset, length = _copy_range(copy_range, source.size)
    algorithms = [upload.checksum_algorithm] if upload.checksum_algorithm else []
    span = _Span(source.storage_name, offset, length)
    stored = storage.store(account_id=upload.sandbox.account_id, source=span, algorithms=algorithms)
    old = Part.objects.filter(upload=upload, part_number=part_number).first()
    if old is not None:
        storage.discard_on_commit([old.storage_name])
        old.delete()
    return Part.objects.create(
        sandbox=upload.sandbox,
        upload=upload,
        part_number=part_number,
        size=stored.size,
        etag=stored.etag,
        checksum_value=stored.checksums.get(upload.checksum_algorithm, "") if upload.checksum_algorithm else "",
        last_modified=now,
        storage_name=stored.name,
    )


def _same_etag(given: str, stored: str) -> bool:
    return given.strip().strip('"') == stored.strip('"')


def upload_complete(
    *, upload: MultipartUpload, parts: list[dict[str, Any]], params: dict[str, Any], now: dt.datetime
) -> ObjectVersion:
    if not parts:
        raise MalformedXML()
    numbers = [int(part.get("PartNumber") or 0) for part in parts]
    if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
        raise InvalidPartOrder(UploadId=upload.upload_id)
    stored_parts = {part.part_number: part for part in Part.objects.filter(upload=upload)}
    chosen: list[Part] = []
    for given in parts:
        found = stored_parts.get(int(given["PartNumber"]))
        if found is None or not _same_etag(str(given.get("ETag", "")), found.etag):
            raise InvalidPart(UploadId=upload.upload_id, PartNumber=given["PartNumber"], ETag=given.get("ETag", ""))
        chosen.append(found)
    for part in chosen[:-1]:
        if part.size < MIN_PART_BYTES:
            raise EntityTooSmall(
                ProposedSize=part.size, MinSizeAllowed=MIN_PART_BYTES, PartNumber=part.part_number, ETag=part.etag
            )
    algorithm = upload.checksum_algorithm
    composite = upload.checksum_type == "COMPOSITE"
    assembled = _assemble(upload, chosen, algorithms=[algorithm] if algorithm and not composite else [])
    try:
        value = ""
        if algorithm and composite:
            value = checksums.composite(algorithm, [part.checksum_value for part in chosen])
        elif algorithm:
            value = assembled.checksums[algorithm]
        expected = params.get(checksums.param_name(algorithm)) if algorithm else None
        if expected and expected != value:
            from services.s3.exceptions import BadDigest

            raise BadDigest(f"The {algorithm} you specified did not match the calculated checksum.")
        if not algorithm:  # S3's default for an upload that named none: CRC64NVME of the whole object
            with storage.open_blob(assembled.name) as handle:
                again = storage.store(account_id=upload.sandbox.account_id, source=handle, algorithms=["CRC64NVME"])
            storage.discard(assembled.name)
            assembled = again
            algorithm, value = "CRC64NVME", again.checksums["CRC64NVME"]
    except BaseException:
        storage.discard(assembled.name)
        raise
    etag = checksums.multipart_etag([bytes.fromhex(part.etag.strip('"')) for part in chosen])
    described = Described(upload.content_type, dict(upload.headers), dict(upload.metadata), dict(upload.tags))
    version = object_write(
        bucket=upload.bucket,
        key=upload.key,
        stored=assembled,
        described=described,
        checksum_algorithm=algorithm,
        checksum_value=value,
        checksum_type="COMPOSITE" if composite else "FULL_OBJECT",
        parts_count=len(chosen),
        part_sizes=[part.size for part in chosen],
        etag=etag,
        operation="CompleteMultipartUpload",
        event="ObjectCreated:CompleteMultipartUpload",
        now=now,
    )
    storage.discard_on_commit(part.storage_name for part in stored_parts.values())
    upload.delete()
    return version


class _Concatenated:
    """The parts' files read one after another, as one file."""

    def __init__(self, names: list[str]) -> None:
        self.names = list(names)
        self.current: Any = None

    def read(self, size: int = -1) -> bytes:
        while True:
            if self.current is None:
                if not self.names:
                    return b""
                self.current = storage.open_blob(self.names.pop(0))
            data: bytes = self.current.read(size)
            if data:
                return data
            self.current.close()
            self.current = None


def _assemble(upload: MultipartUpload, parts: list[Part], *, algorithms: list[str]) -> storage.Stored:
    return storage.store(
        account_id=upload.sandbox.account_id,
        source=_Concatenated([part.storage_name for part in parts]),
        algorithms=algorithms,
    )


def upload_abort(*, upload: MultipartUpload) -> None:
    storage.discard_on_commit(Part.objects.filter(upload=upload).values_list("storage_name", flat=True))
    upload.delete()


def part_checksum_fields(upload: MultipartUpload, part: Part) -> dict[str, str]:
    if not upload.checksum_algorithm or not part.checksum_value:
        return {}
    return {checksums.param_name(upload.checksum_algorithm): part.checksum_value}


def md5_base64(etag: str) -> str:
    return base64.b64encode(bytes.fromhex(etag.strip('"'))).decode()
