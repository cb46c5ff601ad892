"""rest-xml (S3) against botocore's RestXMLSerializer and RestXMLParser, plus the S3 specifics:
error documents, root elements, virtual-hosted addressing, aws-chunked bodies and hostile XML."""

from __future__ import annotations

import io
from typing import Any

import pytest
from botocore.awsrequest import HeadersDict
from botocore.model import OperationModel, Shape
from botocore.parsers import create_parser
from botocore.response import StreamingBody

from playground.gateway.errors import AwsError
from playground.gateway.protocols.rest_xml import RestXmlProtocol, bucket_from_host
from playground.gateway.protocols.xml import parse_document
from playground.gateway.request import AwsRequest, HttpResponse
from playground.gateway.specs import service_model
from tests.gateway.shapegen import ShapeGen
from tests.gateway.test_protocol_query import (
    VARIANTS,
    assert_exception_class,
    botocore_request,
    error_status,
    generate,
    operation_ids,
)

S3 = service_model("s3")
PROTOCOL = RestXmlProtocol()
OPERATIONS = (
    "CreateBucket",
    "DeleteBucket",
    "ListBuckets",
    "HeadBucket",
    "PutObject",
    "GetObject",
    "HeadObject",
    "DeleteObject",
    "DeleteObjects",
    "ListObjects",
    "ListObjectsV2",
    "CopyObject",
    "PutBucketNotificationConfiguration",
    "GetBucketNotificationConfiguration",
    "PutBucketPolicy",
    "GetBucketPolicy",
    "PutBucketTagging",
    "GetBucketTagging",
    "CreateMultipartUpload",
    "CompleteMultipartUpload",
    "GetBucketLocation",
    "PutBucketAcl",
    "GetBucketAcl",
)


def s3_parse(operation: OperationModel, response: HttpResponse, shape: Shape | None = None) -> dict[str, Any]:
    """What botocore's S3 client makes of the response (a streaming body is handed over unread)."""
    body: Any = response.body
    if response.status < 300 and operation.has_streaming_output:
        body = StreamingBody(io.BytesIO(response.body), len(response.body))
    raw = {"status_code": response.status, "headers": HeadersDict(response.headers), "body": body}
    parsed = create_parser("rest-xml").parse(raw, shape if shape is not None else operation.output_shape)
    parsed.pop("ResponseMetadata", None)
    return {key: value.read() if isinstance(value, StreamingBody) else value for key, value in parsed.items()}


def as_xml_reads(shape: Shape | None, value: Any, *, in_body: bool = False) -> Any:
    """value as any XML reader sees it: botocore writes a carriage return in body text raw, and XML
    reads a raw one as a line feed (S3 itself would see the same)."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        result = {}
        for name, item in value.items():
            member = shape.members[name]
            body = in_body or member.serialization.get("location") is None
            raw = member.type_name in ("blob", "string") and name == shape.serialization.get("payload")
            result[name] = item if raw else as_xml_reads(member, item, in_body=body)
        return result
    if kind == "list":
        return [as_xml_reads(shape.member, item, in_body=in_body) for item in value]
    if kind == "map":
        return {key: as_xml_reads(shape.value, item, in_body=in_body) for key, item in value.items()}
    if kind == "string" and in_body and isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("service", "name"), operation_ids(("s3",), OPERATIONS))
def test_botocore_request_parses_back_to_its_parameters(service: str, name: str, variant: str) -> None:
    operation = S3.operation_model(name)
    params = generate(operation.input_shape, len(name), variant)
    request = botocore_request("rest-xml", operation, params)
    assert PROTOCOL.operation(S3, request).name == name
    expected = as_xml_reads(operation.input_shape, params)
    if "ContentLength" in operation.input_shape.members and "content-length" in request.headers:
        expected["ContentLength"] = int(request.headers["content-length"])  # the HTTP layer sets it
    assert PROTOCOL.parse(operation, request) == expected


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("service", "name"), operation_ids(("s3",), OPERATIONS))
def test_output_reads_back_through_botocore(service: str, name: str, variant: str) -> None:
    operation = S3.operation_model(name)
    output = generate(operation.output_shape, len(name) + 1, variant)
    response = PROTOCOL.serialize(operation, output, request_id="req-1")
    assert response.headers["x-amz-request-id"] == "req-1"
    if name == "GetBucketLocation":
        # botocore reads this one document by hand (handlers.parse_get_bucket_location).
        assert parse_document(response.body).text == output.get("LocationConstraint")
        return
    assert s3_parse(operation, response) == {**botocore_fills(operation, response), **output}


def botocore_fills(operation: OperationModel, response: HttpResponse) -> dict[str, Any]:
    """What botocore reports for members the provider left out: the Content-Type header, an empty
    header map, and an empty payload of the payload's type."""
    shape = operation.output_shape
    filled: dict[str, Any] = {}
    for member_name, member in shape.members.items() if shape is not None else ():
        location = member.serialization.get("location")
        if location == "header" and member.serialization.get("name", "").lower() == "content-type":
            if "Content-Type" in response.headers:
                filled[member_name] = response.headers["Content-Type"]
        elif location == "headers":
            filled[member_name] = {}
        elif member_name == shape.serialization.get("payload"):
            filled[member_name] = {"blob": b"", "string": ""}.get(member.type_name, {})
    return filled


