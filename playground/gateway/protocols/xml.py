"""Shape-typed XML, shared by the query, ec2 and rest-xml protocols.

Writing mirrors what botocore's XML response parsers read (output documents); reading mirrors what
botocore's RestXMLSerializer writes (S3 request bodies). The traits honoured: locationName,
flattened lists and maps, a list member's locationName, map key/value locationNames, xmlNamespace,
xmlAttribute and timestampFormat. Scalars: booleans "true"/"false", blobs base64, timestamps
ISO 8601 unless the shape says otherwise.

Untrusted XML is read with expat directly, refusing any DOCTYPE (so no entity can be declared and
no external resource fetched); an undeclared entity reference is then a plain syntax error.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping
from email.utils import formatdate
from typing import Any, NoReturn
from xml.etree.ElementTree import Element, SubElement, TreeBuilder, tostring
from xml.parsers import expat

from botocore.model import Shape
from botocore.utils import parse_timestamp

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# Members carried outside the body (rest protocols); never part of an XML document.
_NON_BODY_LOCATIONS = frozenset({"header", "headers", "querystring", "uri", "statusCode"})
_INTEGER = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|NaN|[+-]?Infinity")


class XmlSyntaxError(ValueError):
    """The document is not well-formed XML, or declares a DOCTYPE (refused outright)."""


class ValueProblem(ValueError):
    """A scalar's text does not fit its shape ("abc" for an integer). Each protocol words its own error."""

    def __init__(self, text: str, shape: Shape) -> None:
        super().__init__(f"{text!r} is not a valid {shape.type_name}")
        self.text = text
        self.shape = shape


# --- scalars -----------------------------------------------------------------------------------


def format_timestamp(value: dt.datetime, fmt: str = "iso8601") -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    value = value.astimezone(dt.UTC)
    fmt = fmt.lower()
    if fmt == "unixtimestamp":
        seconds = calendar.timegm(value.timetuple())
        if value.microsecond:
            return f"{seconds}.{value.microsecond // 1000:03d}"
        return str(seconds)
    if fmt == "rfc822":
        return formatdate(calendar.timegm(value.timetuple()), usegmt=True)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def format_float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(float(value))


def scalar_text(shape: Shape, value: Any) -> str:
    """The text form of a scalar value for an XML element or a query parameter."""
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "blob":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode("ascii")
    if kind == "timestamp":
        if not isinstance(value, dt.datetime):
            value = parse_timestamp(value)
        return format_timestamp(value, shape.serialization.get("timestampFormat", "iso8601"))
    if kind in ("float", "double"):
        return format_float(value)
    if kind in ("integer", "long"):
        return str(int(value))
    return str(value)


def parse_scalar(shape: Shape, text: str) -> Any:
    """A scalar value from its text form; raises ValueProblem when the text does not fit."""
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            if not _INTEGER.fullmatch(text.strip()):
                raise ValueError(text)
            return int(text.strip())
        if kind in ("float", "double"):
            if not _FLOAT.fullmatch(text.strip()):
                raise ValueError(text)
            return float(text.strip())
        if kind == "boolean":
            lowered = text.strip().lower()
            if lowered not in ("true", "false"):
                raise ValueError(text)
            return lowered == "true"
        if kind == "blob":
            return base64.b64decode("".join(text.split()), validate=True)
        if kind == "timestamp":
            return parse_timestamp(text.strip()).astimezone(dt.UTC)
    except (ValueError, TypeError, OverflowError, binascii.Error) as exc:
        raise ValueProblem(text, shape) from exc
    return text


# --- names -------------------------------------------------------------------------------------


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def body_members(shape: Shape) -> Iterator[tuple[str, Shape]]:
    for name, member in shape.members.items():
        if member.serialization.get("location") not in _NON_BODY_LOCATIONS:
            yield name, member


def output_tag(member: Shape, member_name: str) -> str:
    """The element name a response member is written under (botocore's parser reads the same)."""
    if member.type_name == "list" and member.serialization.get("flattened"):
        item_name = member.member.serialization.get("name")
        if item_name:
            return str(item_name)
    return str(member.serialization.get("name", member_name))


def add_namespace(shape: Shape, node: Element) -> None:
    namespace = shape.serialization.get("xmlNamespace")
    if isinstance(namespace, str):
        node.set("xmlns", namespace)
    elif isinstance(namespace, Mapping) and namespace.get("uri"):
        prefix = namespace.get("prefix")
        node.set(f"xmlns:{prefix}" if prefix else "xmlns", namespace["uri"])


# --- writing -----------------------------------------------------------------------------------


def write_members(node: Element, shape: Shape, value: Mapping[str, Any]) -> None:
    """Write a structure's members (those present, body members only) as children of node."""
    members = shape.members
    for name, item in value.items():
        member = members.get(name)
        if member is None or item is None:
            continue
        if member.serialization.get("location") in _NON_BODY_LOCATIONS:
            continue
        if member.serialization.get("xmlAttribute"):
            node.set(member.serialization["name"], scalar_text(member, item))
            continue
        write_value(node, member, item, output_tag(member, name))


