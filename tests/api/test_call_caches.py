"""What a server process keeps in memory between AWS calls (a key, its secret, its sandbox, the
sandbox clock) is dropped by the very next call after a change, whichever process made it.

The changes go through the REST API of the open server; the AWS calls go, through boto3, to the
strict server: another process, whose cache is warm from the calls before the change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import Api, User, unique
from tests.conftest import NO_RETRY, Server

pytestmark = pytest.mark.live


@pytest.fixture
def api(as_user: Callable[..., Api], make_user: Callable[..., User], daphne: Server) -> Api:
    return as_user(make_user("cache"), daphne)


@pytest.fixture
def box(api: Api) -> dict[str, Any]:
    return api.ok("POST", "/sandboxes/", {"name": unique("cache")}, status=201)


def client(server: Server, service: str, keys: dict[str, Any]) -> Any:
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=keys["access_key_id"],
        aws_secret_access_key=keys["secret_access_key"],
        aws_session_token=keys.get("session_token"),
        config=NO_RETRY,
    )


def warm(sts: Any, account_id: str) -> None:
    for _ in range(3):
        assert sts.get_caller_identity()["Account"] == account_id


def error_code(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def test_a_deleted_key_fails_on_the_next_call(api: Api, box: dict[str, Any], strict_server: Server) -> None:
    base = f"/sandboxes/{box['id']}/credentials/"
    made = api.ok("POST", base, status=201)
    sts = client(strict_server, "sts", made)
    warm(sts, box["account_id"])
    assert api.delete(f"{base}{made['access_key_id']}/").status_code == 204
    assert error_code(sts.get_caller_identity) == "InvalidClientTokenId"
    # The sandbox's other key is untouched.
    assert client(strict_server, "sts", box["credentials"]).get_caller_identity()["Account"] == box["account_id"]


def test_a_deactivated_key_fails_on_the_next_call_and_works_once_active(
    api: Api, box: dict[str, Any], strict_server: Server
) -> None:
    base = f"/sandboxes/{box['id']}/credentials/"
    keys = box["credentials"]
    sqs = client(strict_server, "sqs", keys)
    for _ in range(3):
        sqs.list_queues()
    api.ok("PATCH", f"{base}{keys['access_key_id']}/", {"status": "Inactive"})
    assert error_code(sqs.list_queues) in ("InvalidClientTokenId", "UnrecognizedClientException")
    api.ok("PATCH", f"{base}{keys['access_key_id']}/", {"status": "Active"})
    assert sqs.list_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_a_rotated_key_is_inactive_on_the_next_call(api: Api, box: dict[str, Any], strict_server: Server) -> None:
    keys = box["credentials"]
    sts = client(strict_server, "sts", keys)
    warm(sts, box["account_id"])
    fresh = api.ok("POST", f"/sandboxes/{box['id']}/credentials/{keys['access_key_id']}/rotate/")
    assert error_code(sts.get_caller_identity) == "InvalidClientTokenId"
    warm(client(strict_server, "sts", fresh), box["account_id"])


def _sandbox_now(sts: Any) -> dt.datetime:
    """The sandbox clock as a call sees it: a 900-second session token expires 900 s after it."""
    expiration: dt.datetime = sts.get_session_token(DurationSeconds=900)["Credentials"]["Expiration"]
    return expiration - dt.timedelta(seconds=900)


def test_the_next_call_sees_the_clock_paused_and_advanced(api: Api, box: dict[str, Any], strict_server: Server) -> None:
    sts = client(strict_server, "sts", box["credentials"])
    warm(sts, box["account_id"])
    paused = dt.datetime.fromisoformat(api.ok("POST", f"/sandboxes/{box['id']}/clock/pause/")["now"])
    first = _sandbox_now(sts)
    assert first == paused.replace(microsecond=0)
    assert _sandbox_now(sts) == first  # paused: the clock stands still between calls
    api.ok("POST", f"/sandboxes/{box['id']}/clock/advance/", {"seconds": 86400})
    assert _sandbox_now(sts) - first == dt.timedelta(days=1)
    api.ok("POST", f"/sandboxes/{box['id']}/clock/advance/", {"seconds": 3600})
    assert _sandbox_now(sts) - first == dt.timedelta(days=1, hours=1)


def test_a_temporary_key_expires_on_the_next_call_after_the_clock_passes_it(
    api: Api, box: dict[str, Any], strict_server: Server
) -> None:
    api.ok("POST", f"/sandboxes/{box['id']}/clock/pause/")
    sts = client(strict_server, "sts", box["credentials"])
    issued = sts.get_session_token(DurationSeconds=900)["Credentials"]
    temporary = client(
        strict_server,
        "sts",
        {
            "access_key_id": issued["AccessKeyId"],
            "secret_access_key": issued["SecretAccessKey"],
            "session_token": issued["SessionToken"],
        },
    )
    warm(temporary, box["account_id"])
    api.ok("POST", f"/sandboxes/{box['id']}/clock/advance/", {"seconds": 900})
    assert error_code(temporary.get_caller_identity) == "ExpiredToken"


def test_the_next_call_after_a_reset_sees_the_empty_sandbox(
    api: Api, box: dict[str, Any], strict_server: Server
) -> None:
    sqs = client(strict_server, "sqs", box["credentials"])
    url = sqs.create_queue(QueueName="kept-until-reset")["QueueUrl"]
    assert sqs.list_queues()["QueueUrls"] == [url]
    api.ok("POST", f"/sandboxes/{box['id']}/reset/")
    assert sqs.list_queues().get("QueueUrls", []) == []
    assert sqs.create_queue(QueueName="after-reset")["QueueUrl"].endswith("/after-reset")


def test_a_deleted_sandbox_refuses_its_key_on_the_next_call(
    api: Api, box: dict[str, Any], strict_server: Server
) -> None:
    sts = client(strict_server, "sts", box["credentials"])
    warm(sts, box["account_id"])
    assert api.delete(f"/sandboxes/{box['id']}/").status_code == 204
    assert error_code(sts.get_caller_identity) == "InvalidClientTokenId"
