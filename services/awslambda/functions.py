"""Functions: create, find, describe, list, update code and configuration, delete; the state on
the sandbox clock (Pending for PENDING_SECONDS after CreateFunction, LastUpdateStatus InProgress
for as long after an update), and the checks AWS makes, in its order, with its messages."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import re
import uuid
import zipfile
from typing import Any

from django.db.models import Sum

from playground.env import env_int
from playground.sandboxes.models import Sandbox
from services.awslambda import events, runtime
from services.awslambda.exceptions import (
    CodeStorageExceededException,
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from services.awslambda.models import ACTIVE, PENDING, Function

PENDING_SECONDS = 1
MAX_TIMEOUT = 900
MAX_MEMORY = 10240
MAX_UNZIPPED = 262_144_000
MAX_ENVIRONMENT_BYTES = 4096
# The deployment packages a sandbox may keep (AWS's code storage quota is 75 GB a region).
CODE_STORAGE_BYTES = env_int("PLAYGROUND_LAMBDA_CODE_STORAGE_MB", 100, minimum=1) * 1024 * 1024
RUNNABLE = ("python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
DEPRECATED = ("python2.7", "python3.6", "python3.7", "python3.8")
RESERVED_VARIABLES = frozenset(
    {
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    }
)  # fmt: skip
_NAME = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):function:|"
    r"(?P<account2>\d{12}):function:)?(?P<name>[a-zA-Z0-9_-]{1,64})(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]+))?$"
)


def function_arn(*, region: str, account_id: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{account_id}:function:{name}"


def parse_name(value: str) -> tuple[str, str | None, str | None]:
    """(name, qualifier, region) of a FunctionName given as a name, a partial ARN or an ARN."""
    match = _NAME.match(value or "")
    if match is None:
        raise InvalidParameterValueException(
            f"1 validation error detected: Value '{value}' at 'functionName' failed "
            "to satisfy constraint: Member must satisfy regular expression pattern"
        )
    return match.group("name"), match.group("qualifier"), match.group("region")


def qualifier_of(name: str, qualifier: str | None) -> str | None:
    """The qualifier a call names: its Qualifier parameter, or the end of a qualified ARN."""
    return qualifier or parse_name(name)[1]


def find(*, sandbox: Sandbox, region: str, name: str, lock: bool = False) -> Function:
    """The function (its $LATEST) a name or ARN names; versions.resolve reads a qualifier."""
    function_name, _, named_region = parse_name(name)
    region = named_region or region
    # The package (`code`) is read when something needs it (a cold start, GetFunction's download,
    # a version), not on every call; the caller's sandbox row is the function's, without a join.
    rows = Function.objects.defer("code")
    if lock:
        rows = rows.select_for_update()
    try:
        function = rows.get(sandbox=sandbox, region=region, name=function_name)
    except Function.DoesNotExist:
        arn = function_arn(region=region, account_id=sandbox.account_id, name=function_name)
        raise ResourceNotFoundException(f"Function not found: {arn}") from None
    function.sandbox = sandbox
    return function


def by_arn(*, sandbox: Sandbox, arn: str) -> Function | None:
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function":
        return None
    return Function.objects.filter(sandbox=sandbox, region=parts[3], name=parts[6]).first()


# --- checks ----------------------------------------------------------------------------------------


def _check_runtime(runtime_name: str | None) -> None:
    if runtime_name is None:
        raise InvalidParameterValueException(
            "Runtime and Handler are mandatory parameters for functions created with deployment packages."
        )
    if runtime_name in DEPRECATED:
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime_name} is no longer supported for creating or updating AWS Lambda "
            "functions. We recommend you use a supported runtime while creating or updating functions."
        )
    if runtime_name not in RUNNABLE:
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime_name} is not supported by Playground, which runs Python functions "
            f"only: use one of {', '.join(RUNNABLE)}."
        )


_ROLE = re.compile(r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")


def _check_role(role: str) -> None:
    """The model's pattern (the gateway checks lengths and enums; AWS checks patterns too)."""
    if not _ROLE.fullmatch(role):
        raise ValidationException(
            f"1 validation error detected: Value '{role}' at 'role' failed to satisfy constraint: Member must "
            f"satisfy regular expression pattern: {_ROLE.pattern}"
        )


