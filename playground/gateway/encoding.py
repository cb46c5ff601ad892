"""AWS parameters and results as JSON, the way the REST API's /aws/ door and lab bundles write them.

In: what boto3 takes, in JSON: blobs as base64 text, timestamps as ISO 8601 text or epoch seconds.
`params_from_json` turns those into bytes and datetimes by the operation's input shape, then
botocore's own parameter validator (the one boto3 runs before sending) checks the types.
Out: what boto3 returns, in JSON: datetimes as ISO 8601 text, bytes as base64 text.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
from typing import Any

from botocore.model import OperationModel, Shape
from botocore.utils import parse_timestamp
from botocore.validate import ParamValidator

from playground.gateway.errors import AwsError


class InvalidParameters(AwsError):
    """Parameters boto3 itself would refuse to send (wrong types, unknown or missing members)."""

    code = "ValidationException"
    status = 400


def _convert(value: Any, shape: Shape | None, path: str) -> Any:
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {key: _convert(item, members.get(key), f"{path}.{key}") for key, item in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_convert(item, shape.member, f"{path}[{index}]") for index, item in enumerate(value)]
    if kind == "map" and isinstance(value, dict):
        return {key: _convert(item, shape.value, f"{path}.{key}") for key, item in value.items()}
    if kind == "string" and isinstance(value, str) and "\x00" in value:
        raise InvalidParameters(f"{path} contains a NUL character.")
    if kind == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise InvalidParameters(f"{path} is a blob: give it as base64 text.") from None
    if kind == "timestamp" and isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            return parse_timestamp(value)
        except (ValueError, TypeError, OverflowError):
            raise InvalidParameters(f"{path} is a timestamp: give ISO 8601 text or epoch seconds.") from None
    return value


def params_from_json(operation: OperationModel, params: Any) -> dict[str, Any]:
    """JSON parameters -> what boto3 would pass, checked by botocore's validator."""
    if not isinstance(params, dict):
        raise InvalidParameters("The parameters are a JSON object.")
    shape = operation.input_shape
    if shape is None:
        if params:
            raise InvalidParameters(f"{operation.name} takes no parameters.")
        return {}
    converted: dict[str, Any] = _convert(params, shape, operation.name)
    report = ParamValidator().validate(converted, shape)
    if report.has_errors():
        raise InvalidParameters(report.generate_report())
    return converted


def jsonable(value: Any) -> Any:
    """A result as JSON can carry it: datetimes as ISO 8601, bytes as base64."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
