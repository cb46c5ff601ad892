"""Listing objects and versions: prefix, delimiter (CommonPrefixes), markers and continuation
tokens, MaxKeys, EncodingType=url. Keys come in UTF-8 binary order, as S3 lists them (SQLite's
ordering; LIMITATIONS: a PostgreSQL database's collation may order non-ASCII keys otherwise)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from services.s3.exceptions import InvalidArgument
from services.s3.models import Bucket, ObjectVersion

MAX_KEYS = 1000


def encode_token(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode("utf-8")).decode("ascii")


def decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidArgument(
            "The continuation token provided is incorrect", ArgumentName="continuation-token", ArgumentValue=token
        ) from None


def check_max_keys(value: int | None) -> int:
    if value is None:
        return MAX_KEYS
    if value < 0:
        raise InvalidArgument("Argument maxKeys must be an integer between 0 and 2147483647", ArgumentName="maxKeys")
    return min(value, MAX_KEYS)


def encoder(encoding_type: str | None) -> Any:
    if encoding_type is None:
        return lambda text: text
    if encoding_type != "url":
        raise InvalidArgument("Invalid Encoding Method specified in Request", ArgumentName="encoding-type")
    return lambda text: quote(text, safe="/") if text is not None else None


@dataclass
class Page:
    rows: list[Any] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    truncated: bool = False
    last: str = ""  # the last key or common prefix on the page


def _grouped(
    items: Iterator[tuple[str, Any]], *, prefix: str, delimiter: str | None, max_keys: int, after: str
) -> Page:
    """Walk (key, row) pairs in key order past `after`, folding keys into common prefixes."""
    page = Page()
    count = 0
    current_prefix = None
    for key, row in items:
        if delimiter:
            rest = key[len(prefix) :]
            cut = rest.find(delimiter)
            if cut >= 0:
                common = prefix + rest[: cut + len(delimiter)]
                if common == current_prefix or (after and common <= after and after.startswith(common)):
                    continue
                if count == max_keys:
                    page.truncated = True
                    return page
                current_prefix = common
                page.prefixes.append(common)
                page.last = common
                count += 1
                continue
        if count == max_keys:
            page.truncated = True
            return page
        page.rows.append(row)
        page.last = key
        count += 1
    return page


def list_current(*, bucket: Bucket, prefix: str, delimiter: str | None, max_keys: int, after: str) -> Page:
    rows = ObjectVersion.objects.filter(bucket=bucket, is_latest=True, is_delete_marker=False).order_by("key")
    if prefix:
        rows = rows.filter(key__startswith=prefix)
    if after:
        rows = rows.filter(key__gt=after)
    return _grouped(((row.key, row) for row in rows.iterator()), prefix=prefix, delimiter=delimiter,
                    max_keys=max_keys, after=after)  # fmt: skip


def list_versions(
    *, bucket: Bucket, prefix: str, delimiter: str | None, max_keys: int, key_marker: str, version_marker: str
) -> tuple[Page, ObjectVersion | None]:
    """Versions in key order, newest first within a key, after (key_marker, version_marker); and the
    last version on a truncated page (the next markers)."""
    rows = ObjectVersion.objects.filter(bucket=bucket).order_by("key", "-id")
    if prefix:
        rows = rows.filter(key__startswith=prefix)
    if key_marker:
        rows = rows.filter(key__gte=key_marker)

    def items() -> Iterator[tuple[str, ObjectVersion]]:
        skipping = bool(version_marker)
        for row in rows.iterator():
            if row.key == key_marker:
                if not version_marker:
                    continue
                if skipping:
                    if row.version_id == version_marker:
                        skipping = False
                    continue
            yield row.key, row

    page = _grouped(items(), prefix=prefix, delimiter=delimiter, max_keys=max_keys, after="")
    last = page.rows[-1] if page.truncated and page.rows and page.last == page.rows[-1].key else None
    return page, last
