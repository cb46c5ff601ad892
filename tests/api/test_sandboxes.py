"""The sandbox endpoints of the REST API over HTTP: create, list, delete, reset, credentials, clock,
graph, resources, the /aws/ door, events and calls since a cursor."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from tests.api.conftest import Api, User, session_api, unique
from tests.conftest import NO_RETRY, Server
from tests.waiting import wait_until

pytestmark = pytest.mark.live


@pytest.fixture
def owner(make_user: Callable[..., User]) -> User:
    return make_user("owner")


@pytest.fixture
def api(as_user: Callable[..., Api], owner: User) -> Api:
    return as_user(owner)


@pytest.fixture
def box(api: Api) -> dict[str, Any]:
    return api.ok("POST", "/sandboxes/", {"name": unique("box")}, status=201)


def test_create_list_and_delete_a_sandbox(api: Api, daphne: Server) -> None:
    created = api.ok("POST", "/sandboxes/", {"name": "my lab", "region": "eu-west-1"}, status=201)
    assert created["region"] == "eu-west-1"
    assert created["role"] == "owner"
    assert len(created["account_id"]) == 12
    keys = created["credentials"]
    assert keys["access_key_id"].startswith("AKIA")
    assert len(keys["secret_access_key"]) == 40
    sts = boto3.client(
        "sts",
        endpoint_url=daphne.url,
        region_name="eu-west-1",
        aws_access_key_id=keys["access_key_id"],
        aws_secret_access_key=keys["secret_access_key"],
        config=NO_RETRY,
    )
    assert sts.get_caller_identity()["Account"] == created["account_id"]
    assert [box["id"] for box in api.ok("GET", "/sandboxes/")] == [created["id"]]
    assert api.delete(f"/sandboxes/{created['id']}/").status_code == 204
    assert api.get(f"/sandboxes/{created['id']}/").status_code == 404


def test_a_sandbox_needs_a_name_and_a_real_region(api: Api) -> None:
    response = api.post("/sandboxes/", {"region": "mars"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "name" in response.json()["detail"]


def test_unauthenticated_requests_are_refused(daphne: Server, box: dict[str, Any]) -> None:
    import requests

    assert requests.get(f"{daphne.url}/api/sandboxes/", timeout=10).status_code in (401, 403)
    wrong = requests.get(f"{daphne.url}/api/sandboxes/", headers={"Authorization": "Token nope"}, timeout=10)
    assert wrong.status_code == 401
    guess = requests.post(f"{daphne.url}/api/token/", json={"username": "nobody", "password": "x"}, timeout=10)
    assert (guess.status_code, guess.json()["code"]) == (401, "authentication_failed")


def test_credentials_list_create_rotate_and_delete(api: Api, box: dict[str, Any]) -> None:
    base = f"/sandboxes/{box['id']}/credentials/"
    [first] = api.ok("GET", base)
    assert first["status"] == "Active"
    assert first["access_key_id"] == box["credentials"]["access_key_id"]
    second = api.ok("POST", base, status=201)
    assert len(second["secret_access_key"]) == 40
    refused = api.post(base)
    assert refused.status_code == 403
    assert refused.json()["code"] == "LimitExceeded"
    assert api.delete(f"{base}{second['access_key_id']}/").status_code == 204
    rotated = api.ok("POST", f"{base}{first['access_key_id']}/rotate/", status=201)
    assert len(rotated["secret_access_key"]) == 40
    listed = {key["access_key_id"]: key for key in api.ok("GET", base)}
    assert listed[first["access_key_id"]]["status"] == "Inactive"
    assert listed[rotated["access_key_id"]]["status"] == "Active"
    missing = api.post(f"{base}AKIANOTAKEY0000000/rotate/")
    assert (missing.status_code, missing.json()["code"]) == (404, "NoSuchEntity")


def test_a_secret_is_in_the_answer_that_creates_its_key_and_in_no_other(
    api: Api, box: dict[str, Any], daphne: Server
) -> None:
    base = f"/sandboxes/{box['id']}/credentials/"
    made = api.ok("POST", base, status=201)
    secrets = [box["credentials"]["secret_access_key"], made["secret_access_key"]]
    answers = [
        api.get(base),
        api.get(f"{base}{made['access_key_id']}/"),
        api.patch(f"{base}{made['access_key_id']}/", {"status": "Inactive"}),
        api.patch(f"{base}{made['access_key_id']}/", {"status": "Active"}),
        api.get(f"/sandboxes/{box['id']}/"),
        api.get("/sandboxes/"),
        api.get(f"/sandboxes/{box['id']}/calls/"),
        api.get(f"/sandboxes/{box['id']}/events/"),
    ]
    for response in answers:
        assert response.status_code == 200, response.url
        assert not [secret for secret in secrets if secret in response.text], response.url
    assert "secret_access_key" not in api.get(base).text
    assert api.ok("GET", f"{base}{made['access_key_id']}/") == {
        "access_key_id": made["access_key_id"],
        "status": "Active",
        "created_at": made["created_at"],
    }


def test_a_key_is_deactivated_and_activated_again(api: Api, box: dict[str, Any], daphne: Server) -> None:
    base = f"/sandboxes/{box['id']}/credentials/"
    made = api.ok("POST", base, status=201)
    sts = boto3.client(
        "sts",
        endpoint_url=daphne.url,
        region_name="us-east-1",
        aws_access_key_id=made["access_key_id"],
        aws_secret_access_key=made["secret_access_key"],
        config=NO_RETRY,
    )
    assert sts.get_caller_identity()["Account"] == box["account_id"]
    assert api.ok("PATCH", f"{base}{made['access_key_id']}/", {"status": "Inactive"})["status"] == "Inactive"
    assert {key["access_key_id"]: key["status"] for key in api.ok("GET", base)}[made["access_key_id"]] == "Inactive"
    assert api.ok("PATCH", f"{base}{made['access_key_id']}/", {"status": "Active"})["status"] == "Active"
    wrong = api.patch(f"{base}{made['access_key_id']}/", {"status": "Gone"})
    assert (wrong.status_code, wrong.json()["code"]) == (400, "invalid")
    missing = api.get(f"{base}AKIANOTAKEY0000000/")
    assert (missing.status_code, missing.json()["code"]) == (404, "NoSuchEntity")
    assert api.patch(f"{base}AKIANOTAKEY0000000/", {"status": "Active"}).status_code == 404


def test_clock_pause_resume_speed_and_advance(api: Api, box: dict[str, Any]) -> None:
    base = f"/sandboxes/{box['id']}/clock/"
    paused = api.ok("POST", f"{base}pause/")
    assert paused["paused"] is True
    advanced = api.ok("POST", f"{base}advance/", {"seconds": 3600})
    moved = dt.datetime.fromisoformat(advanced["now"]) - dt.datetime.fromisoformat(paused["now"])
    assert moved == dt.timedelta(hours=1)
    assert api.ok("POST", f"{base}speed/", {"speed": 10})["speed"] == 10
    assert api.ok("POST", f"{base}resume/")["paused"] is False
    assert api.ok("GET", base)["speed"] == 10
    assert api.post(f"{base}speed/", {"speed": 0}).status_code == 400
    assert api.post(f"{base}advance/", {"seconds": -5}).status_code == 400


def test_a_key_is_dated_on_the_sandbox_clock(api: Api, box: dict[str, Any]) -> None:
    clock = api.ok("POST", f"/sandboxes/{box['id']}/clock/pause/")
    advanced = api.ok("POST", f"/sandboxes/{box['id']}/clock/advance/", {"seconds": 30 * 86400})
    made = api.ok("POST", f"/sandboxes/{box['id']}/credentials/", status=201)
    assert made["created_at"] == advanced["now"]
    assert dt.datetime.fromisoformat(made["created_at"]) - dt.datetime.fromisoformat(clock["now"]) == dt.timedelta(
        days=30
    )


def test_the_aws_door_runs_operations_with_json_in_and_out(api: Api, box: dict[str, Any]) -> None:
    aws = f"/sandboxes/{box['id']}/aws"
    url = api.ok("POST", f"{aws}/sqs/CreateQueue/", {"QueueName": "jobs"})["QueueUrl"]
    assert url.endswith(f"/{box['account_id']}/jobs")
    key = api.ok("POST", f"{aws}/kms/CreateKey/", {"Description": "door"})["KeyMetadata"]
    assert dt.datetime.fromisoformat(key["CreationDate"])  # datetimes as ISO text
    secret = base64.b64encode(b"attack at dawn").decode()
    blob = api.ok("POST", f"{aws}/kms/Encrypt/", {"KeyId": key["KeyId"], "Plaintext": secret})["CiphertextBlob"]
    assert base64.b64decode(api.ok("POST", f"{aws}/kms/Decrypt/", {"CiphertextBlob": blob})["Plaintext"]) == (
        b"attack at dawn"
    )
    missing = api.post(f"{aws}/sqs/GetQueueUrl/", {"QueueName": "nope"})
    assert missing.status_code == 400
    assert missing.json()["code"] == "QueueDoesNotExist"
    typed = api.post(f"{aws}/sqs/CreateQueue/", {"QueueName": 42})
    assert typed.status_code == 400
    assert "QueueName" in typed.json()["message"]
    assert api.post(f"{aws}/kms/Decrypt/", {"CiphertextBlob": "not base64!"}).status_code == 400
    assert api.post(f"{aws}/nosuchservice/Do/", {}).status_code == 404
    assert api.post(f"{aws}/sqs/NoSuchOperation/", {}).json()["code"] == "InvalidAction"
    assert api.post(f"{aws}/sqs/ListQueues/?region=../etc", {}).status_code == 400


def test_graph_and_resource_details(api: Api, box: dict[str, Any]) -> None:
    aws = f"/sandboxes/{box['id']}/aws"
    api.ok("POST", f"{aws}/sqs/CreateQueue/", {"QueueName": "dlq"})
    prefix = f"arn:aws:sqs:{box['region']}:{box['account_id']}"
    redrive = f'{{"deadLetterTargetArn":"{prefix}:dlq","maxReceiveCount":"2"}}'
    url = api.ok("POST", f"{aws}/sqs/CreateQueue/", {"QueueName": "work", "Attributes": {"RedrivePolicy": redrive}})[
        "QueueUrl"
    ]
    api.ok("POST", f"{aws}/sqs/SendMessage/", {"QueueUrl": url, "MessageBody": "hello"})
    key = api.ok("POST", f"{aws}/kms/CreateKey/", {})["KeyMetadata"]
    api.ok("POST", f"{aws}/kms/CreateAlias/", {"AliasName": "alias/app", "TargetKeyId": key["KeyId"]})
    graph = api.ok("GET", f"/sandboxes/{box['id']}/graph/")
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert {node["type"] for node in graph["nodes"]} == {"queue", "key", "alias"}
    assert nodes[f"{prefix}:work"]["visible"] == 1
    assert nodes[f"{prefix}:work"]["name"] == "work"
    edges = {(edge["type"], edge["source"], edge["target"]) for edge in graph["edges"]}
    assert ("dead-letter", f"{prefix}:work", f"{prefix}:dlq") in edges
    assert ("alias", f"arn:aws:kms:{box['region']}:{box['account_id']}:alias/app", key["Arn"]) in edges
    detail = api.get(f"/sandboxes/{box['id']}/resources/", params={"arn": f"{prefix}:work"}).json()
    assert detail["attributes"]["ApproximateNumberOfMessages"] == "1"
    assert detail["messages"][0]["receive_count"] == 0
    assert [edge["target"] for edge in detail["edges"]] == [f"{prefix}:dlq"]
    assert api.get(f"/sandboxes/{box['id']}/resources/", params={"arn": f"{prefix}:gone"}).status_code == 404
    other_region = api.ok("GET", f"/sandboxes/{box['id']}/graph/?region=ap-south-1")
    assert other_region == {"nodes": [], "edges": []}


def test_events_since_a_cursor_are_numbered_and_survive_a_reset(api: Api, box: dict[str, Any]) -> None:
    events = f"/sandboxes/{box['id']}/events/"
    aws = f"/sandboxes/{box['id']}/aws"
    api.ok("POST", f"{aws}/sqs/CreateQueue/", {"QueueName": "one"})
    api.ok("POST", f"/sandboxes/{box['id']}/clock/pause/")

    def arrived(count: int) -> Callable[[], bool]:
        return lambda: len(api.ok("GET", events)["results"]) >= count

    wait_until(arrived(2))
    first = api.ok("GET", events)
    assert [event["seq"] for event in first["results"]] == [1, 2]
    assert [event["type"] for event in first["results"]] == ["resource.created", "clock.changed"]
    assert first["after"] == 2
    assert first["more"] is False
    api.ok("POST", f"/sandboxes/{box['id']}/reset/")
    api.ok("POST", f"{aws}/sqs/CreateQueue/", {"QueueName": "two"})
    wait_until(lambda: len(api.ok("GET", f"{events}?after=2")["results"]) >= 2)
    later = api.ok("GET", f"{events}?after=2")
    assert [event["seq"] for event in later["results"]] == [3, 4]
    assert [event["type"] for event in later["results"]] == ["sandbox.reset", "resource.created"]
    assert api.ok("GET", f"{events}?after=1&limit=1") == {
        "results": [first["results"][1]],
        "after": 2,
        "more": True,
    }
    only = api.ok("GET", f"{events}?type=sandbox.reset")["results"]
    assert [event["seq"] for event in only] == [3]
    assert api.get(f"{events}?after=x").status_code == 400


def test_calls_since_a_cursor(api: Api, box: dict[str, Any], daphne: Server) -> None:
    calls = f"/sandboxes/{box['id']}/calls/"
    keys = box["credentials"]  # the create answer: the only one with the secret
    sqs = boto3.client(
        "sqs",
        endpoint_url=daphne.url,
        region_name=box["region"],
        aws_access_key_id=keys["access_key_id"],
        aws_secret_access_key=keys["secret_access_key"],
        config=NO_RETRY,
    )
    sqs.create_queue(QueueName="cli")
    api.ok("POST", f"/sandboxes/{box['id']}/aws/sqs/ListQueues/", {})
    wait_until(lambda: len(api.ok("GET", calls)["results"]) >= 2)
    first, second = api.ok("GET", calls)["results"]
    assert (first["operation"], first["access_key_id"], first["params"]) == (
        "CreateQueue",
        keys["access_key_id"],
        {"QueueName": "cli"},
    )
    assert (second["operation"], second["user_agent"]) == ("ListQueues", "playground-console")
    assert api.ok("GET", f"{calls}?after={first['id']}")["results"] == [second]
    assert api.ok("GET", f"{calls}?operation=CreateQueue")["results"] == [first]


def test_session_auth_needs_the_csrf_header(daphne: Server, owner: User) -> None:
    browser = session_api(daphne, owner)
    created = browser.ok("POST", "/sandboxes/", {"name": "from the gui"}, status=201)
    assert created["owner"] == owner.username
    del browser.session.headers["X-CSRFToken"]
    assert browser.post("/sandboxes/", {"name": "forged"}).status_code == 403


def test_events_of_concurrent_calls_are_numbered_without_gaps(api: Api, box: dict[str, Any], daphne: Server) -> None:
    from concurrent.futures import ThreadPoolExecutor

    keys = box["credentials"]  # the create answer: the only one with the secret
    sqs = boto3.client(
        "sqs",
        endpoint_url=daphne.url,
        region_name=box["region"],
        aws_access_key_id=keys["access_key_id"],
        aws_secret_access_key=keys["secret_access_key"],
        config=NO_RETRY,
    )
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: sqs.create_queue(QueueName=f"q{n}"), range(16)))
    events = f"/sandboxes/{box['id']}/events/?type=resource.created"
    wait_until(lambda: len(api.ok("GET", events)["results"]) == 16)
    created = api.ok("GET", events)["results"]
    assert [event["seq"] for event in created] == list(range(1, 17))
    assert {event["name"] for event in created} == {f"q{n}" for n in range(16)}


def test_message_flows_are_served_since_a_cursor_too(api: Api, box: dict[str, Any]) -> None:
    aws = f"/sandboxes/{box['id']}/aws"
    url = api.ok("POST", f"{aws}/sqs/CreateQueue/", {"QueueName": "flows"})["QueueUrl"]
    api.ok("POST", f"{aws}/sqs/SendMessage/", {"QueueUrl": url, "MessageBody": "hello"})
    flows = f"/sandboxes/{box['id']}/events/?type=flow"
    wait_until(lambda: len(api.ok("GET", flows)["results"]) >= 1)
    [sent] = api.ok("GET", flows)["results"]
    assert (sent["service"], sent["kind"]) == ("sqs", "sent")
    assert sent["target"].endswith(":flows")
