"""Shape-typed conversion between botocore values and the documents of AWS JSON and RPC v2 CBOR.

botocore's client takes and returns Python values typed by the model: bytes for blobs, aware
datetimes for timestamps. AWS JSON carries blobs as base64 text and timestamps as epoch numbers
(or ISO 8601 text where a shape says so); RPC v2 CBOR carries blobs as byte strings and
timestamps as tag-1 epochs. A Codec *reads* a decoded request document into botocore values,
checking every type on the way because the input is untrusted, and *writes* a provider's output
into a document ready to encode.

Member tables are worked out once per shape and kept (shapes live as long as their cached
service model), so a request pays only for walking its own values.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import datetime as dt
import math
from collections.abc import Callable
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import cbor2
from botocore.model import Shape

# Integer ranges of the model's integral types (AWS services are Java: int and long).
_INT_RANGES: dict[str, tuple[int, int]] = {
    "integer": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-(2**7), 2**7 - 1),
}
_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class DocumentError(Exception):
    """A request value that does not have the type its shape asks for."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{message} at '{path}'" if path else message)
        self.path = path


def describe(value: Any) -> str:
    """The document type of a decoded value, in the words a client author would use."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bytes | bytearray):
        return "a byte string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, dt.datetime):
        return "a timestamp"
    return type(value).__name__


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def to_epoch(value: Any) -> int | float:
    """Epoch seconds of a timestamp value: an int when whole, else a float (as botocore sends)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        value = parse_iso8601(value)
    if not isinstance(value, dt.datetime):
        raise TypeError(f"not a timestamp: {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    seconds = calendar.timegm(value.utctimetuple())
    if value.microsecond:
        return (seconds * 10**6 + value.microsecond) / 10**6
    return seconds


def from_epoch(value: int | float) -> dt.datetime:
    # timedelta arithmetic reaches dates fromtimestamp() refuses on some platforms (before 1970).
    return _EPOCH + dt.timedelta(seconds=value)


def parse_iso8601(text: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(text.strip())
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def iso8601(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    value = value.astimezone(dt.UTC)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class Codec:
    """Reads and writes shape-typed values for one document format. Subclasses say how blobs,
    timestamps and floats look in their format."""

    # Whether output documents key members by their serialized name (JSON) or by the member
    # name (botocore's CBOR parser reads member names).
    write_serialized_names = True
    absent: Any = None  # a second value that means "no value" (CBOR's undefined)

    def __init__(self) -> None:
        self._read_tables: dict[Shape, dict[str, tuple[str, Shape]]] = {}
        self._write_tables: dict[Shape, dict[str, tuple[str, Shape]]] = {}
        self._readers: dict[str, Callable[[Shape, Any, str], Any]] = {
            "structure": self._read_structure,
            "list": self._read_list,
            "map": self._read_map,
            "string": self._read_string,
            "boolean": self._read_boolean,
            "integer": self._read_integer,
            "long": self._read_integer,
            "short": self._read_integer,
            "byte": self._read_integer,
            "float": self._read_float,
            "double": self._read_float,
            "blob": self.read_blob,
            "timestamp": self.read_timestamp,
        }
        self._writers: dict[str, Callable[[Shape, Any], Any]] = {
            "structure": self._write_structure,
            "list": self._write_list,
            "map": self._write_map,
            "float": self._write_float,
            "double": self._write_float,
            "blob": self.write_blob,
            "timestamp": self.write_timestamp,
        }

    # --- reading (request documents) ------------------------------------------------------------
    def read(self, shape: Shape, value: Any, path: str = "") -> Any:
        reader = self._readers.get(shape.type_name)
        if reader is None:  # a type this codec does not know: pass it through untouched
            return value
        return reader(shape, value, path)

    def _read_table(self, shape: Shape) -> dict[str, tuple[str, Shape]]:
        table = self._read_tables.get(shape)
        if table is None:
            table = {member.serialization.get("name", name): (name, member) for name, member in shape.members.items()}
            self._read_tables[shape] = table
        return table

    def _read_structure(self, shape: Shape, value: Any, path: str) -> Any:
        if shape.metadata.get("document"):
            return value
        if not isinstance(value, dict):
            raise DocumentError(path, f"Expected an object, found {describe(value)}")
        table = self._read_table(shape)
        result: dict[str, Any] = {}
        for key, item in value.items():
            entry = table.get(key)
            if entry is None or item is None or item is self.absent:
                continue  # AWS ignores members it does not know, and null means absent
            name, member = entry
            result[name] = self.read(member, item, _join(path, key))
        return result

    def _read_list(self, shape: Shape, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise DocumentError(path, f"Expected an array, found {describe(value)}")
        member = shape.member
        absent = self.absent
        return [
            self.read(member, item, f"{path}[{index}]")
            for index, item in enumerate(value)
            if item is not None and item is not absent
        ]

    def _read_map(self, shape: Shape, value: Any, path: str) -> dict[Any, Any]:
        if not isinstance(value, dict):
            raise DocumentError(path, f"Expected an object, found {describe(value)}")
        key_shape, value_shape = shape.key, shape.value
        result: dict[Any, Any] = {}
        for key, item in value.items():
            if item is None or item is self.absent:
                continue
            if not isinstance(key, str):
                raise DocumentError(path, f"Expected string keys, found {describe(key)}")
            result[self.read(key_shape, key, path)] = self.read(value_shape, item, _join(path, key))
        return result

    def _read_string(self, shape: Shape, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise DocumentError(path, f"Expected a string, found {describe(value)}")
        return value

    def _read_boolean(self, shape: Shape, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise DocumentError(path, f"Expected a boolean, found {describe(value)}")
        return value

    def _read_integer(self, shape: Shape, value: Any, path: str) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise DocumentError(path, f"Expected an integer, found {describe(value)}")
        low, high = _INT_RANGES.get(shape.type_name, _INT_RANGES["long"])
        if not low <= value <= high:
            raise DocumentError(path, f"Integer {value} is out of range for a {shape.type_name}")
        return value

    def _read_float(self, shape: Shape, value: Any, path: str) -> float:
        if isinstance(value, str) and value in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[value]
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise DocumentError(path, f"Expected a number, found {describe(value)}")
        return float(value)

    def read_blob(self, shape: Shape, value: Any, path: str) -> bytes:
        raise NotImplementedError

    def read_timestamp(self, shape: Shape, value: Any, path: str) -> dt.datetime:
        raise NotImplementedError

    def _epoch_to_datetime(self, value: Any, path: str) -> dt.datetime:
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or (isinstance(value, float) and not math.isfinite(value))  # isfinite(int) overflows on huge ints
        ):
            raise DocumentError(path, f"Expected a timestamp in epoch seconds, found {describe(value)}")
        try:
            return from_epoch(value)
        except (OverflowError, ValueError, OSError):
            raise DocumentError(path, f"Timestamp {value} is out of range") from None

    # --- writing (response documents) -----------------------------------------------------------
    def write(self, shape: Shape, value: Any) -> Any:
        writer = self._writers.get(shape.type_name)
        if writer is None:
            return value
        return writer(shape, value)

    def _write_table(self, shape: Shape) -> dict[str, tuple[str, Shape]]:
        table = self._write_tables.get(shape)
        if table is None:
            table = {
                name: (member.serialization.get("name", name) if self.write_serialized_names else name, member)
                for name, member in shape.members.items()
            }
            self._write_tables[shape] = table
        return table

    def _write_structure(self, shape: Shape, value: Any) -> Any:
        if shape.metadata.get("document"):
            return value
        table = self._write_table(shape)
        result: dict[str, Any] = {}
        for name, item in value.items():
            entry = table.get(name)
            if entry is None or item is None:
                continue  # members the model does not have never reach the wire
            key, member = entry
            result[key] = self.write(member, item)
        return result

    def _write_list(self, shape: Shape, value: Any) -> list[Any]:
        member = shape.member
        return [None if item is None else self.write(member, item) for item in value]

    def _write_map(self, shape: Shape, value: Any) -> dict[Any, Any]:
        value_shape = shape.value
        return {key: self.write(value_shape, item) for key, item in value.items() if item is not None}

    def _write_float(self, shape: Shape, value: Any) -> Any:
        return float(value)

    def write_blob(self, shape: Shape, value: Any) -> Any:
        raise NotImplementedError

    def write_timestamp(self, shape: Shape, value: Any) -> Any:
        raise NotImplementedError


def as_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)


class JsonCodec(Codec):
    """AWS JSON 1.0 / 1.1 documents."""

    def read_blob(self, shape: Shape, value: Any, path: str) -> bytes:
        if not isinstance(value, str):
            raise DocumentError(path, f"Expected a base64-encoded string, found {describe(value)}")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise DocumentError(path, "Value is not valid base64") from None

    def read_timestamp(self, shape: Shape, value: Any, path: str) -> dt.datetime:
        form = shape.serialization.get("timestampFormat", "unixTimestamp").lower()
        if form == "unixtimestamp":
            return self._epoch_to_datetime(value, path)
        if not isinstance(value, str):
            raise DocumentError(path, f"Expected a {form} timestamp string, found {describe(value)}")
        try:
            if form == "rfc822":
                return parsedate_to_datetime(value).astimezone(dt.UTC)
            return parse_iso8601(value)
        except (ValueError, TypeError):
            raise DocumentError(path, f"'{value}' is not a valid {form} timestamp") from None

    def _write_float(self, shape: Shape, value: Any) -> Any:
        number = float(value)
        if math.isfinite(number):
            return number
        # JSON has no NaN or Infinity literals; AWS sends them as strings.
        return "NaN" if math.isnan(number) else ("Infinity" if number > 0 else "-Infinity")

    def write_blob(self, shape: Shape, value: Any) -> str:
        return base64.b64encode(as_bytes(value)).decode("ascii")

    def write_timestamp(self, shape: Shape, value: Any) -> Any:
        form = shape.serialization.get("timestampFormat", "unixTimestamp").lower()
        if form == "iso8601":
            return iso8601(from_epoch(value) if isinstance(value, int | float) else _as_datetime(value))
        if form == "rfc822":
            stamp = from_epoch(value) if isinstance(value, int | float) else _as_datetime(value)
            return format_datetime(stamp.replace(microsecond=0), usegmt=True)
        return to_epoch(value)


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, str):
        return parse_iso8601(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


class CborCodec(Codec):
    """Smithy RPC v2 CBOR documents (as decoded and encoded by cbor2)."""

    write_serialized_names = False

    def __init__(self) -> None:
        super().__init__()
        self.absent = cbor2.undefined

    def read_blob(self, shape: Shape, value: Any, path: str) -> bytes:
        if not isinstance(value, bytes | bytearray):
            raise DocumentError(path, f"Expected a byte string, found {describe(value)}")
        return bytes(value)

    def read_timestamp(self, shape: Shape, value: Any, path: str) -> dt.datetime:
        if isinstance(value, dt.datetime):  # cbor2 has already read tag 1 (or tag 0)
            return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        return self._epoch_to_datetime(value, path)

    def write_blob(self, shape: Shape, value: Any) -> bytes:
        return as_bytes(value)

    def write_timestamp(self, shape: Shape, value: Any) -> cbor2.CBORTag:
        return cbor2.CBORTag(1, to_epoch(value))