def _check_handler(handler: str | None) -> None:
    if not handler:
        raise InvalidParameterValueException(
            "Runtime and Handler are mandatory parameters for functions created with deployment packages."
        )


def _check_limits(timeout: int | None, memory: int | None) -> None:
    if timeout is not None and not 1 <= timeout <= MAX_TIMEOUT:
        raise InvalidParameterValueException(
            f"'Timeout' value failed to satisfy constraint: Member must have value less than or equal to {MAX_TIMEOUT}"
        )
    if memory is not None and not 128 <= memory <= MAX_MEMORY:
        raise InvalidParameterValueException(
            "'MemorySize' value failed to satisfy constraint: Member must have value less than or equal to "
            f"{MAX_MEMORY}"
        )


def _check_environment(environment: dict[str, Any] | None) -> dict[str, str]:
    variables = dict((environment or {}).get("Variables") or {})
    reserved = sorted(key for key in variables if key in RESERVED_VARIABLES)
    if reserved:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment variables you have "
            "provided contains reserved keys that are currently not supported for modification. Reserved keys used "
            f"in this request: {', '.join(reserved)}"
        )
    measured = json.dumps(variables, separators=(",", ":"))
    if len(measured.encode()) > MAX_ENVIRONMENT_BYTES:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment variables you have "
            f"provided exceeded the 4KB limit. String measured: {measured}"
        )
    return {str(key): str(value) for key, value in variables.items()}


def _code_bytes(*, sandbox: Sandbox, code: dict[str, Any]) -> bytes:
    """The zip from ZipFile, or from S3Bucket/S3Key (through S3's public door)."""
    if code.get("ImageUri"):
        raise InvalidParameterValueException("Playground runs deployment packages (.zip) only, not container images.")
    if code.get("ZipFile") is not None:
        data = code["ZipFile"]
        return data if isinstance(data, bytes) else base64.b64decode(data)
    bucket, key = code.get("S3Bucket"), code.get("S3Key")
    if not bucket or not key:
        raise InvalidParameterValueException("Please provide a source for function code.")
    from services.s3.public import object_read

    try:
        return object_read(sandbox=sandbox, bucket=bucket, key=key, version_id=code.get("S3ObjectVersion"))
    except Exception as problem:  # S3's NoSuchBucket, NoSuchKey, NoSuchVersion
        error_code = getattr(problem, "code", type(problem).__name__)
        message = getattr(problem, "message", "") or str(problem)
        raise InvalidParameterValueException(
            f"Error occurred while GetObject. S3 Error Code: {error_code}. S3 Error Message: {message}"
        ) from problem


