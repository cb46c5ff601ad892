"""SQS on the wire: the legacy query protocol (form posts with Action=...), raw JSON requests that
boto3 would refuse to send, and the error codes each protocol carries."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from botocore.exceptions import ClientError

from tests.conftest import SandboxInfo, Server
from tests.services.sqs.test_live_messages import counts
from tests.signing import signed_request

pytestmark = pytest.mark.live


def query(daphne: Server, sandbox: SandboxInfo, path: str = "/", **params: str) -> requests.Response:
    body = urlencode({"Version": "2012-11-05", **params}).encode()
    return signed_request(
        daphne.url + path,
        service="sqs",
        access_key_id=sandbox.access_key_id,
        secret_access_key=sandbox.secret_access_key,
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        region=sandbox.region,
    )


def json_call(daphne: Server, sandbox: SandboxInfo, operation: str, document: dict[str, Any]) -> requests.Response:
    return signed_request(
        daphne.url + "/",
        service="sqs",
        access_key_id=sandbox.access_key_id,
        secret_access_key=sandbox.secret_access_key,
        body=json.dumps(document).encode(),
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AmazonSQS.{operation}"},
        region=sandbox.region,
    )


def text_of(xml: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}>(.*?)</{tag}>", xml, re.DOTALL)


def test_legacy_query_protocol_round_trip(daphne: Server, sandbox: SandboxInfo, sqs: Any) -> None:
    created = query(daphne, sandbox, Action="CreateQueue", QueueName="legacy")
    assert created.status_code == 200, created.text
    [url] = text_of(created.text, "QueueUrl")
    assert url.endswith(f"/{sandbox.account_id}/legacy")
    sent = query(daphne, sandbox, Action="SendMessage", QueueUrl=url, MessageBody="from an old SDK")
    assert sent.status_code == 200, sent.text
    assert text_of(sent.text, "MD5OfMessageBody") == ["74700e3d654b2dc3a797261c7d8b22d3"]
    received = query(daphne, sandbox, Action="ReceiveMessage", QueueUrl=url, MaxNumberOfMessages="5")
    assert received.status_code == 200, received.text
    assert text_of(received.text, "Body") == ["from an old SDK"]
    [handle] = text_of(received.text, "ReceiptHandle")
    deleted = query(daphne, sandbox, Action="DeleteMessage", QueueUrl=url, ReceiptHandle=handle)
    assert deleted.status_code == 200, deleted.text
    assert "<DeleteMessageResponse" in deleted.text
    assert counts(sqs, url) == (0, 0, 0)


def test_legacy_query_errors_carry_the_legacy_codes(daphne: Server, sandbox: SandboxInfo) -> None:
    missing = query(
        daphne, sandbox, Action="SendMessage", QueueUrl=f"http://localhost/{sandbox.account_id}/none", MessageBody="x"
    )
    assert missing.status_code == 400
    assert text_of(missing.text, "Code") == ["AWS.SimpleQueueService.NonExistentQueue"]
    no_body = query(daphne, sandbox, Action="CreateQueue")
    assert no_body.status_code == 400
    assert text_of(no_body.text, "Code") == ["MissingParameter"]
    assert text_of(no_body.text, "Message") == ["The request must contain the parameter QueueName."]


def test_json_missing_parameter_is_named(daphne: Server, sandbox: SandboxInfo) -> None:
    response = json_call(daphne, sandbox, "SendMessage", {"MessageBody": "nowhere"})
    assert response.status_code == 400
    assert response.json()["message"] == "The request must contain the parameter QueueUrl."
    assert response.headers["x-amzn-query-error"] == "MissingParameter;Sender"


def test_json_unknown_attribute_name(daphne: Server, sandbox: SandboxInfo, make_queue: Callable[..., str]) -> None:
    url = make_queue()
    response = json_call(daphne, sandbox, "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["Bogus"]})
    assert response.status_code == 400
    assert response.json()["message"] == "Unknown Attribute Bogus."
    assert response.headers["x-amzn-query-error"].startswith("InvalidAttributeName;")
    response = json_call(daphne, sandbox, "CreateQueue", {"QueueName": "x", "Attributes": {"Bogus": "1"}})
    assert response.json()["message"] == "Unknown Attribute Bogus."


def test_legacy_attribute_names_select_message_system_attributes(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [message] = sqs.receive_message(QueueUrl=url, AttributeNames=["SentTimestamp"])["Messages"]
    assert set(message["Attributes"]) == {"SentTimestamp"}
    with pytest.raises(ClientError) as caught:
        sqs.receive_message(QueueUrl=url, AttributeNames=["Sent"])
    assert caught.value.response["Error"]["Code"] == "InvalidAttributeName"
    assert "Sent" in caught.value.response["Error"]["Message"]


def test_a_bad_body_in_one_batch_entry_fails_that_entry_only(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue()
    answer = sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": "good", "MessageBody": "fine"}, {"Id": "bad", "MessageBody": "nul \x00 here"}]
    )
    assert [entry["Id"] for entry in answer["Successful"]] == ["good"]
    [failed] = answer["Failed"]
    assert (failed["Id"], failed["Code"], failed["SenderFault"]) == ("bad", "InvalidMessageContents", True)
    assert [message["Body"] for message in sqs.receive_message(QueueUrl=url)["Messages"]] == ["fine"]
