"""The AWS query protocol: form-encoded parameters in, XML out (STS, SNS, Redshift, Elastic Beanstalk,
IAM, CloudWatch's third protocol, and the query generation of APIs that moved off it, such as SQS).

Input keys mirror botocore's QuerySerializer: `A.B` for nested structures, `Name.member.N` for lists
(`Name.N` when flattened, with the list member's locationName replacing the last segment),
`Name.entry.N.key/value` for maps (`Name.N.key/value` when flattened, with the model's key/value
locationNames). Values are typed by the input shape; a value that does not fit its shape is a 400.
Output and error names come from the model too: an API whose current botocore model no longer
speaks query is read and answered with its query generation's model (generations.py), so an old
client gets the element names and error codes its own model has (`<Message>`,
`AWS.SimpleQueueService.NonExistentQueue`).

LIMITATIONS against real AWS:
- Unknown parameters are ignored rather than refused.
- A request that names its queue (or other resource) only through the request path
  (`POST /123456789012/q`, as some SDKs allow) gets no parameter filled in from the path.
- An operation added to the API after its query generation has no query names of its own; it is
  read and answered with the member names botocore's serializer derives."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any, ClassVar
from xml.etree.ElementTree import Element, SubElement

from botocore.model import OperationModel, ServiceModel, Shape

from playground.gateway import errors
from playground.gateway.errors import AwsError
from playground.gateway.protocols.base import Protocol
from playground.gateway.protocols.xml import ValueProblem, parse_scalar, text_element, to_bytes, write_members
from playground.gateway.request import AwsRequest, HttpResponse

# Error members carried by the envelope itself, never repeated as modeled fields.
_ENVELOPE_FIELDS = frozenset({"code", "message", "type"})


# --- reading the parameters --------------------------------------------------------------------


def form_params(request: AwsRequest) -> list[tuple[str, str]]:
    """The form body's parameters followed by the query string's (AWS accepts both, GET or POST)."""
    params: list[tuple[str, str]] = []
    if request.body and request.content_type in ("", "application/x-www-form-urlencoded"):
        params.extend(parse_form(request.body))
    params.extend(request.query)
    return params


_ESCAPED_RUN = re.compile(rb"(?:%[0-9A-Fa-f]{2})+")


def _unquote_plus(raw: bytes) -> str:
    """Percent-decode one form field as parse_qsl does, but a run of escapes at a time: urllib
    decodes escape by escape in Python, so a megabyte of non-ASCII text held a thread for seconds."""
    raw = raw.replace(b"+", b" ")
    if b"%" in raw:
        raw = _ESCAPED_RUN.sub(lambda run: bytes.fromhex(run[0].replace(b"%", b"").decode("ascii")), raw)
    return raw.decode("utf-8", errors="replace")


def parse_form(body: bytes) -> list[tuple[str, str]]:
    """An application/x-www-form-urlencoded body as (name, value) pairs: what
    parse_qsl(body, keep_blank_values=True) gives, invalid UTF-8 replaced by U+FFFD."""
    pairs = []
    for field in body.split(b"&"):
        if field:
            name, _, value = field.partition(b"=")
            pairs.append((_unquote_plus(name), _unquote_plus(value)))
    return pairs


def action_of(service: ServiceModel, params: Iterable[tuple[str, str]]) -> OperationModel:
    action = next((value for key, value in params if key == "Action"), None)
    if not action:
        raise AwsError("No action was supplied with this request.", code="MissingAction", status=400)
    if action not in service.operation_names:
        raise errors.InvalidAction(f"The action {action} is not valid for this web service.")
    return service.operation_model(action)


class ParamNode:
    """One dotted-key segment: `Tags.member.1.Key=v` becomes Tags -> member -> 1 -> Key (value v)."""

    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.value: str | None = None
        self.children: dict[str, ParamNode] = {}

    @classmethod
    def build(cls, params: Iterable[tuple[str, str]]) -> ParamNode:
        root = cls()
        for key, value in params:
            node = root
            for part in key.split("."):
                child = node.children.get(part)
                if child is None:
                    child = node.children[part] = cls()
                node = child
            if node.value is None:  # the first occurrence wins: the body over the query string
                node.value = value
        return root

    def indexed(self) -> list[tuple[int, ParamNode]]:
        """The children named 1, 2, 3 ... in numeric order (list elements and map entries)."""
        return sorted((int(key), child) for key, child in self.children.items() if key.isascii() and key.isdigit())


class QueryDecoder:
    """Typed parameters from a ParamNode tree, mirroring botocore's QuerySerializer. Paths name a
    value in error messages the way the protocol's errors do (query: `tags.1.member.key`)."""

    def __init__(self, protocol: QueryProtocol) -> None:
        self.protocol = protocol

    def name(self, shape: Shape, default: str) -> str:
        return str(shape.serialization.get("name", default))

    def member_path(self, path: str, member_name: str, key: str) -> str:
        camel = member_name[:1].lower() + member_name[1:]
        return f"{path}.{camel}" if path else camel

    def item_path(self, path: str, index: int) -> str:
        return f"{path}.{index}.member"

    def read_structure(self, node: ParamNode, shape: Shape, path: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for member_name, member in shape.members.items():
            key = self.name(member, member_name)
            found, value = self.read_value(node, key, member, self.member_path(path, member_name, key))
            if found:
                result[member_name] = value
        return result

    def read_value(self, parent: ParamNode, key: str, shape: Shape, path: str) -> tuple[bool, Any]:
        kind = shape.type_name
        if kind == "list":
            return self.read_list(parent, key, shape, path)
        node = parent.children.get(key)
        if node is None:
            return False, None
        if kind == "structure":
            return True, self.read_structure(node, shape, path)
        if kind == "map":
            return True, self.read_map(node, shape, path)
        if node.value is None:
            return False, None
        try:
            return True, parse_scalar(shape, node.value)
        except ValueProblem as problem:
            raise self.protocol.invalid_value(path, problem) from None

    def read_list(self, parent: ParamNode, key: str, shape: Shape, path: str) -> tuple[bool, Any]:
        node = parent.children.get(key)
        item_name = shape.member.serialization.get("name")
        if shape.serialization.get("flattened"):
            # A flattened list's member locationName replaces the member's own name (botocore does so).
            items = parent.children.get(item_name) if item_name else node
        else:
            items = node.children.get(item_name or "member") if node is not None else None
        if items is None or not items.indexed():
            if node is not None and node.value == "":  # botocore's form of an empty list: `Name=`
                return True, []
            return False, None
        return True, self.read_items(items, shape.member, path)

    def read_items(self, items: ParamNode, member: Shape, path: str) -> list[Any]:
        result = []
        for index, _child in items.indexed():
            found, item = self.read_value(items, str(index), member, self.item_path(path, index))
            if found:  # `Name.member.1.x=` names no value for a scalar list: dropped, as a JSON null is
                result.append(item)
        return result

    def read_map(self, node: ParamNode, shape: Shape, path: str) -> dict[Any, Any]:
        entries = node if shape.serialization.get("flattened") else node.children.get("entry")
        key_name, value_name = self.name(shape.key, "key"), self.name(shape.value, "value")
        result: dict[Any, Any] = {}
        for index, entry in entries.indexed() if entries is not None else []:
            has_key, key = self.read_value(entry, key_name, shape.key, f"{path}.{index}.{key_name}")
            if has_key:
                has_value, value = self.read_value(entry, value_name, shape.value, f"{path}.{key}.member")
                if has_value:  # an entry without its value is dropped, as a JSON null is
                    result[key] = value
        return result


# --- errors ------------------------------------------------------------------------------------


@cache
def _error_shapes(service: ServiceModel) -> dict[str, Shape]:
    return {shape.name: shape for shape in service.error_shapes}


def error_shape(service: ServiceModel, code: str) -> Shape | None:
    """The modeled error shape an AwsError names, by shape name (the provider's) or by wire code."""
    shape = _error_shapes(service).get(code)
    if shape is not None:
        return shape
    return service.shape_for_error_code(code)


def wire_code(service: ServiceModel, code: str, shape: Shape | None) -> str:
    """The code a query client expects: the model's error.code, else the shape's name."""
    if shape is None:
        return code
    modeled = (shape.metadata.get("error") or {}).get("code")
    return str(modeled) if modeled else shape.name


def write_error_fields(node: Element, shape: Shape | None, fields: dict[str, Any]) -> None:
    if shape is None or not fields:
        return
    write_members(node, shape, {key: value for key, value in fields.items() if key.lower() not in _ENVELOPE_FIELDS})


# --- the protocol ------------------------------------------------------------------------------


class QueryProtocol(Protocol):
    name: ClassVar[str] = "query"
    decoder_class: ClassVar[type[QueryDecoder]] = QueryDecoder

    def operation(self, service: ServiceModel, request: AwsRequest) -> OperationModel:
        return action_of(service, form_params(request))

    def parse(self, operation: OperationModel, request: AwsRequest) -> dict[str, Any]:
        shape = operation.input_shape
        if shape is None:
            return {}
        tree = ParamNode.build(form_params(request))
        return self.decoder_class(self).read_structure(tree, shape, "")

    def invalid_value(self, path: str, problem: ValueProblem) -> AwsError:
        expected = {"boolean": "a boolean", "timestamp": "a timestamp", "blob": "base64-encoded binary data"}
        what = expected.get(problem.shape.type_name, "a number")
        return errors.ValidationError(
            f"1 validation error detected: Value '{problem.text}' at '{path}' failed to satisfy constraint: "
            f"Member must be {what}"
        )

    def namespace(self, service: ServiceModel) -> str:
        metadata = service.metadata
        return str(
            metadata.get("xmlNamespace")
            or f"https://{metadata['endpointPrefix']}.amazonaws.com/doc/{metadata['apiVersion']}/"
        )

    def serialize(self, operation: OperationModel, output: dict[str, Any], *, request_id: str) -> HttpResponse:
        root = Element(f"{operation.name}Response", xmlns=self.namespace(operation.service_model))
        shape = operation.output_shape
        if shape is not None:
            # Every query model names its operations' result wrappers; an operation without one (added
            # to the API after its query generation) takes the same `<Operation>Result` convention.
            wrapper = SubElement(root, shape.serialization.get("resultWrapper") or f"{operation.name}Result")
            write_members(wrapper, shape, output)
        metadata = SubElement(root, "ResponseMetadata")
        text_element(metadata, "RequestId", request_id)
        return HttpResponse(200, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, to_bytes(root))

    def serialize_error(
        self, service: ServiceModel, operation: OperationModel | None, error: AwsError, *, request_id: str
    ) -> HttpResponse:
        shape = error_shape(service, error.code)
        root = Element("ErrorResponse", xmlns=self.namespace(service))
        node = SubElement(root, "Error")
        text_element(node, "Type", "Sender" if error.sender_fault and error.status < 500 else "Receiver")
        text_element(node, "Code", wire_code(service, error.code, shape))
        if error.message:
            text_element(node, "Message", error.message)
        write_error_fields(node, shape, error.fields)
        text_element(root, "RequestId", request_id)
        headers = {"Content-Type": "text/xml", "x-amzn-RequestId": request_id, **error.headers}
        return HttpResponse(error.status, headers, to_bytes(root))
