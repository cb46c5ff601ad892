"""Wire protocols, one module each, chosen per request by `detect`.

An API may be spoken in several protocols: those its current botocore model lists, and those of
its client generations (generations.py). `detect` picks one by what the request itself carries;
no protocol module knows any service.
"""

from __future__ import annotations

import re
from functools import cache

from botocore.model import ServiceModel

from playground.gateway.protocols.base import Protocol
from playground.gateway.request import AwsRequest
from playground.gateway.specs import protocols, wire_models


@cache
def get_protocol(name: str) -> Protocol:
    if name == "json":
        from playground.gateway.protocols.json import JsonProtocol

        return JsonProtocol()
    if name == "query":
        from playground.gateway.protocols.query import QueryProtocol

        return QueryProtocol()
    if name == "ec2":
        from playground.gateway.protocols.ec2 import Ec2Protocol

        return Ec2Protocol()
    if name == "smithy-rpc-v2-cbor":
        from playground.gateway.protocols.cbor import CborProtocol

        return CborProtocol()
    if name == "json-cbor":
        from playground.gateway.protocols.json_cbor import JsonCborProtocol

        return JsonCborProtocol()
    if name == "rest-json":
        from playground.gateway.protocols.rest import RestJsonProtocol

        return RestJsonProtocol()
    if name == "rest-xml":
        from playground.gateway.protocols.rest_xml import RestXmlProtocol

        return RestXmlProtocol()
    raise LookupError(f"unknown protocol {name}")


FORM = "application/x-www-form-urlencoded"
RPC_V2_ROUTE = re.compile(r"/service/[^/]+/operation/[^/]+$")


def marks(request: AwsRequest) -> list[str]:
    """The protocols the request's own marks point to, the most specific first. A rest request
    carries none of them (its route and Content-Type are the operation's own)."""
    ctype = request.content_type
    headers = request.headers
    found = []
    # A CBOR body alone marks RPC v2 only on its route: POST / with X-Amz-Target is a JSON request
    # whatever its Content-Type says, and is answered in JSON.
    if headers.get("smithy-protocol") == "rpc-v2-cbor" or (
        ctype == "application/cbor" and RPC_V2_ROUTE.search(request.path)
    ):
        found.append("smithy-rpc-v2-cbor")
    if ctype.startswith("application/x-amz-cbor-"):
        found.append("json-cbor")
    if "x-amz-target" in headers or ctype.startswith("application/x-amz-json-"):
        found.append("json")
    if ctype == FORM or "Action=" in request.query_string:
        found.extend(("query", "ec2"))
    return found


def detect(service: ServiceModel, request: AwsRequest) -> tuple[ServiceModel, Protocol]:
    """Which of the API's wire forms this request speaks, and the model to read it with.

    The first of the request's marks that the API offers wins (CloudWatch offers rpc-v2-cbor, json
    and query in its current model; SQS adds the query form of its older generation). A request
    with no mark the API offers is read in the current model's query protocol when it lists one,
    else its first: its answer, an error most likely, is in the form today's clients read.
    """
    offered = wire_models(service.service_name)
    for name in marks(request):
        if name in offered:
            return offered[name], get_protocol(name)
    current = protocols(service)
    name = "query" if "query" in current else current[0]
    return service, get_protocol(name)


def fallback(request: AwsRequest) -> tuple[ServiceModel, Protocol]:
    """For a request naming no API the gateway knows: the protocol its marks point to (rest-xml
    for an S3-style signed payload, else rest-json) and a model of no operations that speaks it,
    enough to write an error the sending SDK can read."""
    found = marks(request)
    if found:
        name = found[0]
    elif "x-amz-content-sha256" in request.headers or request.headers.get("authorization", "").startswith("AWS "):
        name = "rest-xml"  # S3's marks: its payload hash header, its retired SigV2 "AWS key:signature"
    else:
        name = "rest-json"
    version = _JSON_VERSION.search(request.content_type)
    return protocol_only_model(name, version[1] if version else "1.0"), get_protocol(name)


_JSON_VERSION = re.compile(r"^application/x-amz-(?:json|cbor)-(1\.[01])$")


@cache
def protocol_only_model(protocol: str, json_version: str = "1.0") -> ServiceModel:
    """A model with no operations and no shapes that speaks `protocol`."""
    metadata = {
        "protocol": protocol,
        "protocols": [protocol],
        "jsonVersion": json_version,
        "targetPrefix": "",
        "endpointPrefix": "aws",
        "apiVersion": "",
        "serviceId": "Unknown",
        "xmlNamespace": "https://aws.amazon.com/doc/",
    }
    return ServiceModel({"metadata": metadata, "operations": {}, "shapes": {}}, service_name="unknown")
