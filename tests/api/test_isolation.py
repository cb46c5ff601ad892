"""Strict mode, the classroom default: a student can never see or change another student's sandbox,
through the GUI, the WebSocket, the REST API or the AWS API. Each test tries one path; an
instructor sees their own students read-only and nobody else's."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.api.conftest import Api, Classroom, User, login
from tests.conftest import NO_RETRY, Server
from tests.waiting import wait_until

pytestmark = pytest.mark.live


@dataclass
class Student:
    user: User
    api: Api
    sandbox: dict[str, Any]
    key_id: str
    secret: str

    def client(self, server: Server, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=server.url,
            region_name=self.sandbox["region"],
            aws_access_key_id=self.key_id,
            aws_secret_access_key=self.secret,
            config=NO_RETRY,
        )


@pytest.fixture
def classroom(strict_server: Server, make_classroom: Callable[..., Classroom]) -> Classroom:
    return make_classroom(strict_server)


@pytest.fixture
def student(
    strict_server: Server, classroom: Classroom, enroll: Callable[..., tuple[User, Api, dict[str, Any]]]
) -> Callable[[], Student]:
    def make() -> Student:
        user, api, sandbox = enroll(strict_server, classroom)
        key = sandbox["credentials"]
        return Student(user, api, sandbox, key["access_key_id"], key["secret_access_key"])

    return make


def test_gui_pages_show_a_student_only_their_own(strict_server: Server, student: Callable[[], Student]) -> None:
    alice, bob = student(), student()
    browser = login(strict_server, bob.user.username, bob.user.password)
    home = browser.get(f"{strict_server.url}/sandboxes/", timeout=10)
    assert home.status_code == 200
    assert bob.sandbox["account_id"] in home.text
    assert alice.sandbox["account_id"] not in home.text
    for path in (f"/sandboxes/{alice.sandbox['id']}/", f"/sandboxes/{alice.sandbox['id']}/layout/", "/classrooms/"):
        assert browser.get(f"{strict_server.url}{path}", timeout=10).status_code == 404, path
    room = alice.sandbox["classroom"]["id"]
    assert browser.get(f"{strict_server.url}/classrooms/{room}/", timeout=10).status_code == 404
    forged = browser.post(
        f"{strict_server.url}/classrooms/{room}/clock/",
        data={"action": "pause", "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        headers={"Referer": strict_server.url},
        timeout=10,
    )
    assert forged.status_code == 404
    assert alice.api.ok("GET", f"/sandboxes/{alice.sandbox['id']}/clock/")["paused"] is False


def _socket(server: Server, sandbox_id: int, cookie: str) -> Any:
    url = server.url.replace("http://", "ws://") + f"/ws/sandboxes/{sandbox_id}/"
    return connect(url, additional_headers={"Cookie": f"sessionid={cookie}", "Origin": server.url}, open_timeout=10)


def test_websocket_admits_the_owner_and_their_instructor_read_only(
    strict_server: Server,
    student: Callable[[], Student],
    classroom: Classroom,
    make_classroom: Callable[..., Classroom],
) -> None:
    alice, bob = student(), student()
    other_teacher = make_classroom(strict_server).instructor
    for intruder in (bob.user, other_teacher):
        cookie = login(strict_server, intruder.username, intruder.password).cookies["sessionid"]
        with pytest.raises(InvalidStatus) as refused, _socket(strict_server, alice.sandbox["id"], cookie):
            pass
        assert refused.value.response.status_code == 403
    teacher = login(strict_server, classroom.instructor.username, classroom.instructor.password).cookies["sessionid"]
    with _socket(strict_server, alice.sandbox["id"], teacher) as socket:
        hello = json.loads(socket.recv(timeout=5))
        assert hello == {"type": "hello", "sandbox": alice.sandbox["account_id"], "read_only": True}
        alice.client(strict_server, "sqs").create_queue(QueueName="watched")
        while (event := json.loads(socket.recv(timeout=5)))["type"] != "resource.created":
            pass
        assert event["name"] == "watched"
        assert event["seq"] >= 1
    owner = login(strict_server, alice.user.username, alice.user.password).cookies["sessionid"]
    with _socket(strict_server, alice.sandbox["id"], owner) as socket:
        assert json.loads(socket.recv(timeout=5))["read_only"] is False


def test_rest_api_hides_other_sandboxes(strict_server: Server, student: Callable[[], Student]) -> None:
    alice, bob = student(), student()
    alice.api.ok("POST", f"/sandboxes/{alice.sandbox['id']}/aws/sqs/CreateQueue/", {"QueueName": "private"})
    session = alice.api.ok("POST", f"/sandboxes/{alice.sandbox['id']}/lab-sessions/", {"lab": "sqs-decouple"})
    box = f"/sandboxes/{alice.sandbox['id']}"
    reads = ["/", "/credentials/", "/clock/", "/graph/", "/events/", "/calls/", "/lab-sessions/"]
    reads.append("/resources/?arn=arn:aws:sqs:us-east-1:" + alice.sandbox["account_id"] + ":private")
    for path in reads:
        assert bob.api.get(box + path).status_code == 404, path
    writes = [
        "/reset/", "/clock/pause/", "/clock/advance/", "/credentials/", "/aws/sqs/ListQueues/", "/lab-sessions/",
        f"/credentials/{alice.key_id}/rotate/",
    ]  # fmt: skip
    for path in writes:
        assert bob.api.post(box + path, {"seconds": 60, "lab": "sqs-decouple"}).status_code == 404, path
    assert bob.api.delete(box + "/").status_code == 404
    for action in ("", "check/", "solve/", "reset/", "stop/"):
        response = (
            bob.api.post(f"/lab-sessions/{session['id']}/{action}")
            if action
            else bob.api.get(f"/lab-sessions/{session['id']}/")
        )
        assert response.status_code == 404, action
    assert alice.sandbox["id"] not in [box["id"] for box in bob.api.ok("GET", "/sandboxes/")]
    assert alice.api.ok("GET", f"{box}/clock/")["paused"] is False
    [key] = alice.api.ok("GET", f"{box}/credentials/")
    assert key["status"] == "Active"


def test_instructor_sees_students_read_only(
    strict_server: Server, student: Callable[[], Student], classroom: Classroom
) -> None:
    alice = student()
    teacher = classroom.api
    box = f"/sandboxes/{alice.sandbox['id']}"
    assert teacher.ok("GET", box + "/")["role"] == "instructor"
    [key] = teacher.ok("GET", box + "/credentials/")
    assert "secret_access_key" not in key
    for path in ("/aws/sqs/ListQueues/", "/credentials/", f"/credentials/{alice.key_id}/rotate/", "/lab-sessions/"):
        response = teacher.post(box + path, {"lab": "sqs-decouple"})
        assert response.status_code == 403, path
    assert teacher.delete(box + "/").status_code == 403
    assert alice.sandbox["id"] in [entry["id"] for entry in teacher.ok("GET", "/sandboxes/")]


def test_aws_api_keeps_accounts_apart(strict_server: Server, student: Callable[[], Student]) -> None:
    alice, bob = student(), student()
    url = alice.client(strict_server, "sqs").create_queue(QueueName="secret-orders")["QueueUrl"]
    key = alice.client(strict_server, "kms").create_key()["KeyMetadata"]
    bob_sqs = bob.client(strict_server, "sqs")
    for attempt in (
        lambda: bob_sqs.send_message(QueueUrl=url, MessageBody="injected"),
        lambda: bob_sqs.get_queue_url(QueueName="secret-orders", QueueOwnerAWSAccountId=alice.sandbox["account_id"]),
        lambda: bob_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]),
    ):
        with pytest.raises(ClientError) as refused:
            attempt()
        assert refused.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert bob_sqs.list_queues().get("QueueUrls", []) == []
    with pytest.raises(ClientError) as refused:
        bob.client(strict_server, "kms").describe_key(KeyId=key["Arn"])
    assert refused.value.response["Error"]["Code"] == "NotFoundException"
    forged = Student(bob.user, bob.api, bob.sandbox, alice.key_id, bob.secret)  # alice's key id, bob's secret
    with pytest.raises(ClientError) as refused:
        forged.client(strict_server, "sqs").list_queues()
    assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"
    attributes = alice.client(strict_server, "sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_a_rotated_key_stops_working_and_the_new_one_works(
    strict_server: Server, student: Callable[[], Student]
) -> None:
    alice = student()
    base = f"/sandboxes/{alice.sandbox['id']}/credentials/"
    new = alice.api.ok("POST", f"{base}{alice.key_id}/rotate/", status=201)
    fresh = Student(alice.user, alice.api, alice.sandbox, new["access_key_id"], new["secret_access_key"])
    assert fresh.client(strict_server, "sts").get_caller_identity()["Account"] == alice.sandbox["account_id"]

    def old_key_refused() -> bool:
        try:
            alice.client(strict_server, "sts").get_caller_identity()
        except ClientError as refused:
            return refused.response["Error"]["Code"] == "InvalidClientTokenId"
        return False

    wait_until(old_key_refused, timeout=5, interval=0.25)  # server processes keep a key for up to 2 s
