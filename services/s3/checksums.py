"""Flexible checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) and the MD5 behind ETags.

Each algorithm is computed incrementally as an object's bytes are stored (one pass over them).
The values travel base64-encoded of the big-endian digest, as S3's x-amz-checksum-* headers carry
them. CRC32C and CRC64NVME come from awscrt, the library botocore computes them with.

A multipart object's checksum is either COMPOSITE (the checksum of the parts' concatenated
checksums, "-N" appended) or FULL_OBJECT (the CRCs only: the checksum of the whole object, which
S3 combines from the parts' CRCs; here it is computed over the assembled object).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from typing import Protocol

from awscrt import checksums as crt

ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")
FULL_OBJECT_ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME")


class Hasher(Protocol):
    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...


class _Crc:
    def __init__(self, algorithm: str) -> None:
        self.value = 0
        self.width = 8 if algorithm == "CRC64NVME" else 4
        self.function = {"CRC32": zlib.crc32, "CRC32C": crt.crc32c, "CRC64NVME": crt.crc64nvme}[algorithm]

    def update(self, data: bytes) -> None:
        self.value = self.function(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(self.width, "big")


def hasher(algorithm: str) -> Hasher:
    if algorithm in ("SHA1", "SHA256"):
        return hashlib.new(algorithm.lower())
    return _Crc(algorithm)


def encode(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def digest_of(algorithm: str, data: bytes) -> str:
    found = hasher(algorithm)
    found.update(data)
    return encode(found.digest())


def header_name(algorithm: str) -> str:
    return f"x-amz-checksum-{algorithm.lower()}"


def param_name(algorithm: str) -> str:
    """The model's member for the algorithm's value: ChecksumCRC32, ChecksumSHA256, ..."""
    return f"Checksum{algorithm}"


def is_valid_value(algorithm: str, value: str) -> bool:
    sizes = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8, "SHA1": 20, "SHA256": 32}
    try:
        return len(base64.b64decode(value, validate=True)) == sizes[algorithm]
    except (binascii.Error, ValueError):
        return False


def composite(algorithm: str, part_values: list[str]) -> str:
    """The COMPOSITE checksum of a multipart object: of the parts' digests concatenated, '-N'."""
    joined = b"".join(base64.b64decode(value) for value in part_values)
    return f"{digest_of(algorithm, joined)}-{len(part_values)}"


def multipart_etag(part_md5s: list[bytes]) -> str:
    """S3's ETag of a multipart object: the MD5 of the parts' binary MD5s, then '-' and the count."""
    return f'"{hashlib.md5(b"".join(part_md5s)).hexdigest()}-{len(part_md5s)}"'  # noqa: S324  (S3's ETag)
