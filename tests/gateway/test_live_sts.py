"""STS and authentication against the live Daphne server, through boto3 and the aws CLI."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from tests.conftest import NO_RETRY, SandboxInfo, Server
from tests.signing import signed_request

pytestmark = pytest.mark.live


def test_get_caller_identity_names_the_sandbox_account(aws: Any, sandbox: SandboxInfo) -> None:
    identity = aws("sts").get_caller_identity()
    assert identity["Account"] == sandbox.account_id
    assert identity["Arn"] == f"arn:aws:iam::{sandbox.account_id}:user/playground"
    assert identity["UserId"].startswith("AIDA")


def test_the_aws_cli_prints_the_caller_identity(aws_cli: Any, sandbox: SandboxInfo) -> None:
    result = aws_cli("sts", "get-caller-identity")
    printed = json.loads(result.stdout)
    assert printed["Account"] == sandbox.account_id
    assert printed["Arn"].endswith(":user/playground")


def test_open_mode_takes_a_twelve_digit_key_as_the_account(daphne: Server) -> None:
    client = boto3.client(
        "sts",
        endpoint_url=daphne.url,
        region_name="eu-west-1",
        aws_access_key_id="123456789012",
        aws_secret_access_key="anything",
        config=NO_RETRY,
    )
    assert client.get_caller_identity()["Account"] == "123456789012"


def test_open_mode_accepts_any_key(daphne: Server) -> None:
    client = boto3.client(
        "sts", endpoint_url=daphne.url, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test", config=NO_RETRY,
    )  # fmt: skip
    assert len(client.get_caller_identity()["Account"]) == 12


def test_strict_mode_accepts_the_sandbox_key(aws: Any, strict_server: Server, sandbox: SandboxInfo) -> None:
    assert aws("sts", server=strict_server).get_caller_identity()["Account"] == sandbox.account_id


def test_strict_mode_cli(aws_cli: Any, strict_server: Server, sandbox: SandboxInfo) -> None:
    result = aws_cli("sts", "get-caller-identity", server=strict_server)
    assert json.loads(result.stdout)["Account"] == sandbox.account_id


def test_strict_mode_refuses_a_wrong_secret(aws: Any, strict_server: Server) -> None:
    with pytest.raises(ClientError) as caught:
        aws("sts", server=strict_server, aws_secret_access_key="x" * 40).get_caller_identity()
    error = caught.value.response
    assert error["Error"]["Code"] == "SignatureDoesNotMatch"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "signature we calculated does not match" in error["Error"]["Message"]


def test_strict_mode_refuses_an_unknown_key(aws: Any, strict_server: Server) -> None:
    with pytest.raises(ClientError) as caught:
        aws("sts", server=strict_server, aws_access_key_id="AKIAUNKNOWNUNKNOWN00").get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_strict_mode_names_an_unknown_key_as_json_services_do(aws: Any, strict_server: Server) -> None:
    with pytest.raises(ClientError) as caught:
        aws("kms", server=strict_server, aws_access_key_id="AKIAUNKNOWNUNKNOWN00").list_keys()
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_strict_mode_cli_reports_a_wrong_secret(aws_cli: Any, strict_server: Server, sandbox: SandboxInfo) -> None:
    result = aws_cli(
        "sts", "get-caller-identity", server=strict_server, check=False,
        env={"AWS_SECRET_ACCESS_KEY": "wrong" * 8},
    )  # fmt: skip
    assert result.returncode != 0
    assert "SignatureDoesNotMatch" in result.stderr


def test_strict_mode_refuses_a_request_signed_twenty_minutes_ago(strict_server: Server, sandbox: SandboxInfo) -> None:
    response = signed_request(
        strict_server.url + "/",
        service="sts",
        access_key_id=sandbox.access_key_id,
        secret_access_key=sandbox.secret_access_key,
        body=b"Action=GetCallerIdentity&Version=2011-06-15",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20),
    )
    assert response.status_code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in response.content
    assert b"Signature expired" in response.content


def test_assumed_role_credentials_work_and_name_the_role(aws: Any, strict_server: Server, sandbox: SandboxInfo) -> None:
    sts = aws("sts", server=strict_server)
    assumed = sts.assume_role(RoleArn=f"arn:aws:iam::{sandbox.account_id}:role/Lab", RoleSessionName="s1")
    creds = assumed["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    role_client = boto3.client(
        "sts",
        endpoint_url=strict_server.url,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        config=NO_RETRY,
    )
    identity = role_client.get_caller_identity()
    assert identity["Account"] == sandbox.account_id
    assert identity["Arn"] == f"arn:aws:sts::{sandbox.account_id}:assumed-role/Lab/s1"


def test_assumed_role_credentials_expire_on_the_sandbox_clock(
    aws: Any, strict_server: Server, sandbox: SandboxInfo, db_access: None
) -> None:
    from playground.sandboxes.models import Sandbox
    from playground.sandboxes.services import clock_advance

    creds = aws("sts", server=strict_server).assume_role(
        RoleArn=f"arn:aws:iam::{sandbox.account_id}:role/Lab", RoleSessionName="short", DurationSeconds=900
    )["Credentials"]
    client = boto3.client(
        "sts", endpoint_url=strict_server.url, region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], config=NO_RETRY,
    )  # fmt: skip
    client.get_caller_identity()
    clock_advance(sandbox=Sandbox.objects.get(pk=sandbox.id), seconds=901)
    with pytest.raises(ClientError) as caught:
        client.get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "ExpiredToken"


def test_an_expired_temporary_key_is_deleted_a_day_later(
    aws: Any, strict_server: Server, sandbox: SandboxInfo, db_access: None
) -> None:
    from playground.sandboxes.models import AccessKey, Sandbox
    from playground.sandboxes.services import clock_advance

    sts = aws("sts", server=strict_server)
    expiring = sts.get_session_token(DurationSeconds=900)["Credentials"]
    lasting = sts.get_session_token(DurationSeconds=129600)["Credentials"]
    key = AccessKey.objects.get(access_key_id=expiring["AccessKeyId"])
    assert key.expires_at is not None
    assert abs(key.expires_at - key.created_at - dt.timedelta(seconds=900)) < dt.timedelta(seconds=1)
    box = Sandbox.objects.get(pk=sandbox.id)
    clock_advance(sandbox=box, seconds=900 + 86400 - 60)
    assert AccessKey.objects.filter(access_key_id=expiring["AccessKeyId"]).exists()  # still answers ExpiredToken
    clock_advance(sandbox=box, seconds=61)
    assert not AccessKey.objects.filter(access_key_id=expiring["AccessKeyId"]).exists()
    assert AccessKey.objects.filter(access_key_id=lasting["AccessKeyId"]).exists()
    assert AccessKey.objects.filter(access_key_id=sandbox.access_key_id).exists()  # long-term keys never expire


def test_assuming_a_role_of_another_account_is_denied(aws: Any) -> None:
    with pytest.raises(ClientError) as caught:
        aws("sts").assume_role(RoleArn="arn:aws:iam::999999999999:role/Other", RoleSessionName="xy")
    assert caught.value.response["Error"]["Code"] == "AccessDenied"


def test_get_session_token_returns_working_keys(aws: Any, strict_server: Server, sandbox: SandboxInfo) -> None:
    creds = aws("sts", server=strict_server).get_session_token()["Credentials"]
    client = boto3.client(
        "sts", endpoint_url=strict_server.url, region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], config=NO_RETRY,
    )  # fmt: skip
    assert client.get_caller_identity()["Account"] == sandbox.account_id


def _presign(aws: Any, server: Server, expires: int = 300) -> str:
    return str(
        aws("sts", server=server).generate_presigned_url("get_caller_identity", ExpiresIn=expires, HttpMethod="GET")
    )


def test_strict_mode_accepts_a_presigned_url(aws: Any, strict_server: Server, sandbox: SandboxInfo) -> None:
    response = requests.get(_presign(aws, strict_server), timeout=10)
    assert response.status_code == 200, response.text
    assert f"<Account>{sandbox.account_id}</Account>" in response.text


def test_strict_mode_refuses_a_tampered_presigned_url(aws: Any, strict_server: Server) -> None:
    url = _presign(aws, strict_server).replace("Action=GetCallerIdentity", "Action=GetSessionToken")
    response = requests.get(url, timeout=10)
    assert response.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in response.text


def signing_clock_at(monkeypatch: pytest.MonkeyPatch, moment: dt.datetime) -> None:
    """Make botocore sign as if now were `moment`: its own signer and, when awscrt is installed (the
    lock has it, for S3's checksums), the CRT signer it then prefers."""

    def then(remove_tzinfo: bool = True) -> dt.datetime:
        return moment.replace(tzinfo=None) if remove_tzinfo else moment

    for module in ("botocore.auth", "botocore.crt.auth"):
        monkeypatch.setattr(f"{module}.get_current_datetime", then, raising=False)


def test_strict_mode_refuses_an_expired_presigned_url(
    aws: Any, strict_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    signing_clock_at(monkeypatch, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))
    url = _presign(aws, strict_server, expires=60)
    monkeypatch.undo()
    response = requests.get(url, timeout=10)
    assert response.status_code == 400
    assert "Request has expired" in response.text


@pytest.mark.parametrize("expires", ["99999999999999999999", "604801", "-1"])
def test_strict_mode_refuses_a_presigned_url_valid_for_more_than_a_week_or_less_than_nothing(
    aws: Any, strict_server: Server, expires: str
) -> None:
    url = _presign(aws, strict_server).replace("X-Amz-Expires=300", f"X-Amz-Expires={expires}")
    response = requests.get(url, timeout=10)
    assert response.status_code == 400, response.text
    assert "<Code>IncompleteSignature</Code>" in response.text
    assert "X-Amz-Expires must be non-negative and less than a week" in response.text


def test_strict_mode_refuses_an_sdk_whose_clock_is_twenty_minutes_slow(
    aws: Any, strict_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    signing_clock_at(monkeypatch, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20))
    with pytest.raises(ClientError) as caught:
        aws("sts", server=strict_server).get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert "Signature expired" in caught.value.response["Error"]["Message"]
