"""AWS requests without a signature: recognised by their protocol markers, answered as AWS answers
them (MissingAuthenticationToken for an operation that must be signed), never with an HTML page;
GUI forms still reach Django with their bodies intact."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
import requests
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import Server

pytestmark = pytest.mark.live

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
MISSING = "Request is missing Authentication Token"


def _not_html(response: requests.Response) -> None:
    assert "text/html" not in response.headers.get("content-type", "")
    assert b"<html" not in response.content.lower()


@pytest.mark.parametrize("server_name", ["daphne", "strict_server"])
def test_an_unsigned_query_call_is_missing_its_token(server_name: str, request: pytest.FixtureRequest) -> None:
    server: Server = request.getfixturevalue(server_name)
    response = requests.post(
        server.url + "/", data=b"Action=GetCallerIdentity&Version=2011-06-15", headers=FORM, timeout=10
    )
    _not_html(response)
    assert response.status_code == 403
    assert response.headers["content-type"] == "text/xml"
    assert response.headers["x-amzn-RequestId"]
    assert "<Code>MissingAuthenticationToken</Code>" in response.text
    assert f"<Message>{MISSING}</Message>" in response.text
    assert "<Type>Sender</Type>" in response.text


def test_an_unsigned_query_get_is_missing_its_token(daphne: Server) -> None:
    response = requests.get(daphne.url + "/?Action=ListTopics&Version=2010-03-31", timeout=10)
    _not_html(response)
    assert response.status_code == 403
    assert "<Code>MissingAuthenticationToken</Code>" in response.text
    assert 'xmlns="http://sns.amazonaws.com/doc/2010-03-31/"' in response.text


def test_boto3_without_signing_gets_missing_authentication_token(daphne: Server) -> None:
    client = boto3.client(
        "sts", endpoint_url=daphne.url, region_name="us-east-1", config=Config(signature_version=UNSIGNED)
    )
    with pytest.raises(ClientError) as caught:
        client.get_caller_identity()
    response = caught.value.response
    assert response["Error"] == {"Type": "Sender", "Code": "MissingAuthenticationToken", "Message": MISSING}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "text/xml"


def test_an_unsigned_json_call_is_missing_its_token(strict_server: Server) -> None:
    response = requests.post(
        strict_server.url + "/",
        data=b"{}",
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.ListKeys"},
        timeout=10,
    )
    _not_html(response)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    assert response.headers["x-amzn-RequestId"]
    assert response.json()["message"] == MISSING
    assert response.json()["__type"].endswith("MissingAuthenticationTokenException")


def test_boto3_unsigned_json_services_get_missing_authentication_token(daphne: Server) -> None:
    for service, call in (("kms", "list_keys"), ("sqs", "list_queues")):
        client = boto3.client(
            service, endpoint_url=daphne.url, region_name="us-east-1", config=Config(signature_version=UNSIGNED)
        )
        with pytest.raises(ClientError) as caught:
            getattr(client, call)()
        response = caught.value.response
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 400, service
        assert response["Error"]["Message"] == MISSING, service
        assert "MissingAuthenticationToken" in response["Error"]["Code"], service


def test_an_aws_json_request_without_a_target_is_answered_in_json(daphne: Server) -> None:
    response = requests.post(
        daphne.url + "/", data=b"{}", headers={"Content-Type": "application/x-amz-json-1.0"}, timeout=10
    )
    _not_html(response)
    assert response.status_code == 400
    assert response.json()["message"] == MISSING


def test_an_unsigned_call_of_a_service_not_emulated_says_so(daphne: Server) -> None:
    response = requests.post(
        daphne.url + "/",
        data=b"{}",
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables"},
        timeout=10,
    )
    _not_html(response)
    assert response.status_code == 501
    assert "DynamoDB_20120810" in response.json()["message"]


def test_an_unsigned_query_call_of_an_unknown_action_is_invalid(daphne: Server) -> None:
    response = requests.post(daphne.url + "/", data=b"Action=BecomeRoot&Version=2011-06-15", headers=FORM, timeout=10)
    _not_html(response)
    assert response.status_code == 400
    assert "<Code>InvalidAction</Code>" in response.text


def test_a_retired_signature_scheme_is_an_incomplete_signature(daphne: Server) -> None:
    response = requests.post(
        daphne.url + "/",
        data=b"Action=GetCallerIdentity&Version=2011-06-15",
        headers={**FORM, "Authorization": "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg="},
        timeout=10,
    )
    _not_html(response)
    assert response.status_code == 400
    assert "<Code>IncompleteSignature</Code>" in response.text
    assert "AWS4-HMAC-SHA256" in response.text


def test_an_oversized_unsigned_query_form_is_refused_as_aws_would(daphne: Server) -> None:
    body = b"Action=SendMessage&Version=2012-11-05&MessageBody=" + b"x" * (17 * 1024 * 1024)
    response = requests.post(daphne.url + "/", data=body, headers=FORM, timeout=60)
    _not_html(response)
    assert response.status_code == 413


def test_a_gui_form_still_reaches_django_with_its_body(daphne: Server) -> None:
    session = requests.Session()
    session.get(f"{daphne.url}/login/", timeout=10)
    response = session.post(
        f"{daphne.url}/login/",
        data={"username": "nobody", "password": "wrong", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{daphne.url}/login/"},
        timeout=10,
        allow_redirects=False,
    )
    # Django read the form: the CSRF token in the body passed, the credentials did not.
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]


def test_the_cli_without_signing_reports_the_missing_token(aws_cli: Any) -> None:
    result = aws_cli("sts", "get-caller-identity", "--no-sign-request", check=False)
    assert result.returncode != 0
    assert "MissingAuthenticationToken" in result.stderr
    assert MISSING in result.stderr


def test_the_cli_without_signing_reports_the_missing_token_for_json_services(aws_cli: Any) -> None:
    result = aws_cli("kms", "list-keys", "--no-sign-request", check=False)
    assert result.returncode != 0
    assert "MissingAuthenticationTokenException" in result.stderr
    assert MISSING in result.stderr
    assert json.dumps(MISSING)[1:-1] in result.stderr
