"""What every EC2 resource shares: identifiers, tags, Describe* filters and pagination tokens."""

from __future__ import annotations

import base64
import fnmatch
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn, TypeVar

from playground.sandboxes.models import Sandbox
from services.ec2.exceptions import InvalidID, InvalidNextToken, InvalidParameterValue
from services.ec2.models import Tag

T = TypeVar("T")

# Resource ID prefix -> the resource type DescribeTags names.
RESOURCE_TYPES = {
    "i": "instance",
    "vpc": "vpc",
    "subnet": "subnet",
    "sg": "security-group",
    "key": "key-pair",
    "ami": "image",
    "igw": "internet-gateway",
    "rtb": "route-table",
    "acl": "network-acl",
    "eni": "network-interface",
    "r": "reservation",
}
ID_PATTERN = re.compile(r"^([a-z]+)-([0-9a-f]{8}|[0-9a-f]{17})$")


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(9)[:17]}"


def id_is_valid(value: str, prefix: str) -> bool:
    match = ID_PATTERN.match(value)
    return bool(match and match.group(1) == prefix)


def resource_type_of(resource_id: str) -> str | None:
    match = ID_PATTERN.match(resource_id)
    return RESOURCE_TYPES.get(match.group(1)) if match else None


# Tags --------------------------------------------------------------------------------------------


def tags_of(sandbox: Sandbox, resource_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """{resource ID: {key: value}} for the given resources (one query)."""
    found: dict[str, dict[str, str]] = {}
    for tag in Tag.objects.filter(sandbox=sandbox, resource_id__in=list(resource_ids)):
        found.setdefault(tag.resource_id, {})[tag.key] = tag.value
    return found


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def check_tags(tags: Sequence[dict[str, Any]]) -> None:
    for tag in tags:
        key = tag.get("Key")
        if key is None or key == "":
            raise InvalidParameterValue("Tag key cannot be empty")  # AWS: InvalidParameterValue
        if len(key) > 128:
            raise InvalidParameterValue(f"Tag key exceeds the maximum length of 128 characters: {key}")
        if key.lower().startswith("aws:"):
            raise InvalidParameterValue("Tag keys starting with 'aws:' are reserved for internal use")
        if len(tag.get("Value") or "") > 256:
            raise InvalidParameterValue(f"Tag value exceeds the maximum length of 256 characters: {tag.get('Value')}")


def tags_set(*, sandbox: Sandbox, region: str, resource_id: str, tags: Sequence[dict[str, Any]]) -> None:
    check_tags(tags)
    resource_type = resource_type_of(resource_id)
    if resource_type is None:
        raise InvalidID(f"The ID '{resource_id}' is not valid")
    for tag in tags:
        Tag.objects.update_or_create(
            sandbox=sandbox, resource_id=resource_id, key=tag["Key"],
            defaults={"value": tag.get("Value") or "", "region": region, "resource_type": resource_type},
        )  # fmt: skip


def tags_clear(*, sandbox: Sandbox, resource_id: str) -> None:
    Tag.objects.filter(sandbox=sandbox, resource_id=resource_id).delete()


def tag_specifications(specs: Sequence[dict[str, Any]], resource_type: str) -> list[dict[str, Any]]:
    """The tags a TagSpecifications list gives resources of one type."""
    tags: list[dict[str, Any]] = []
    for spec in specs:
        if spec.get("ResourceType") == resource_type:
            tags.extend(spec.get("Tags") or [])
    return tags


def check_tag_specifications(specs: Sequence[dict[str, Any]], allowed: Sequence[str]) -> None:
    for spec in specs:
        kind = spec.get("ResourceType")
        if kind not in allowed:
            raise InvalidParameterValue(f"'{kind}' is not a valid taggable resource type for this operation.")
        check_tags(spec.get("Tags") or [])


# Filters -----------------------------------------------------------------------------------------

Fields = dict[str, list[str]]


def filter_fields_with_tags(fields: Fields, tags: dict[str, str]) -> Fields:
    """A resource's filter fields plus its tag:Key, tag-key and tag-value fields."""
    merged = dict(fields)
    merged["tag-key"] = list(tags)
    merged["tag-value"] = list(tags.values())
    for key, value in tags.items():
        merged[f"tag:{key}"] = [value]
    return merged


def matches(fields: Fields, filters: Sequence[dict[str, Any]]) -> bool:
    """AWS's filter semantics: every filter must match (AND); a filter matches when any of its
    values matches any of the resource's values for that name (OR); * and ? are wildcards."""
    for flt in filters:
        wanted = [str(value) for value in flt.get("Values") or []]
        have = fields.get(flt["Name"], [])
        if not any(fnmatch.fnmatchcase(value, pattern) for value in have for pattern in wanted):
            return False
    return True


def check_filters(filters: Sequence[dict[str, Any]], known: Iterable[str]) -> None:
    names = set(known)
    for flt in filters:
        name = flt.get("Name") or ""
        if name.startswith("tag:") or name in names or name in ("tag-key", "tag-value"):
            continue
        raise InvalidParameterValue(f"The filter '{name}' is invalid")


def select(
    rows: Iterable[T], filters: Sequence[dict[str, Any]], fields: Callable[[T], Fields], known: Iterable[str]
) -> list[T]:
    check_filters(filters, known)
    return [row for row in rows if matches(fields(row), filters)]


# Pagination --------------------------------------------------------------------------------------


def page(items: list[T], *, max_results: int | None, token: str | None) -> tuple[list[T], str | None]:
    """A page of `items` from the position a NextToken carries; the next token or None."""
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("p:"))
        except (ValueError, UnicodeDecodeError) as error:
            raise InvalidNextToken("The token provided is invalid") from error
    if max_results is None:
        return items[start:], None
    end = start + max_results
    following = base64.urlsafe_b64encode(f"p:{end}".encode()).decode() if end < len(items) else None
    return items[start:end], following


def paged(items: list[Any], params: dict[str, Any], key: str) -> dict[str, Any]:
    """A Describe answer: the page of `items` the request's MaxResults and NextToken ask for,
    under `key`, with the NextToken of the page after it if there is one."""
    shown, following = page(items, max_results=params.get("MaxResults"), token=params.get("NextToken"))
    answer: dict[str, Any] = {key: shown}
    if following:
        answer["NextToken"] = following
    return answer


def named(rows: list[T], ids: Sequence[str], id_of: Callable[[T], str], missing: Callable[[str], object]) -> list[T]:
    """The rows a Describe's ID list names, all of them when it names none. `missing(id)` raises
    the service's error for the first ID that names no row."""
    if not ids:
        return rows
    known = {id_of(row) for row in rows}
    for value in ids:
        if value not in known:
            missing(value)
    wanted = set(ids)
    return [row for row in rows if id_of(row) in wanted]


def not_found(error: Callable[[str], Exception], noun: str) -> Callable[[str], NoReturn]:
    """`missing` for named(): raises error("The <noun> ID '<id>' does not exist")."""

    def refuse(value: str) -> NoReturn:
        raise error(f"The {noun} ID '{value}' does not exist")

    return refuse


def check_ids(ids: Sequence[str], prefix: str, error: Callable[[str], Exception]) -> None:
    for value in ids:
        if not id_is_valid(value, prefix):
            raise error(value)
