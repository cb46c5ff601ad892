"""The EC2 protocol: the query protocol's form input with EC2's naming, and EC2's own XML envelopes.

Input keys mirror botocore's EC2Serializer: a member's queryName, else its locationName with the
first letter capitalised, else its name; every list is `Name.N` (no `.member`, empty lists are not
sent). Output is `<OperationResponse xmlns=...><requestId/>members</OperationResponse>`, members
under their (lower camel case) locationNames; errors are `<Response><Errors><Error>...`.

LIMITATIONS against real AWS:
- Unknown parameters are ignored rather than refused with UnknownParameter.
"""

from __future__ import annotations

from typing import Any, ClassVar
from xml.etree.ElementTree import Element, SubElement

from botocore.model import OperationModel, ServiceModel, Shape

from playground.gateway import errors
from playground.gateway.errors import AwsError
from playground.gateway.protocols.query import (
    ParamNode,
    QueryDecoder,
    QueryProtocol,
    error_shape,
    wire_code,
    write_error_fields,
)
from playground.gateway.protocols.xml import ValueProblem, text_element, to_bytes, write_members
from playground.gateway.request import HttpResponse

EC2_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"


class Ec2Decoder(QueryDecoder):
    def name(self, shape: Shape, default: str) -> str:
        serialization = shape.serialization
        if "queryName" in serialization:
            return str(serialization["queryName"])
        if "name" in serialization:
            location = str(serialization["name"])
            return location[:1].upper() + location[1:]
        return default

    def member_path(self, path: str, member_name: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    def item_path(self, path: str, index: int) -> str:
        return f"{path}.{index}"

    def read_list(self, parent: ParamNode, key: str, shape: Shape, path: str) -> tuple[bool, Any]:
        node = parent.children.get(key)
        if node is None or not node.indexed():
            return False, None
        return True, self.read_items(node, shape.member, path)


class Ec2Protocol(QueryProtocol):
    name: ClassVar[str] = "ec2"
    decoder_class: ClassVar[type[QueryDecoder]] = Ec2Decoder

    def invalid_value(self, path: str, problem: ValueProblem) -> AwsError:
        expected = {"integer": "an integer", "long": "an integer", "boolean": "a boolean"}
        what = expected.get(problem.shape.type_name, f"a {problem.shape.type_name}")
        return errors.InvalidParameterValue(f"Value ({problem.text}) for parameter {path} is invalid. Expected {what}.")

    def namespace(self, service: ServiceModel) -> str:
        namespace = str(service.metadata.get("xmlNamespace") or EC2_NAMESPACE)
        return namespace if namespace.endswith("/") else namespace + "/"

    def serialize(self, operation: OperationModel, output: dict[str, Any], *, request_id: str) -> HttpResponse:
        root = Element(f"{operation.name}Response", xmlns=self.namespace(operation.service_model))
        text_element(root, "requestId", request_id)
        shape = operation.output_shape
        if shape is not None:
            write_members(root, shape, output)
        else:
            # EC2 answers an action without output with `<return>true</return>`.
            text_element(root, "return", "true")
        return HttpResponse(200, {"Content-Type": "text/xml;charset=UTF-8"}, to_bytes(root))

    def serialize_error(
        self, service: ServiceModel, operation: OperationModel | None, error: AwsError, *, request_id: str
    ) -> HttpResponse:
        shape = error_shape(service, error.code)
        root = Element("Response")
        node = SubElement(SubElement(root, "Errors"), "Error")
        text_element(node, "Code", wire_code(service, error.code, shape))
        text_element(node, "Message", error.message)
        write_error_fields(node, shape, error.fields)
        text_element(root, "RequestID", request_id)
        headers = {"Content-Type": "text/xml;charset=UTF-8", **error.headers}
        return HttpResponse(error.status, headers, to_bytes(root))
