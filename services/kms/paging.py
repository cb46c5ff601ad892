"""Limit / Marker paging as every KMS List* operation does it: up to Limit items, and when more
remain `Truncated: true` with a `NextMarker` to pass back as `Marker`.

Markers are opaque to clients. For rows they carry the last row's primary key (so a row added or
removed between two pages neither repeats nor skips one); for lists made in memory, an offset.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import models

from services.kms.exceptions import InvalidMarkerException

BAD_MARKER = (
    "The request was rejected because the marker that specifies where pagination should next begin is not valid."
)

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)


def _encode(value: int) -> str:
    return base64.urlsafe_b64encode(f"pg1:{value}".encode()).decode()


def _decode(marker: str) -> int:
    try:
        text = base64.urlsafe_b64decode(marker.encode()).decode()
        prefix, value = text.split(":", 1)
        if prefix != "pg1":
            raise ValueError(marker)
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise InvalidMarkerException(BAD_MARKER) from None


def page_rows(
    queryset: models.QuerySet[M], *, limit: int | None, marker: str | None, default: int
) -> tuple[list[M], dict[str, Any]]:
    """A page of rows in primary-key order, and the Truncated/NextMarker members to return."""
    size = limit or default
    rows = queryset.order_by("pk")
    if marker:
        rows = rows.filter(pk__gt=_decode(marker))
    found = list(rows[: size + 1])
    if len(found) > size:
        found = found[:size]
        return found, {"Truncated": True, "NextMarker": _encode(found[-1].pk)}
    return found, {"Truncated": False}


def page_list(
    items: Sequence[T], *, limit: int | None, marker: str | None, default: int
) -> tuple[list[T], dict[str, Any]]:
    """A page of an in-memory list, by offset."""
    size = limit or default
    start = _decode(marker) if marker else 0
    if start < 0:
        raise InvalidMarkerException(BAD_MARKER)
    chunk = list(items[start : start + size])
    if start + size < len(items):
        return chunk, {"Truncated": True, "NextMarker": _encode(start + size)}
    return chunk, {"Truncated": False}
