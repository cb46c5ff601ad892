"""How bench/fuzzing.py spoils a valid request: one mutation of its parameters, its encoded body,
its headers, method or path. Each takes the Draft (the request on its way) and its random source,
so the same seed spoils the same way.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from botocore.model import OperationModel

if TYPE_CHECKING:
    from bench.fuzzing import Target

HUGE = 1024 * 1024
WORDS = string.ascii_letters + string.digits
# What an SDK never sends: control characters, lone surrogates, non-characters, right-to-left marks.
ODD_TEXT = ["\x00", "\x07", "\ud800", "\udfff", "\ufffe", "\uffff", "\u202e", "é", "😀", "<&>'\"", "%", "../"]
ODD_NUMBERS = ["-1", "0", "1.5", "1e400", "-0", "NaN", "Infinity", "9" * 40, "0x10", " 1", "", "true", "null"]
PERCENT_GARBAGE = ["%", "%z", "%zz", "%ff%fe", "%C3%28", "%ED%A0%80", "%00", "%%41", "+%2", "%E2%82"]
CONTENT_TYPES = [
    "application/x-amz-json-1.0",
    "application/x-amz-json-1.1",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=latin-1",
    "application/json",
    "application/cbor",
    "text/plain",
    "application/xml",
    "multipart/form-data; boundary=x",
    "",
    "a/b; charset=nope",
]


@dataclass
class Draft:
    """A request on its way: the operation's parameters, then its wire form, then its signature."""

    rng: random.Random
    target: Target
    operation: OperationModel
    params: dict[str, Any]
    method: str = "POST"
    path: str = "/"
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    form: list[tuple[str, str]] | None = None  # query protocol: the form before it is encoded
    document: dict[str, Any] | None = None  # json protocol: the document before it is encoded
    claimed: str | None = None  # the operation the request names


def finish_body(draft: Draft) -> None:
    if draft.form is not None:
        draft.body = urlencode(draft.form, errors="surrogatepass").encode()
        draft.form = None
    elif draft.document is not None:
        draft.body = json.dumps(draft.document, allow_nan=True).encode("utf-8", "surrogatepass")
        draft.document = None


# --- mutations of the parameters, the document or the form -----------------------------------------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON document that holds a value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield (*prefix, position)
            yield from _paths(item, (*prefix, position))


