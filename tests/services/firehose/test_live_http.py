"""The HTTP endpoint destination against a small HTTPS server the test starts: AWS's request
format with X-Amz-Firehose-Access-Key, retries on the sandbox clock while the endpoint fails, and
the records it never took written to the S3 backup under http-endpoint-failed/."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import http.server
import ipaddress
import json
import ssl
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.services.firehose.conftest import ROLE

pytestmark = pytest.mark.live


class Endpoint:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.failing = False
        self.url = ""


def _certificate(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[Endpoint]:
    state = Endpoint()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            payload = json.loads(body)
            state.requests.append({"headers": dict(self.headers), "body": payload, "path": self.path})
            status = 500 if state.failing else 200
            answer = json.dumps({"requestId": payload["requestId"], "timestamp": payload["timestamp"]}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_certificate(tmp_path))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.url = f"https://127.0.0.1:{server.server_address[1]}/ingest"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _create(firehose: Any, name: str, endpoint: Endpoint, bucket: str, **extra: Any) -> None:
    firehose.create_delivery_stream(
        DeliveryStreamName=name,
        HttpEndpointDestinationConfiguration={
            "EndpointConfiguration": {"Url": endpoint.url, "Name": "collector", "AccessKey": "s3cr3t"},
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
            "RequestConfiguration": {
                "ContentEncoding": "GZIP",
                "CommonAttributes": [{"AttributeName": "env", "AttributeValue": "lab"}],
            },
            "S3Configuration": {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "ErrorOutputPrefix": "failed/"},
            **extra,
        },
    )


def test_records_are_posted_in_aws_request_format(
    firehose: Any, bucket: str, endpoint: Endpoint, advance: Callable[[float], None], paused: None,
    objects: Callable[[str], list[tuple[str, bytes]]],
) -> None:  # fmt: skip
    name = f"http-{uuid.uuid4().hex[:8]}"
    _create(firehose, name, endpoint, bucket)
    advance(5)
    described = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    http = described["Destinations"][0]["HttpEndpointDestinationDescription"]
    assert http["EndpointConfiguration"] == {"Url": endpoint.url, "Name": "collector"}  # never the access key
    assert http["RetryOptions"] == {"DurationInSeconds": 300}
    assert http["S3BackupMode"] == "FailedDataOnly"
    firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"one"}, {"Data": b"two"}])
    advance(59)
    assert endpoint.requests == []
    advance(1)
    [request] = endpoint.requests
    headers = request["headers"]
    assert headers["X-Amz-Firehose-Access-Key"] == "s3cr3t"
    assert headers["X-Amz-Firehose-Protocol-Version"] == "1.0"
    assert headers["X-Amz-Firehose-Request-Id"] == request["body"]["requestId"]
    assert headers["X-Amz-Firehose-Source-Arn"] == described["DeliveryStreamARN"]
    assert json.loads(headers["X-Amz-Firehose-Common-Attributes"]) == {"commonAttributes": {"env": "lab"}}
    assert request["path"] == "/ingest"
    assert [base64.b64decode(r["data"]) for r in request["body"]["records"]] == [b"one", b"two"]
    assert objects(bucket) == []

    # UpdateDestination changes what it names and keeps the access key.
    firehose.update_destination(
        DeliveryStreamName=name,
        CurrentDeliveryStreamVersionId="1",
        DestinationId="destinationId-000000000001",
        HttpEndpointDestinationUpdate={
            "RetryOptions": {"DurationInSeconds": 120},
            "BufferingHints": {"IntervalInSeconds": 30},
        },
    )
    described = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    http = described["Destinations"][0]["HttpEndpointDestinationDescription"]
    assert described["VersionId"] == "2"
    assert http["RetryOptions"] == {"DurationInSeconds": 120}
    assert http["BufferingHints"] == {"SizeInMBs": 1, "IntervalInSeconds": 30}
    firehose.put_record(DeliveryStreamName=name, Record={"Data": b"three"})
    advance(30)
    assert endpoint.requests[-1]["headers"]["X-Amz-Firehose-Access-Key"] == "s3cr3t"
    assert len(endpoint.requests) == 2


def test_a_failing_endpoint_is_retried_then_the_records_go_to_the_backup(
    firehose: Any, bucket: str, endpoint: Endpoint, advance: Callable[[float], None], paused: None,
    objects: Callable[[str], list[tuple[str, bytes]]],
) -> None:  # fmt: skip
    name = f"http-{uuid.uuid4().hex[:8]}"
    _create(firehose, name, endpoint, bucket, RetryOptions={"DurationInSeconds": 60})
    advance(5)
    endpoint.failing = True
    firehose.put_record(DeliveryStreamName=name, Record={"Data": b"lost?"})
    advance(60)
    assert len(endpoint.requests) == 1
    advance(30)
    assert len(endpoint.requests) == 2  # retried 30 s later on the sandbox clock
    assert objects(bucket) == []
    advance(30)
    assert len(endpoint.requests) == 3  # the last try within the 60 s retry duration
    [(key, body)] = objects(bucket)
    assert key.startswith("failed/http-endpoint-failed/")
    [line] = [json.loads(text) for text in body.decode().splitlines()]
    assert base64.b64decode(line["rawData"]) == b"lost?"
    assert line["errorCode"] == "HttpEndpoint.ResponseErrorCode"
    assert line["attemptsMade"] == 3

    # The endpoint recovers: the next batch goes through on its first try.
    endpoint.failing = False
    firehose.put_record(DeliveryStreamName=name, Record={"Data": b"fine"})
    advance(60)
    assert len(endpoint.requests) == 4
    assert len(objects(bucket)) == 1