def check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(member.file_size for member in archive.infolist())
            if archive.testzip() is not None:
                raise zipfile.BadZipFile("a member is damaged")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as problem:
        raise InvalidParameterValueException(
            "Could not unzip uploaded file. Please check your file, then try to upload again."
        ) from problem
    if unzipped > MAX_UNZIPPED:
        raise InvalidParameterValueException(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes")


def _check_storage(*, sandbox: Sandbox, adding: int, replacing: Function | None = None) -> None:
    held = Function.objects.filter(sandbox=sandbox).aggregate(total=Sum("code_size"))["total"] or 0
    if replacing is not None:
        held -= replacing.code_size
    if held + adding > CODE_STORAGE_BYTES:
        raise CodeStorageExceededException("Code storage limit exceeded.")


def _sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


# --- operations ------------------------------------------------------------------------------------


def function_create(
    *,
    sandbox: Sandbox,
    region: str,
    params: dict[str, Any],
    endpoint: str,
    now: dt.datetime,
) -> Function:
    name = params["FunctionName"]
    if params.get("PackageType") == "Image":
        raise InvalidParameterValueException("Playground runs deployment packages (.zip) only, not container images.")
    _check_role(params["Role"])
    _check_runtime(params.get("Runtime"))
    _check_handler(params.get("Handler"))
    _check_limits(params.get("Timeout"), params.get("MemorySize"))
    variables = _check_environment(params.get("Environment"))
    function_name, _, _ = parse_name(name)
    if Function.objects.filter(sandbox=sandbox, region=region, name=function_name).exists():
        raise ResourceConflictException(f"Function already exist: {function_name}")
    data = _code_bytes(sandbox=sandbox, code=params.get("Code") or {})
    check_zip(data)
    _check_storage(sandbox=sandbox, adding=len(data))
    function = Function.objects.create(
        sandbox=sandbox, region=region, name=function_name, runtime=params["Runtime"], handler=params["Handler"],
        role=params["Role"], description=params.get("Description", ""), timeout=params.get("Timeout") or 3,
        memory_size=params.get("MemorySize") or 128, environment=variables, code=data, code_size=len(data),
        code_sha256=_sha256(data), revision_id=str(uuid.uuid4()), state=PENDING,
        settles_at=now + dt.timedelta(seconds=PENDING_SECONDS), last_modified=now, tags=params.get("Tags") or {},
        dead_letter_arn=(params.get("DeadLetterConfig") or {}).get("TargetArn", ""), endpoint=endpoint,
    )  # fmt: skip
    events.function_changed(sandbox, function=function, verb="created", now=now)
    return function


def _check_updatable(function: Function, *, now: dt.datetime, revision_id: str | None) -> None:
    if function.settles_at is not None and function.settles_at > now:
        if function.state == PENDING:
            raise ResourceConflictException(
                "The operation cannot be performed at this time. The function is currently in the following state: "
                "Pending"
            )
        raise ResourceConflictException(
            f"The operation cannot be performed at this time. An update is in progress for resource: {function.arn}"
        )
    if revision_id is not None and revision_id != function.revision_id:
        from services.awslambda.exceptions import PreconditionFailedException

        raise PreconditionFailedException(
            "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to "
            "retrieve the latest Revision Id"
        )


def _updated(function: Function, *, now: dt.datetime) -> None:
    function.revision_id = str(uuid.uuid4())
    function.last_modified = now
    function.settles_at = now + dt.timedelta(seconds=PENDING_SECONDS)
    function.save()
    runtime.forget(function_arn=function.arn)
    events.function_changed(function.sandbox, function=function, verb="changed", now=now)


def code_update(*, function: Function, params: dict[str, Any], now: dt.datetime) -> Function:
    _check_updatable(function, now=now, revision_id=params.get("RevisionId"))
    data = _code_bytes(sandbox=function.sandbox, code=params)
    check_zip(data)
    _check_storage(sandbox=function.sandbox, adding=len(data), replacing=function)
    function.code = data
    function.code_size = len(data)
    function.code_sha256 = _sha256(data)
    _updated(function, now=now)
    return function


def configuration_update(*, function: Function, params: dict[str, Any], now: dt.datetime) -> Function:
    if "Runtime" in params:
        _check_runtime(params["Runtime"])
    if "Handler" in params:
        _check_handler(params["Handler"])
    if "Role" in params:
        _check_role(params["Role"])
    _check_limits(params.get("Timeout"), params.get("MemorySize"))
    variables = _check_environment(params["Environment"]) if "Environment" in params else None
    _check_updatable(function, now=now, revision_id=params.get("RevisionId"))
    for parameter, attribute in (("Runtime", "runtime"), ("Handler", "handler"), ("Role", "role"),
                                 ("Description", "description"), ("Timeout", "timeout"),
                                 ("MemorySize", "memory_size")):  # fmt: skip
        if parameter in params:
            setattr(function, attribute, params[parameter])
    if variables is not None:
        function.environment = variables
    if "DeadLetterConfig" in params:
        function.dead_letter_arn = (params["DeadLetterConfig"] or {}).get("TargetArn", "")
    _updated(function, now=now)
    return function


def function_delete(*, function: Function, now: dt.datetime) -> None:
    events.function_changed(function.sandbox, function=function, verb="deleted", now=now)
    runtime.forget(function_arn=function.arn)
    function.delete()


def settle_due(sandbox: Sandbox, now: dt.datetime) -> None:
    for function in Function.objects.filter(sandbox=sandbox, settles_at__lte=now).select_related("sandbox"):
        if Function.objects.filter(pk=function.pk, settles_at=function.settles_at).update(
            settles_at=None, state=ACTIVE
        ):
            function.state, function.settles_at = ACTIVE, None
            events.function_changed(sandbox, function=function, verb="changed", now=now)


# --- descriptions ----------------------------------------------------------------------------------


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def state_of(function: Function, *, now: dt.datetime) -> tuple[str, str]:
    """(State, LastUpdateStatus) as of `now`, whether or not the tick has settled the row yet."""
    if function.settles_at is not None and function.settles_at <= now:
        return ACTIVE, "Successful"
    if function.settles_at is not None:
        return (PENDING, "InProgress") if function.state == PENDING else (ACTIVE, "InProgress")
    return function.state, "Successful"


def configuration(function: Function, *, now: dt.datetime) -> dict[str, Any]:
    state, update_status = state_of(function, now=now)
    described: dict[str, Any] = {
        "FunctionName": function.name,
        "FunctionArn": function.arn,
        "Runtime": function.runtime,
        "Role": function.role,
        "Handler": function.handler,
        "CodeSize": function.code_size,
        "Description": function.description,
        "Timeout": function.timeout,
        "MemorySize": function.memory_size,
        "LastModified": _timestamp(function.last_modified),
        "CodeSha256": function.code_sha256,
        "Version": "$LATEST",
        "TracingConfig": {"Mode": "PassThrough"},
        "RevisionId": function.revision_id,
        "State": state,
        "LastUpdateStatus": update_status,
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
        "EphemeralStorage": {"Size": 512},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function.name}"},
    }
    if function.environment:
        described["Environment"] = {"Variables": dict(function.environment)}
    if function.dead_letter_arn:
        described["DeadLetterConfig"] = {"TargetArn": function.dead_letter_arn}
    if state == PENDING:
        described["StateReason"] = "The function is being created."
        described["StateReasonCode"] = "Creating"
    if update_status == "InProgress" and state == ACTIVE:
        described["LastUpdateStatusReason"] = "The function is being created."
        described["LastUpdateStatusReasonCode"] = "Creating"
    return described


def function_get(function: Function, *, now: dt.datetime, base_url: str) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "Configuration": configuration(function, now=now),
        "Code": {"RepositoryType": "S3", "Location": f"{base_url}/awslambda/code/{function.pk}/{function.revision_id}"},
    }
    if function.tags:
        answer["Tags"] = dict(function.tags)
    if function.reserved_concurrency is not None:
        answer["Concurrency"] = {"ReservedConcurrentExecutions": function.reserved_concurrency}
    return answer


def function_list(
    *, sandbox: Sandbox, region: str, marker: str | None, max_items: int | None, now: dt.datetime
) -> dict[str, Any]:
    rows = Function.objects.filter(sandbox=sandbox, region=region).select_related("sandbox").order_by("name")
    if marker:
        rows = rows.filter(name__gt=marker)
    limit = max_items or 50
    page = list(rows[: limit + 1])
    answer: dict[str, Any] = {"Functions": [configuration(function, now=now) for function in page[:limit]]}
    if len(page) > limit:
        answer["NextMarker"] = page[limit - 1].name
    return answer