def _set(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    holder: Any = document
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = value


def _place(draft: Draft, value: Any, *, encoded: str | None = None) -> None:
    """Put `value` somewhere in the request: over an existing member, or as a member of the input."""
    rng = draft.rng
    if draft.document is not None:
        paths = list(_paths(draft.document))
        if paths and rng.random() < 0.8:
            _set(draft.document, rng.choice(paths), value)
        else:
            draft.document[_member_name(draft)] = value
    elif draft.form is not None:
        text = encoded if encoded is not None else (value if isinstance(value, str) else json.dumps(value))
        candidates = [i for i, (key, _) in enumerate(draft.form) if key not in ("Action", "Version")]
        if candidates and rng.random() < 0.8:
            position = rng.choice(candidates)
            draft.form[position] = (draft.form[position][0], text)
        else:
            draft.form.append((_member_name(draft), text))


def _member_name(draft: Draft) -> str:
    shape = draft.operation.input_shape
    names = list(shape.members) if shape is not None else []
    return draft.rng.choice(names) if names and draft.rng.random() < 0.8 else "Unknown" + str(draft.rng.randint(0, 9))


def wrong_type(draft: Draft) -> None:
    rng = draft.rng
    choices: list[Any] = [
        rng.randint(-(2**70), 2**70),
        rng.random() * 1e300,
        float("nan"),
        float("inf"),
        rng.random() < 0.5,
        None,
        "",
        rng.choice(ODD_NUMBERS),
        [rng.choice(ODD_NUMBERS)],
        {"x": rng.choice(ODD_NUMBERS)},
        [],
        {},
    ]
    _place(draft, rng.choice(choices))


def odd_text(draft: Draft) -> None:
    rng = draft.rng
    _place(draft, "".join(rng.choice(ODD_TEXT + list(WORDS)) for _ in range(rng.randint(1, 20))))


def too_long(draft: Draft) -> None:
    """A string member one to a hundred characters over its limit (or 300 where none is modeled)."""
    shape = draft.operation.input_shape
    limits = [
        int(member.metadata["max"])
        for member in (shape.members.values() if shape is not None else [])
        if member.type_name == "string" and "max" in member.metadata
    ]
    length = (draft.rng.choice(limits) if limits else 299) + draft.rng.randint(1, 100)
    _place(draft, "x" * min(length, 2 * HUGE))


def huge(draft: Draft) -> None:
    _place(draft, draft.rng.choice(["a", "é", "\x01"]) * (HUGE + draft.rng.randint(0, 1000)))


def deep(draft: Draft) -> None:
    """Nesting far deeper than any shape: a stack-depth attack on the parser."""
    depth = draft.rng.choice([50, 1000, 5000, 100_000])
    if draft.form is not None:
        key = (_member_name(draft) + ".member.1" * depth)[:200_000]
        draft.form.append((key, "x"))
        return
    text = "[" * depth + "]" * depth if draft.rng.random() < 0.5 else '{"a":' * depth + "1" + "}" * depth
    draft.body = b'{"' + _member_name(draft).encode() + b'":' + text.encode() + b"}"
    draft.document = None


def many(draft: Draft) -> None:
    """Lists and maps with thousands of entries; query forms with thousands of fields."""
    count = draft.rng.choice([1000, 20_000])
    if draft.form is not None:
        name = _member_name(draft)
        draft.form.extend((f"{name}.member.{n}", "v") for n in range(1, count + 1))
    else:
        _place(draft, [{"Id": str(n), "Key": "k", "Value": "v"} for n in range(count)])


def missing_required(draft: Draft) -> None:
    shape = draft.operation.input_shape
    required = list(shape.required_members) if shape is not None else []
    if not required:
        return wrong_type(draft)
    name = draft.rng.choice(required)
    if draft.document is not None:
        draft.document.pop(name, None)
    elif draft.form is not None:
        draft.form = [(key, value) for key, value in draft.form if key.split(".")[0] != name]
    return None


def bad_numbers(draft: Draft) -> None:
    shape = draft.operation.input_shape
    numeric = [
        name
        for name, member in (shape.members.items() if shape is not None else [])
        if member.type_name in ("integer", "long", "float", "double", "timestamp", "boolean")
    ]
    name = draft.rng.choice(numeric) if numeric else _member_name(draft)
    garbage = draft.rng.choice([2**63, -(2**63) - 1, 10**400, -1, 1.5, "1", draft.rng.choice(ODD_NUMBERS)])
    if draft.document is not None:
        draft.document[name] = garbage
    elif draft.form is not None:
        draft.form = [(key, value) for key, value in draft.form if key != name] + [(name, str(garbage))]


def _body_mutation(mutate: Callable[[Draft], None]) -> Callable[[Draft], None]:
    """A mutation of the encoded body: the form or document is encoded first."""

    def apply(draft: Draft) -> None:
        finish_body(draft)
        mutate(draft)

    apply.__name__ = mutate.__name__
    return apply


@_body_mutation
def bad_utf8(draft: Draft) -> None:
    garbage = draft.rng.choice([b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80"])
    at = draft.rng.randint(0, len(draft.body))
    draft.body = draft.body[:at] + garbage + draft.body[at:]


@_body_mutation
def bad_percent(draft: Draft) -> None:
    garbage = draft.rng.choice(PERCENT_GARBAGE).encode()
    at = draft.rng.randint(0, len(draft.body))
    draft.body = draft.body[:at] + garbage + draft.body[at:]
    if draft.rng.random() < 0.3:
        draft.query = draft.rng.choice(PERCENT_GARBAGE) + "=" + draft.rng.choice(PERCENT_GARBAGE)


@_body_mutation
def truncated(draft: Draft) -> None:
    draft.body = draft.body[: draft.rng.randint(0, max(len(draft.body) - 1, 0))]
    if draft.target.protocol == "query":
        # A cut inside the Action may leave another operation's name: ListSubscriptionsByTopic -> ListSubscriptions.
        actions = [value for name, value in decoded_form(draft.body) if name == "Action"]
        named = actions[0] if actions else None
        draft.claimed = named if named in draft.target.model.operation_names else None


@_body_mutation
def garbage_body(draft: Draft) -> None:
    draft.body = draft.rng.choice(
        [draft.rng.randbytes(draft.rng.randint(1, 2000)), b"null", b"[]", b'"x"', b"1", b"<a>", b"\x00" * 64, b" "]
    )


@_body_mutation
def wrong_content_type(draft: Draft) -> None:
    draft.headers = {key: value for key, value in draft.headers.items() if key.lower() != "content-type"}
    chosen = draft.rng.choice(CONTENT_TYPES)
    if chosen:
        draft.headers["Content-Type"] = chosen


@_body_mutation
def no_operation(draft: Draft) -> None:
    """The operation missing, unknown, misspelt, doubled or aimed at another service."""
    rng = draft.rng
    draft.claimed = None
    if draft.target.protocol == "json":
        target = draft.headers.pop("X-Amz-Target", "")
        choice = rng.randrange(5)
        if choice == 1:
            draft.headers["X-Amz-Target"] = target.rsplit(".", 1)[0] + ".NoSuchOperation"
        elif choice == 2:
            draft.headers["X-Amz-Target"] = "Other_20990101." + target.rsplit(".", 1)[-1]
        elif choice == 3:
            draft.headers["X-Amz-Target"] = target.lower()
        elif choice == 4:
            draft.headers["X-Amz-Target"] = rng.choice(["", ".", "..", "\x7f", target + "." + target])
        return
    pairs = [(key, value) for key, value in decoded_form(draft.body) if key != "Action"]
    choice = rng.randrange(4)
    if choice == 1:
        pairs.insert(0, ("Action", "NoSuchAction"))
    elif choice == 2:
        pairs[:0] = [("Action", draft.operation.name), ("Action", "Other")]
    elif choice == 3:
        pairs.insert(0, ("Action", draft.operation.name.lower()))
    if choice == 2:
        draft.claimed = draft.operation.name  # the first one counts
    draft.body = urlencode(pairs).encode()


def decoded_form(body: bytes) -> list[tuple[str, str]]:
    return parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)


@_body_mutation
def wrong_method(draft: Draft) -> None:
    draft.method = draft.rng.choice(["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
    if draft.method == "GET" and draft.target.protocol == "query":
        draft.query, draft.body = draft.body.decode(), b""  # how AWS takes a query request by GET


@_body_mutation
def odd_path(draft: Draft) -> None:
    draft.path = draft.rng.choice(
        ["/%ff", "/../../etc/passwd", "//", "/123456789012/q", "/a%2Fb", "/" + "a" * 5000, "/%00", "/?x"]
    ).replace("?", "%3F")


MUTATIONS: dict[str, Callable[[Draft], None]] = {
    "wrong-type": wrong_type,
    "odd-text": odd_text,
    "too-long": too_long,
    "huge": huge,
    "deep": deep,
    "many": many,
    "missing-required": missing_required,
    "bad-number": bad_numbers,
    "bad-utf8": bad_utf8,
    "bad-percent": bad_percent,
    "truncated": truncated,
    "garbage-body": garbage_body,
    "wrong-content-type": wrong_content_type,
    "no-operation": no_operation,
    "wrong-method": wrong_method,
    "odd-path": odd_path,
}
# How often each mutation is drawn, against "valid" (no mutation). Huge bodies are kept rare: each
# is a megabyte on the wire and in the server.
WEIGHTS: dict[str, float] = {"valid": 25.0, **dict.fromkeys(MUTATIONS, 4.0), "huge": 0.4, "deep": 2.0, "many": 1.0}
