"""The compression formats of an S3 destination (CompressionFormat) and their file extensions.

GZIP is one gzip member; ZIP an archive of one entry named after the object; Snappy the snappy
framing format; HADOOP_SNAPPY Hadoop's block format (per block: the raw length and the compressed
length as 4-byte big-endian integers, then the raw snappy data). cramjam does the snappy work.
"""

from __future__ import annotations

import gzip
import io
import struct
import zipfile

import cramjam

UNCOMPRESSED = "UNCOMPRESSED"
FORMATS = ("UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY")
EXTENSIONS = {"UNCOMPRESSED": "", "GZIP": ".gz", "ZIP": ".zip", "Snappy": ".snappy", "HADOOP_SNAPPY": ".snappy"}
HADOOP_BLOCK = 256 * 1024


def compress(data: bytes, fmt: str, *, entry_name: str = "data") -> bytes:
    if fmt == "GZIP":
        return gzip.compress(data, mtime=0)
    if fmt == "ZIP":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(entry_name, data)
        return out.getvalue()
    if fmt == "Snappy":
        return bytes(cramjam.snappy.compress(data))
    if fmt == "HADOOP_SNAPPY":
        blocks = []
        for start in range(0, max(len(data), 1), HADOOP_BLOCK):
            raw = data[start : start + HADOOP_BLOCK]
            packed = bytes(cramjam.snappy.compress_raw(raw))
            blocks.append(struct.pack(">II", len(raw), len(packed)) + packed)
        return b"".join(blocks)
    return data


def decompress(data: bytes, fmt: str) -> bytes:
    """The inverse (the tests and the lab's checks read objects back with it)."""
    if fmt == "GZIP":
        return gzip.decompress(data)
    if fmt == "ZIP":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.read(archive.namelist()[0])
    if fmt == "Snappy":
        return bytes(cramjam.snappy.decompress(data))
    if fmt == "HADOOP_SNAPPY":
        out, offset = [], 0
        while offset < len(data):
            _raw, packed = struct.unpack_from(">II", data, offset)
            offset += 8
            out.append(bytes(cramjam.snappy.decompress_raw(data[offset : offset + packed])))
            offset += packed
        return b"".join(out)
    return data
