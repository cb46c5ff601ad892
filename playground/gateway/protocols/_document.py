"""Shape-typed conversion between botocore values and the documents of AWS JSON and RPC v2 CBOR.

botocore's client takes and returns Python values typed by the model: bytes for blobs, aware
datetimes for timestamps. AWS JSON carries blobs as base64 text and timestamps as epoch numbers
(or ISO 8601 text where a shape says so); RPC v2 CBOR carries blobs as byte strings and
timestamps as tag-1 epochs. A Codec *reads* a decoded request document into botocore values,
checking every type on the way because the input is untrusted, and *writes* a provider's output
into a document ready to encode.

Each shape is compiled once into functions of one value (see Codec), so a request pays only for
walking its own values.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Callable
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import cbor2
import pybase64
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
        self.reason = message
        self.steps: list[str | int] = []  # the members and indexes it passed on its way up, innermost first


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


Reader = Callable[[Any], Any]  # a request value -> the botocore value; raises DocumentError
Writer = Callable[[Any], Any]  # a provider's value -> the document's value
_CONTAINERS = ("structure", "list", "map")


class _Compiler:
    """Compiles one shape into a function of one value (None: the value as it is), through
    `build(compiler, shape)`. Containers met again within the shape (recursive models) share one
    function: a reference back to one still being compiled goes through a cell filled in later."""

    def __init__(self, build: Callable[[_Compiler, Shape], Callable[[Any], Any] | None]) -> None:
        self._build = build
        self._done: dict[str, Callable[[Any], Any] | None] = {}
        self._pending: dict[str, list[Callable[[Any], Any] | None]] = {}

    def compile(self, shape: Shape) -> Callable[[Any], Any] | None:
        if shape.type_name not in _CONTAINERS:
            return self._build(self, shape)
        key = f"{shape.type_name}:{shape.name}"
        if key in self._done:
            return self._done[key]
        if key in self._pending:
            cell = self._pending[key]
            return lambda value: value if cell[0] is None else cell[0](value)
        self._pending[key] = [None]
        built = self._build(self, shape)
        self._pending.pop(key)[0] = built
        self._done[key] = built
        return built


def _path_of(base: str, steps: list[str | int]) -> str:
    """Where a problem is: `base`, then the steps its DocumentError gathered on its way up
    (innermost first); a member or map key joins with a dot, a list index is `[n]`."""
    path = base
    for step in reversed(steps):
        path = f"{path}[{step}]" if isinstance(step, int) else _join(path, step)
    return path


class Codec:
    """Reads and writes shape-typed values for one document format. Subclasses say how blobs,
    timestamps and floats look in their format.

    Each shape is compiled on first use into a tree of small functions, member tables and the
    reader or writer of every member worked out ahead, so a request pays only for walking its own
    values: a list of 1,000 structures costs one call per structure and per member that needs
    converting or checking. Readers build no path while all goes well; a DocumentError gathers
    the members and indexes it passes on its way up, and `read` writes its path once."""

    # Whether output documents key members by their serialized name (JSON) or by the member
    # name (botocore's CBOR parser reads member names).
    write_serialized_names = True
    absent: Any = None  # a second value that means "no value" (CBOR's undefined)

    def __init__(self) -> None:
        # Keyed by the shape object, as botocore's shapes live as long as their cached service model.
        self._readers: dict[Shape, Reader | None] = {}
        self._writers: dict[Shape, Writer | None] = {}

    # --- reading (request documents) ------------------------------------------------------------
    def read(self, shape: Shape, value: Any, path: str = "") -> Any:
        try:
            reader = self._readers[shape]
        except KeyError:
            reader = self._readers[shape] = _Compiler(self._reader).compile(shape)
        if reader is None:  # a type this codec does not know, or a document: passed through untouched
            return value
        try:
            return reader(value)
        except DocumentError as problem:
            if not path and not problem.steps:
                raise
            raise DocumentError(_path_of(path, problem.steps), problem.reason) from None

    def _reader(self, compiler: _Compiler, shape: Shape) -> Reader | None:
        kind = shape.type_name
        if kind == "structure":
            return self._structure_reader(compiler, shape)
        if kind == "list":
            return self._list_reader(compiler, shape)
        if kind == "map":
            return self._map_reader(compiler, shape)
        if kind == "string":
            return _read_string
        if kind == "boolean":
            return _read_boolean
        if kind in _INT_RANGES:
            return _integer_reader(kind)
        if kind in ("float", "double"):
            return _read_float
        if kind == "blob":
            return self._blob_reader(shape)
        if kind == "timestamp":
            read_timestamp = self.read_timestamp
            return lambda value: read_timestamp(shape, value, "")
        return None

    def _blob_reader(self, shape: Shape) -> Reader:
        """The reader of a blob member (a codec with one reader for every blob returns it here)."""
        read_blob = self.read_blob
        return lambda value: read_blob(shape, value, "")

    def _structure_reader(self, compiler: _Compiler, shape: Shape) -> Reader | None:
        if shape.metadata.get("document"):
            return None
        table: dict[str, tuple[str, Reader | None]] = {
            member.serialization.get("name", name): (name, compiler.compile(member))
            for name, member in shape.members.items()
        }
        absent = self.absent

        def read_structure(value: Any) -> dict[str, Any]:
            if not isinstance(value, dict):
                raise DocumentError("", f"Expected an object, found {describe(value)}")
            result: dict[str, Any] = {}
            key = ""
            try:
                for key, item in value.items():
                    entry = table.get(key)
                    if entry is None or item is None or item is absent:
                        continue  # AWS ignores members it does not know, and null means absent
                    name, reader = entry
                    result[name] = item if reader is None else reader(item)
            except DocumentError as problem:
                problem.steps.append(key)
                raise
            return result

        return read_structure

    def _list_reader(self, compiler: _Compiler, shape: Shape) -> Reader:
        reader = compiler.compile(shape.member)
        absent = self.absent

        def read_list(value: Any) -> list[Any]:
            if not isinstance(value, list):
                raise DocumentError("", f"Expected an array, found {describe(value)}")
            if reader is None:
                return [item for item in value if item is not None and item is not absent]
            result: list[Any] = []
            append = result.append
            index = 0
            try:
                for index, item in enumerate(value):  # noqa: B007  (the index names a problem)
                    if item is not None and item is not absent:
                        append(reader(item))
            except DocumentError as problem:
                problem.steps.append(index)
                raise
            return result

        return read_list

    def _map_reader(self, compiler: _Compiler, shape: Shape) -> Reader:
        read_key = compiler.compile(shape.key)
        read_value = compiler.compile(shape.value)
        absent = self.absent

        def read_map(value: Any) -> dict[Any, Any]:
            if not isinstance(value, dict):
                raise DocumentError("", f"Expected an object, found {describe(value)}")
            result: dict[Any, Any] = {}
            for key, item in value.items():
                if item is None or item is absent:
                    continue
                if not isinstance(key, str):
                    raise DocumentError("", f"Expected string keys, found {describe(key)}")
                if read_key is not None:
                    key = read_key(key)  # a problem with a key is the map's own
                try:
                    result[key] = item if read_value is None else read_value(item)
                except DocumentError as problem:
                    problem.steps.append(key)
                    raise
            return result

        return read_map

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
        try:
            writer = self._writers[shape]
        except KeyError:
            writer = self._writers[shape] = _Compiler(self._writer).compile(shape)
        return value if writer is None else writer(value)

    def _writer(self, compiler: _Compiler, shape: Shape) -> Writer | None:
        kind = shape.type_name
        if kind == "structure":
            return self._structure_writer(compiler, shape)
        if kind == "list":
            write_member = compiler.compile(shape.member)
            if write_member is None:
                return list
            return lambda value: [None if item is None else write_member(item) for item in value]
        if kind == "map":
            write_value = compiler.compile(shape.value)
            if write_value is None:
                return lambda value: {key: item for key, item in value.items() if item is not None}
            return lambda value: {key: write_value(item) for key, item in value.items() if item is not None}
        if kind in ("float", "double"):
            write_float = self._write_float
            return lambda value: write_float(shape, value)
        if kind == "blob":
            write_blob = self.write_blob
            return lambda value: write_blob(shape, value)
        if kind == "timestamp":
            write_timestamp = self.write_timestamp
            return lambda value: write_timestamp(shape, value)
        return None

    def _structure_writer(self, compiler: _Compiler, shape: Shape) -> Writer | None:
        if shape.metadata.get("document"):
            return None
        serialized = self.write_serialized_names
        table: dict[str, tuple[str, Writer | None]] = {
            name: (member.serialization.get("name", name) if serialized else name, compiler.compile(member))
            for name, member in shape.members.items()
        }

        def write_structure(value: Any) -> dict[str, Any]:
            result: dict[str, Any] = {}
            for name, item in value.items():
                entry = table.get(name)
                if entry is None or item is None:
                    continue  # members the model does not have never reach the wire
                key, writer = entry
                result[key] = item if writer is None else writer(item)
            return result

        return write_structure

    def _write_float(self, shape: Shape, value: Any) -> Any:
        return float(value)

    def write_blob(self, shape: Shape, value: Any) -> Any:
        raise NotImplementedError

    def write_timestamp(self, shape: Shape, value: Any) -> Any:
        raise NotImplementedError


def _read_string(value: Any) -> str:
    if not isinstance(value, str):
        raise DocumentError("", f"Expected a string, found {describe(value)}")
    return value


def _read_boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise DocumentError("", f"Expected a boolean, found {describe(value)}")
    return value


def _integer_reader(kind: str) -> Reader:
    low, high = _INT_RANGES[kind]

    def read_integer(value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise DocumentError("", f"Expected an integer, found {describe(value)}")
        if not low <= value <= high:
            raise DocumentError("", f"Integer {value} is out of range for a {kind}")
        return value

    return read_integer


def _read_float(value: Any) -> float:
    if isinstance(value, str) and value in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[value]
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise DocumentError("", f"Expected a number, found {describe(value)}")
    return float(value)


def as_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)


class JsonCodec(Codec):
    """AWS JSON 1.0 / 1.1 documents."""

    def _blob_reader(self, shape: Shape) -> Reader:
        return _read_base64  # the same for every blob shape: Kinesis PutRecords reads 500 a call

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
        return pybase64.b64encode_as_string(as_bytes(value))

    def write_timestamp(self, shape: Shape, value: Any) -> Any:
        form = shape.serialization.get("timestampFormat", "unixTimestamp").lower()
        if form == "iso8601":
            return iso8601(from_epoch(value) if isinstance(value, int | float) else _as_datetime(value))
        if form == "rfc822":
            stamp = from_epoch(value) if isinstance(value, int | float) else _as_datetime(value)
            return format_datetime(stamp.replace(microsecond=0), usegmt=True)
        return to_epoch(value)


def _read_base64(value: Any) -> bytes:
    """Strict base64, as AWS reads it: only the alphabet, in whole quanta, padding only at the end.
    pybase64's SIMD decoder: binascii's strict mode took 3 of a Kinesis PutRecords' 28 ms of
    server CPU (500 records of 1 KiB), pybase64 a fifth of that."""
    if not isinstance(value, str):
        raise DocumentError("", f"Expected a base64-encoded string, found {describe(value)}")
    try:
        return pybase64.b64decode(value, validate=True)
    except ValueError:  # binascii.Error, and a str that is not ASCII
        raise DocumentError("", "Value is not valid base64") from None


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
