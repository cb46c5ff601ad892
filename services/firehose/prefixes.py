"""S3 object keys as Firehose makes them (docs/firehose.md): `<evaluated prefix><name>`.

A Prefix or ErrorOutputPrefix may hold expressions `!{namespace:value}`:
    !{timestamp:<Java DateTimeFormatter pattern>}  the arrival time of the oldest record in the
                                                   object (UTC, or the destination's CustomTimeZone)
    !{firehose:random-string}                      11 random letters and digits
    !{firehose:error-output-type}                  (ErrorOutputPrefix only) processing-failed,
                                                   http-endpoint-failed, ...
    !{partitionKeyFromQuery:key}                   (dynamic partitioning, Prefix only) the
    !{partitionKeyFromLambda:key}                  record's partition key from the
                                                   MetadataExtraction query or the Lambda answer
A Prefix without expressions gets the default `YYYY/MM/dd/HH/` after it; an error object without
an ErrorOutputPrefix goes under `<error-output-type>/YYYY/MM/dd/HH/`. The object's name is
`<stream name>-<version>-YYYY-MM-dd-HH-mm-ss-<uuid>` with the compression's extension.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
import uuid
import zoneinfo

from services.firehose.exceptions import InvalidArgumentException

EXPRESSION = re.compile(r"!\{([^{}:]*):([^{}]*)\}")
PARTITION_NAMESPACES = ("partitionKeyFromQuery", "partitionKeyFromLambda")
NAMESPACES = ("timestamp", "firehose", *PARTITION_NAMESPACES)
FIREHOSE_VALUES = ("random-string", "error-output-type")
RANDOM_ALPHABET = string.ascii_letters + string.digits
MAX_EXPRESSIONS = 50
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]  # fmt: skip
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _refused(constraint: str) -> InvalidArgumentException:
    # AWS's wording, its spelling included.
    return InvalidArgumentException(f"Ths supplied prefix(es) do not satisfy the following constraint: {constraint}")


def has_expressions(prefix: str) -> bool:
    return "!{" in prefix


def _check_one(prefix: str, *, field: str, error_prefix: bool, dynamic_partitioning: bool) -> None:
    stripped = EXPRESSION.sub("", prefix)
    if "!{" in stripped:
        raise _refused(f"{field} contains an expression that is not of the form !{{namespace:value}}")
    found = EXPRESSION.findall(prefix)
    if len(found) > MAX_EXPRESSIONS:
        raise _refused(f"{field} cannot contain more than {MAX_EXPRESSIONS} expressions")
    for namespace, value in found:
        if namespace not in NAMESPACES:
            raise _refused(f"The expression namespace '{namespace}' in {field} is not supported")
        if namespace == "firehose":
            if value not in FIREHOSE_VALUES:
                raise _refused(f"The expression '!{{firehose:{value}}}' in {field} is not supported")
            if value == "error-output-type" and not error_prefix:
                raise _refused("The expression '!{firehose:error-output-type}' is only allowed in ErrorOutputPrefix")
        elif namespace == "timestamp":
            try:
                java_format(value, dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
            except ValueError as problem:
                raise _refused(f"The timestamp pattern '{value}' in {field} is not valid: {problem}") from None
        elif not dynamic_partitioning:
            raise _refused(
                f"Dynamic partitioning namespaces cannot be used in {field} when dynamic partitioning is disabled"
            )


def check_prefixes(prefix: str, error_prefix: str, *, dynamic_partitioning: bool = False) -> None:
    """AWS's rules for a destination's Prefix and ErrorOutputPrefix (InvalidArgumentException)."""
    _check_one(prefix, field="Prefix", error_prefix=False, dynamic_partitioning=dynamic_partitioning)
    _check_one(error_prefix, field="ErrorOutputPrefix", error_prefix=True, dynamic_partitioning=False)
    if has_expressions(prefix) and not error_prefix:
        raise _refused("ErrorOutputPrefix cannot be null or empty when Prefix contains expressions")
    if has_expressions(error_prefix) and "!{firehose:error-output-type}" not in error_prefix:
        raise _refused("ErrorOutputPrefix must contain !{firehose:error-output-type} when it contains expressions")


def partition_keys_used(prefix: str) -> list[tuple[str, str]]:
    """The (namespace, key) of every partitionKeyFrom* expression of a prefix, in order."""
    return [(namespace, value) for namespace, value in EXPRESSION.findall(prefix) if namespace in PARTITION_NAMESPACES]


def missing_keys(prefix: str, keys: dict[str, dict[str, str]] | None) -> list[str]:
    """The prefix's partition key expressions that `keys` gives no value for."""
    return [
        f"!{{{namespace}:{key}}}"
        for namespace, key in partition_keys_used(prefix)
        if key not in (keys or {}).get(namespace, {})
    ]


