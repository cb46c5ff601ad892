"""Versions and aliases: PublishVersion snapshots $LATEST's code and configuration under the next
number (or answers the newest version when nothing changed since it, as Lambda does); an alias
names a version; a qualified FunctionName or Qualifier (a number, an alias, $LATEST) picks what an
invocation runs (`resolve`)."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

from django.db.models import Max

from services.awslambda import functions
from services.awslambda.exceptions import (
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from services.awslambda.models import Alias, Function, Version

LATEST = "$LATEST"


def version_publish(*, function: Function, description: str | None, code_sha256: str | None,
                    revision_id: str | None, now: dt.datetime) -> Version:  # fmt: skip
    if code_sha256 and code_sha256 != function.code_sha256:
        raise PreconditionFailedException(
            "CodeSHA256 (" + code_sha256 + ") is different from current CodeSHA256 in $LATEST ("
            + function.code_sha256 + "). Please try again with the CodeSHA256 in $LATEST."
        )  # fmt: skip
    if revision_id and revision_id != function.revision_id:
        raise PreconditionFailedException(
            "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to "
            "retrieve the latest Revision Id"
        )
    newest = Version.objects.filter(function=function).order_by("-number").first()
    if newest is not None and _same(newest, function):
        return newest
    number = (Version.objects.filter(function=function).aggregate(top=Max("number"))["top"] or 0) + 1
    return Version.objects.create(
        sandbox=function.sandbox, function=function, number=number,
        description=function.description if description is None else description, runtime=function.runtime,
        handler=function.handler, timeout=function.timeout, memory_size=function.memory_size,
        environment=dict(function.environment), code=bytes(function.code), code_size=function.code_size,
        code_sha256=function.code_sha256, revision_id=str(uuid.uuid4()), last_modified=now,
    )  # fmt: skip


def _same(version: Version, function: Function) -> bool:
    return (version.code_sha256, version.runtime, version.handler, version.timeout, version.memory_size,
            version.environment) == (function.code_sha256, function.runtime, function.handler, function.timeout,
                                     function.memory_size, dict(function.environment))  # fmt: skip


def as_version(function: Function, version: Version) -> Function:
    """The function as the version froze it: an unsaved copy whose code and settings are the
    version's (the runtime keeps its environments apart by the revision id)."""
    frozen = copy.copy(function)
    for field in ("runtime", "handler", "timeout", "memory_size", "environment", "code", "code_size", "code_sha256",
                  "description", "revision_id", "last_modified"):  # fmt: skip
        setattr(frozen, field, getattr(version, field))
    frozen.settles_at = None
    frozen.state = "Active"
    return frozen


def resolve(function: Function, qualifier: str | None) -> tuple[Function, str]:
    """(what runs, the executed version) for a qualifier: $LATEST, a version number or an alias."""
    if qualifier in (None, "", LATEST):
        return function, LATEST
    assert qualifier is not None
    if qualifier.isdigit():
        version = Version.objects.filter(function=function, number=int(qualifier)).first()
    else:
        alias = Alias.objects.filter(function=function, name=qualifier).first()
        if alias is None:
            raise ResourceNotFoundException(f"Function not found: {function.arn}:{qualifier}")
        if alias.version == LATEST:
            return function, LATEST
        version = Version.objects.filter(function=function, number=int(alias.version)).first()
    if version is None:
        raise ResourceNotFoundException(f"Function not found: {function.arn}:{qualifier}")
    return as_version(function, version), str(version.number)


def version_configuration(function: Function, version: Version, *, now: dt.datetime) -> dict[str, Any]:
    described = functions.configuration(as_version(function, version), now=now)
    described["Version"] = str(version.number)
    described["FunctionArn"] = f"{function.arn}:{version.number}"
    return described


def versions_list(*, function: Function, now: dt.datetime) -> list[dict[str, Any]]:
    latest = functions.configuration(function, now=now)
    return [latest, *(version_configuration(function, version, now=now) for version in function.versions.all())]


def _check_version(function: Function, version: str) -> None:
    if version != LATEST and not Version.objects.filter(function=function, number=int(version or 0)).exists():
        raise ResourceNotFoundException(f"Function not found: {function.arn}:{version}")


def alias_description(function: Function, alias: Alias) -> dict[str, Any]:
    return {"AliasArn": f"{function.arn}:{alias.name}", "Name": alias.name, "FunctionVersion": alias.version,
            "Description": alias.description, "RevisionId": alias.revision_id}  # fmt: skip


def alias_create(*, function: Function, name: str, version: str, description: str) -> Alias:
    if Alias.objects.filter(function=function, name=name).exists():
        raise ResourceConflictException(f"Alias already exists: {function.arn}:{name}")
    _check_version(function, version)
    return Alias.objects.create(sandbox=function.sandbox, function=function, name=name, version=version,
                                description=description, revision_id=str(uuid.uuid4()))  # fmt: skip


def alias_find(*, function: Function, name: str) -> Alias:
    alias = Alias.objects.filter(function=function, name=name).first()
    if alias is None:
        raise ResourceNotFoundException(f"Alias not found: {function.arn}:{name}")
    return alias


def alias_update(*, function: Function, name: str, params: dict[str, Any]) -> Alias:
    alias = alias_find(function=function, name=name)
    if params.get("RevisionId") and params["RevisionId"] != alias.revision_id:
        raise PreconditionFailedException(
            "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to "
            "retrieve the latest Revision Id"
        )
    if "FunctionVersion" in params:
        _check_version(function, params["FunctionVersion"])
        alias.version = params["FunctionVersion"]
    if "Description" in params:
        alias.description = params["Description"]
    alias.revision_id = str(uuid.uuid4())
    alias.save()
    return alias