@pytest.mark.parametrize("shape", S3.error_shapes, ids=lambda shape: shape.name)
def test_modeled_error_raises_its_exception_class(shape: Shape) -> None:
    fields = {key: value for key, value in ShapeGen(5).value(shape).items() if key not in ("Code", "Message")}
    error = AwsError("it went wrong", code=shape.name, status=error_status(shape), fields=fields)
    operation = S3.operation_model("GetObject")
    response = PROTOCOL.serialize_error(S3, operation, error, request_id="req-2")
    assert response.status == error_status(shape)
    assert response.headers["x-amz-request-id"] == "req-2"

    raw = {"status_code": response.status, "headers": HeadersDict(response.headers), "body": response.body}
    parsed = create_parser("rest-xml").parse(raw, operation.output_shape)
    assert parsed["Error"]["Code"] == shape.name
    assert parsed["Error"]["Message"] == "it went wrong"
    assert parsed["ResponseMetadata"]["RequestId"] == "req-2"
    assert_exception_class("s3", parsed["Error"]["Code"], shape.name)
    assert s3_parse(operation, response, shape) == fields


# --- S3 specifics ------------------------------------------------------------------------------


def s3_request(method: str, path: str, body: bytes = b"", *, query: str = "", **headers: str) -> AwsRequest:
    return AwsRequest.build(
        method=method, raw_path=path, query_string=query, headers=headers, body=body, host="localhost:8000"
    )


def test_error_document_shape() -> None:
    error = AwsError("The specified key does not exist.", code="NoSuchKey", status=404, fields={"Key": "a/b"})
    response = PROTOCOL.serialize_error(S3, None, error, request_id="4442587FB7D0A2F9")
    body = response.body.decode()
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>')
    assert "<Message>The specified key does not exist.</Message><Key>a/b</Key>" in body
    assert "<RequestId>4442587FB7D0A2F9</RequestId><HostId>" in body
    assert response.headers["x-amz-request-id"] == "4442587FB7D0A2F9"
    assert response.headers["x-amz-id-2"]
    assert response.headers["Content-Type"] == "application/xml"


def test_output_root_element_and_namespace() -> None:
    operation = S3.operation_model("ListBuckets")
    response = PROTOCOL.serialize(operation, {"Buckets": [{"Name": "b1"}]}, request_id="r")
    assert b'<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' in response.body
    assert b"<Buckets><Bucket><Name>b1</Name></Bucket></Buckets>" in response.body


def test_payload_structure_is_rooted_at_its_location_name() -> None:
    operation = S3.operation_model("CopyObject")
    response = PROTOCOL.serialize(operation, {"CopyObjectResult": {"ETag": '"e1"'}}, request_id="r")
    assert b'<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ETag>"e1"</ETag>' in response.body