def check_time_zone(name: str) -> None:
    if not name or name == "UTC":
        return
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidArgumentException(f"CustomTimeZone {name} is not a supported time zone.") from None


# --- Java DateTimeFormatter patterns --------------------------------------------------------------


def _field(letter: str, count: int, at: dt.datetime) -> str:
    if letter in "yu":
        return f"{at.year % 100:02d}" if count == 2 else str(at.year).zfill(count)
    if letter in "ML":
        if count >= 4:
            return MONTHS[at.month - 1]
        if count == 3:
            return MONTHS[at.month - 1][:3]
        return str(at.month).zfill(count)
    numbers = {
        "d": at.day,
        "H": at.hour,
        "h": (at.hour % 12) or 12,
        "k": at.hour or 24,
        "K": at.hour % 12,
        "m": at.minute,
        "s": at.second,
        "D": at.timetuple().tm_yday,
        "e": at.isoweekday(),
    }
    if letter in numbers:
        return str(numbers[letter]).zfill(count)
    if letter == "S":
        return f"{at.microsecond:06d}{'0' * max(count - 6, 0)}"[:count]
    if letter == "E":
        return DAYS[at.weekday()] if count >= 4 else DAYS[at.weekday()][:3]
    if letter == "a":
        return "AM" if at.hour < 12 else "PM"
    raise ValueError(f"Unknown pattern letter: {letter}")


def java_format(pattern: str, at: dt.datetime) -> str:
    """`at` formatted by a Java DateTimeFormatter pattern (the letters Firehose users use: y u M L
    d D H h k K m s S E e a; text in single quotes; other characters as they are)."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "'":
            end = pattern.find("'", index + 1)
            if end == -1:
                raise ValueError("Pattern ends with an incomplete string literal")
            out.append(pattern[index + 1 : end] if end > index + 1 else "'")
            index = end + 1
        elif char.isascii() and char.isalpha():
            run = index
            while run < len(pattern) and pattern[run] == char:
                run += 1
            out.append(_field(char, run - index, at))
            index = run
        elif char in "[]{}#":
            raise ValueError(f"Pattern includes reserved character: '{char}'")
        else:
            out.append(char)
            index += 1
    return "".join(out)


# --- evaluation -----------------------------------------------------------------------------------


def local_time(at: dt.datetime, time_zone: str) -> dt.datetime:
    return at.astimezone(zoneinfo.ZoneInfo(time_zone) if time_zone and time_zone != "UTC" else dt.UTC)


def random_string() -> str:
    return "".join(secrets.choice(RANDOM_ALPHABET) for _ in range(11))


def _evaluate(prefix: str, at: dt.datetime, *, error_type: str, keys: dict[str, dict[str, str]] | None = None) -> str:
    def replace(match: re.Match[str]) -> str:
        namespace, value = match.groups()
        if namespace == "timestamp":
            return java_format(value, at)
        if namespace in PARTITION_NAMESPACES:
            return (keys or {})[namespace][value]
        if value == "error-output-type":
            return error_type
        return random_string()

    return EXPRESSION.sub(replace, prefix)


def hour_folders(at: dt.datetime) -> str:
    return at.strftime("%Y/%m/%d/%H/")


def object_prefix(prefix: str, at: dt.datetime, *, keys: dict[str, dict[str, str]] | None = None) -> str:
    """The evaluated Prefix for records whose oldest arrived `at` (already in the destination's
    zone), of the partition `keys` (dynamic partitioning: see missing_keys)."""
    if has_expressions(prefix):
        return _evaluate(prefix, at, error_type="", keys=keys)
    return prefix + hour_folders(at)


def error_prefix(error_output_prefix: str, at: dt.datetime, *, error_type: str) -> str:
    if has_expressions(error_output_prefix):
        return _evaluate(error_output_prefix, at, error_type=error_type)
    return f"{error_output_prefix}{error_type}/{hour_folders(at)}"


def object_name(*, stream: str, version: int, at: dt.datetime, extension: str) -> str:
    return f"{stream}-{version}-{at.strftime('%Y-%m-%d-%H-%M-%S')}-{uuid.uuid4()}{extension}"