def write_value(parent: Element, shape: Shape, value: Any, tag: str) -> None:
    """Append value under parent as element(s) named tag (several for flattened lists and maps)."""
    kind = shape.type_name
    if kind == "structure":
        node = SubElement(parent, tag)
        add_namespace(shape, node)
        write_members(node, shape, value)
    elif kind == "list":
        if shape.serialization.get("flattened"):
            for item in value:
                write_value(parent, shape.member, item, tag)
            return
        node = SubElement(parent, tag)
        add_namespace(shape, node)
        item_tag = shape.member.serialization.get("name", "member")
        for item in value:
            write_value(node, shape.member, item, item_tag)
    elif kind == "map":
        key_tag = shape.key.serialization.get("name", "key")
        value_tag = shape.value.serialization.get("name", "value")
        flattened = shape.serialization.get("flattened")
        container = parent if flattened else SubElement(parent, tag)
        if not flattened:
            add_namespace(shape, container)
        for key, item in value.items():
            entry = SubElement(container, tag if flattened else "entry")
            write_value(entry, shape.key, key, key_tag)
            write_value(entry, shape.value, item, value_tag)
    else:
        node = SubElement(parent, tag)
        add_namespace(shape, node)
        node.text = scalar_text(shape, value)


# Characters XML 1.0 cannot carry at all, not even as references: U+0000, most C0 controls,
# lone surrogates, U+FFFE/U+FFFF. They can only come from echoing user input; they become U+FFFD.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def to_bytes(root: Element) -> bytes:
    # ElementTree leaves a carriage return in text as is, and every XML reader turns it into a line
    # feed; as a character reference it survives. Markup never holds one, so replacing all is safe.
    text = tostring(root, encoding="unicode").replace("\r", "&#13;")
    return XML_DECLARATION + _NOT_XML.sub("\ufffd", text).encode("utf-8")


def text_element(parent: Element, tag: str, text: str) -> Element:
    node = SubElement(parent, tag)
    node.text = text
    return node


# --- reading -----------------------------------------------------------------------------------


def parse_document(data: bytes) -> Element:
    """Parse untrusted XML. Refuses DOCTYPEs (hence entity declarations); raises XmlSyntaxError."""
    builder = TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def qualified(name: str) -> str:
        return "{" + name if "}" in name else name

    def start(name: str, attributes: dict[str, str]) -> None:
        builder.start(qualified(name), {qualified(key): value for key, value in attributes.items()})

    def refuse(*_args: Any) -> NoReturn:
        raise XmlSyntaxError("DOCTYPE and entity declarations are not allowed")

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: builder.end(qualified(name))
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    try:
        parser.Parse(data, True)
        return builder.close()
    except expat.ExpatError as exc:
        raise XmlSyntaxError(str(exc)) from exc
    except AssertionError as exc:  # TreeBuilder found no root element
        raise XmlSyntaxError("no root element") from exc


def _children(node: Element, tag: str) -> list[Element]:
    return [child for child in node if local_name(child.tag) == tag]


def _attribute(node: Element, name: str) -> str | None:
    if name in node.attrib:
        return node.attrib[name]
    wanted = name.rsplit(":", 1)[-1]
    for key, value in node.attrib.items():
        if key.startswith("{") and local_name(key) == wanted:
            return value
    return None


def read_members(node: Element, shape: Shape) -> dict[str, Any]:
    """A structure's body members from node's children, as botocore's RestXMLSerializer writes them."""
    result: dict[str, Any] = {}
    for name, member in body_members(shape):
        tag = member.serialization.get("name", name)
        if member.serialization.get("xmlAttribute"):
            text = _attribute(node, tag)
            if text is not None:
                result[name] = parse_scalar(member, text)
            continue
        flattened = member.type_name in ("list", "map") and member.serialization.get("flattened")
        if flattened:
            found = _children(node, tag)
            if not found and member.type_name == "list" and member.member.serialization.get("name"):
                found = _children(node, member.member.serialization["name"])
            if found:
                result[name] = _read_flattened(found, member)
            continue
        children = _children(node, tag)
        if children:
            result[name] = read_value(children[0], member)
    return result


def _read_flattened(nodes: list[Element], shape: Shape) -> Any:
    if shape.type_name == "list":
        return [read_value(node, shape.member) for node in nodes]
    return dict(_read_entry(node, shape) for node in nodes)


def _read_entry(node: Element, shape: Shape) -> tuple[Any, Any]:
    key_tag = shape.key.serialization.get("name", "key")
    value_tag = shape.value.serialization.get("name", "value")
    keys, values = _children(node, key_tag), _children(node, value_tag)
    key = read_value(keys[0], shape.key) if keys else ""
    return key, (read_value(values[0], shape.value) if values else None)


def read_value(node: Element, shape: Shape) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return read_members(node, shape)
    if kind == "list":
        item_tag = shape.member.serialization.get("name", "member")
        return [read_value(child, shape.member) for child in _children(node, item_tag)]
    if kind == "map":
        return dict(_read_entry(child, shape) for child in _children(node, "entry"))
    return parse_scalar(shape, node.text or "")