def test_malformed_xml_is_a_400() -> None:
    request = s3_request("PUT", "/bucket", b"<Tagging><TagSet><Tag>", query="tagging")
    operation = PROTOCOL.operation(S3, request)
    assert operation.name == "PutBucketTagging"
    with pytest.raises(AwsError) as caught:
        PROTOCOL.parse(operation, request)
    assert (caught.value.code, caught.value.status) == ("MalformedXML", 400)


@pytest.mark.parametrize(
    "document",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        b"<Tagging><TagSet><Tag><Key>&lol2;</Key><Value>v</Value></Tag></TagSet></Tagging>",
        b'<!DOCTYPE Tagging SYSTEM "file:///etc/passwd"><Tagging><TagSet/></Tagging>',
        b"<Tagging><TagSet><Tag><Key>&undeclared;</Key><Value>v</Value></Tag></TagSet></Tagging>",
    ],
    ids=["internal-entities", "external-dtd", "undeclared-entity"],
)
def test_doctype_and_entities_are_refused(document: bytes) -> None:
    request = s3_request("PUT", "/bucket", document, query="tagging")
    with pytest.raises(AwsError) as caught:
        PROTOCOL.parse(PROTOCOL.operation(S3, request), request)
    assert (caught.value.code, caught.value.status) == ("MalformedXML", 400)


def test_namespaced_request_body_is_read() -> None:
    body = (
        b'<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>'
        b"<Tag><Key>k&amp;1</Key><Value>v1</Value></Tag><Tag><Key>k2</Key><Value></Value></Tag>"
        b"</TagSet></Tagging>"
    )
    request = s3_request("PUT", "/bucket", body, query="tagging")
    params = PROTOCOL.parse(PROTOCOL.operation(S3, request), request)
    assert params == {
        "Bucket": "bucket",
        "Tagging": {"TagSet": [{"Key": "k&1", "Value": "v1"}, {"Key": "k2", "Value": ""}]},
    }


def test_virtual_hosted_style_routes_to_the_bucket() -> None:
    assert bucket_from_host("my.bucket.localhost:8000") == "my.bucket"
    assert bucket_from_host("logs.s3.eu-west-1.amazonaws.com") == "logs"
    assert bucket_from_host("localhost:8000") is None
    assert bucket_from_host("127.0.0.1:8000") is None
    request = AwsRequest.build(method="GET", raw_path="/photos/cat.jpg", host="media.localhost:8000")
    operation = PROTOCOL.operation(S3, request)
    assert operation.name == "GetObject"
    assert PROTOCOL.parse(operation, request) == {"Bucket": "media", "Key": "photos/cat.jpg"}
    listing = AwsRequest.build(method="GET", raw_path="/", query_string="list-type=2", host="media.localhost:8000")
    assert PROTOCOL.operation(S3, listing).name == "ListObjectsV2"


def test_aws_chunked_body_is_decoded_and_its_trailer_read() -> None:
    chunked = b"5\r\nhello\r\n6;chunk-signature=abc\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"
    request = s3_request(
        "PUT",
        "/bucket/greeting.txt",
        chunked,
        **{
            "Content-Encoding": "aws-chunked",
            "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "x-amz-trailer": "x-amz-checksum-crc32",
            "x-amz-decoded-content-length": "11",
        },
    )
    params = PROTOCOL.parse(PROTOCOL.operation(S3, request), request)
    assert params["Body"] == b"hello world"
    assert params["ChecksumCRC32"] == "DUoRhQ=="
    assert "ContentEncoding" not in params


def test_truncated_aws_chunked_body_is_a_400() -> None:
    request = s3_request("PUT", "/bucket/k", b"a\r\nshort", **{"Content-Encoding": "aws-chunked"})
    with pytest.raises(AwsError) as caught:
        PROTOCOL.parse(PROTOCOL.operation(S3, request), request)
    assert caught.value.status == 400


def test_wrong_method_is_method_not_allowed() -> None:
    request = s3_request("PATCH", "/bucket/key")
    with pytest.raises(AwsError) as caught:
        PROTOCOL.operation(S3, request)
    assert (caught.value.code, caught.value.status) == ("MethodNotAllowed", 405)
