"""Wire protocols, one module each, chosen per request by `detect`."""

from __future__ import annotations

from functools import cache

from botocore.model import ServiceModel

from playground.gateway.protocols.base import Protocol
from playground.gateway.request import AwsRequest
from playground.gateway.specs import protocols


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
    if name == "rest-json":
        from playground.gateway.protocols.rest import RestJsonProtocol

        return RestJsonProtocol()
    if name == "rest-xml":
        from playground.gateway.protocols.rest_xml import RestXmlProtocol

        return RestXmlProtocol()
    raise LookupError(f"unknown protocol {name}")


def detect(service: ServiceModel, request: AwsRequest) -> Protocol:
    """Which of the service's protocols this request speaks (SQS takes json and query; CloudWatch
    takes smithy-rpc-v2-cbor, json and query)."""
    supported = protocols(service)
    ctype = request.content_type
    headers = request.headers
    if (
        "awsQueryCompatible" in service.metadata
        and "query" not in supported
        and (ctype == "application/x-www-form-urlencoded" or "Action=" in request.query_string)
    ):
        # SQS's model now lists only json, but older SDKs still post query forms to it.
        return get_protocol("query")
    if len(supported) == 1:
        return get_protocol(supported[0])
    if "smithy-rpc-v2-cbor" in supported and (
        headers.get("smithy-protocol") == "rpc-v2-cbor" or ctype == "application/cbor"
    ):
        return get_protocol("smithy-rpc-v2-cbor")
    if "json" in supported and ("x-amz-target" in headers or ctype.startswith("application/x-amz-json")):
        return get_protocol("json")
    if "query" in supported:
        return get_protocol("query")
    return get_protocol(supported[0])
