"""Lab sessions over the REST API with a bundle a lab author uploads: setup (run once, not counted
as the student's calls), {{variables}}, find, idempotent start, read-only checks with partial
credit, steps that stay passed, reset, live events and webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from tests.api.conftest import Api, User, unique
from tests.conftest import Server
from tests.waiting import wait_until

pytestmark = pytest.mark.live


def bundle(lab_id: str) -> dict[str, Any]:
    return {
        "id": lab_id,
        "title": "Inbox",
        "summary": "A tiny lab for the tests.",
        "services": ["sqs"],
        "variables": {"inbox": "inbox"},
        "steps": [
            {
                "id": "given",
                "title": "The lab made a queue",
                "instructions": "The lab created `{{inbox}}` and put a message in it.",
                "setup": [
                    {"call": "sqs:CreateQueue", "params": {"QueueName": "{{inbox}}"}, "save": {"url": "QueueUrl"}},
                    {"call": "sqs:SendMessage", "params": {"QueueUrl": "{{url}}", "MessageBody": "welcome"}},
                ],
                "checks": [
                    {"kind": "resource", "select": {"service": "sqs", "name": "{{inbox}}"}, "message": "inbox is gone"}
                ],
            },
            {
                "id": "tune",
                "title": "Raise the visibility timeout and read the message",
                "instructions": "Set VisibilityTimeout to 45, then receive.",
                "checks": [
                    {
                        "kind": "resource",
                        "select": {"service": "sqs", "name": "{{inbox}}"},
                        "where": {"attributes": {"VisibilityTimeout": 45}},
                        "points": 2,
                        "message": "VisibilityTimeout is not 45 yet.",
                    },
                    {
                        "kind": "call",
                        "service": "sqs",
                        "operation": "ReceiveMessage",
                        "message": "Receive the welcome message.",
                    },
                ],
                "solve": [
                    {"find": {"service": "sqs", "name": "{{inbox}}"}, "save": {"inbox_arn": "id"}},
                    {"call": "sqs:GetQueueUrl", "params": {"QueueName": "{{inbox}}"}, "save": {"url": "QueueUrl"}},
                    {
                        "call": "sqs:SetQueueAttributes",
                        "params": {"QueueUrl": "{{url}}", "Attributes": {"VisibilityTimeout": "45"}},
                    },
                    {"call": "sqs:ReceiveMessage", "params": {"QueueUrl": "{{url}}"}},
                ],
                "hints": ["aws sqs set-queue-attributes"],
            },
        ],
    }


@pytest.fixture
def author(daphne: Server, make_user: Callable[..., User], as_user: Callable[..., Api]) -> Api:
    return as_user(make_user("author", staff=True))


@pytest.fixture
def lab_id(author: Api) -> str:
    lab_id = unique("inbox")
    author.ok("PUT", f"/labs/{lab_id}/", bundle(lab_id))
    return lab_id


@pytest.fixture
def sandbox(author: Api) -> dict[str, Any]:
    return author.ok("POST", "/sandboxes/", {"name": unique("authoring")}, status=201)


def test_setup_runs_once_and_checks_give_partial_credit(author: Api, lab_id: str, sandbox: dict[str, Any]) -> None:
    box = f"/sandboxes/{sandbox['id']}"
    session = author.ok("POST", f"{box}/lab-sessions/", {"lab": lab_id}, status=201)
    assert [step["id"] for step in session["steps"]] == ["given", "tune"]
    assert session["steps"][0]["instructions"] == "The lab created `inbox` and put a message in it."  # filled in
    again = author.ok("POST", f"{box}/lab-sessions/", {"lab": lab_id}, status=200)
    assert again["id"] == session["id"]
    graph = author.ok("GET", f"{box}/graph/")
    [inbox] = graph["nodes"]
    assert (inbox["name"], inbox["visible"]) == ("inbox", 1)
    wait_until(lambda: len(author.ok("GET", f"{box}/calls/")["results"]) == 2)
    setup_calls = author.ok("GET", f"{box}/calls/")["results"]
    assert [call["principal_arn"].rsplit(":", 1)[1] for call in setup_calls] == ["role/playground-lab"] * 2

    report = author.ok("POST", f"/lab-sessions/{session['id']}/check/")
    assert (report["passed"], report["score"], report["max_score"]) == (False, 1, 4)
    assert report["messages"] == ["VisibilityTimeout is not 45 yet.", "Receive the welcome message."]
    assert len(author.ok("GET", f"{box}/calls/")["results"]) == 2, "a check makes no AWS call"
    url = author.ok("POST", f"{box}/aws/sqs/GetQueueUrl/", {"QueueName": "inbox"})["QueueUrl"]
    author.ok("POST", f"{box}/aws/sqs/ReceiveMessage/", {"QueueUrl": url})
    partial = author.ok("POST", f"/lab-sessions/{session['id']}/check/", {"step": "tune"})
    assert (partial["passed"], partial["score"]) == (False, 2)  # the receive counts, the timeout not yet
    assert partial["steps"][0]["checks"][1]["passed"] is True

    solved = author.ok("POST", f"/lab-sessions/{session['id']}/solve/", {"step": "tune"})
    assert solved["solved"] == ["tune"]
    done = author.ok("POST", f"/lab-sessions/{session['id']}/check/")
    assert (done["passed"], done["completed"], done["score"]) == (True, True, 4)

    author.ok("POST", f"{box}/reset/")  # the sandbox emptied: the steps stay passed
    still = author.ok("POST", f"/lab-sessions/{session['id']}/check/")
    assert (still["passed"], still["score"], still["messages"]) == (True, 4, [])
    wait_until(lambda: _types(author, box).count("lab.checked") == 2 + 1 + 2 + 2)
    assert {"lab.started", "lab.completed"} <= set(_types(author, box))


def _types(api: Api, box: str) -> list[str]:
    return [event["type"] for event in api.ok("GET", f"{box}/events/?limit=1000")["results"]]


def test_reset_empties_the_sandbox_and_runs_setup_again(author: Api, lab_id: str, sandbox: dict[str, Any]) -> None:
    box = f"/sandboxes/{sandbox['id']}"
    session = author.ok("POST", f"{box}/lab-sessions/", {"lab": lab_id}, status=201)
    author.ok("POST", f"/lab-sessions/{session['id']}/solve/")
    assert author.ok("POST", f"/lab-sessions/{session['id']}/check/")["completed"]
    author.ok("POST", f"{box}/aws/sqs/CreateQueue/", {"QueueName": "extra"})
    reset = author.ok("POST", f"/lab-sessions/{session['id']}/reset/")
    assert (reset["score"], reset["completed"], reset["status"]) == (0, False, "active")
    [inbox] = author.ok("GET", f"{box}/graph/")["nodes"]
    assert (inbox["name"], inbox["visible"]) == ("inbox", 1)
    assert author.ok("POST", f"/lab-sessions/{session['id']}/check/")["score"] == 1


def test_starting_another_lab_stops_the_first(author: Api, lab_id: str, sandbox: dict[str, Any]) -> None:
    box = f"/sandboxes/{sandbox['id']}"
    first = author.ok("POST", f"{box}/lab-sessions/", {"lab": lab_id}, status=201)
    second = author.ok("POST", f"{box}/lab-sessions/", {"lab": "kms-envelope"}, status=201)
    assert author.ok("GET", f"{box}/")["active_lab_session"] == second["id"]
    assert author.ok("GET", f"/lab-sessions/{first['id']}/")["status"] == "stopped"
    assert [s["lab"] for s in author.ok("GET", f"{box}/lab-sessions/")] == ["kms-envelope", lab_id]
    author.ok("POST", f"/lab-sessions/{second['id']}/stop/")
    assert author.ok("GET", f"{box}/")["active_lab_session"] is None


def test_bundles_are_checked_and_only_staff_upload(
    author: Api, as_user: Callable[..., Api], make_user: Callable[..., User]
) -> None:
    broken = bundle(unique("broken"))
    broken["steps"][1]["checks"][0]["where"] = {"attributes": {"VisibilityTimeout": {"$between": [1, 2]}}}
    refused = author.put(f"/labs/{broken['id']}/", broken)
    assert refused.status_code == 400
    assert refused.json()["code"] == "InvalidLabBundle"
    assert (
        "step tune checks[0].where.attributes.VisibilityTimeout: unknown operator $between" in refused.json()["message"]
    )
    wrong_call = bundle(unique("call"))
    wrong_call["steps"][0]["setup"][0]["call"] = "sqs:CreateQueues"
    assert "sqs has no operation CreateQueues" in author.put(f"/labs/{wrong_call['id']}/", wrong_call).json()["message"]
    assert "ships with this server" in author.put("/labs/sqs-decouple/", bundle("sqs-decouple")).json()["message"]
    student = as_user(make_user("reader"))
    assert student.put(f"/labs/{unique('mine')}/", bundle("x")).status_code == 403
    shipped = student.ok("GET", "/labs/sqs-decouple/")
    assert "document" not in shipped
    assert shipped["steps"][0]["instructions"].startswith("An order service")
    assert "document" in author.ok("GET", "/labs/sqs-decouple/")


class _Receiver(BaseHTTPRequestHandler):
    received: queue.Queue[tuple[dict[str, str], bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.put((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, queue.Queue[tuple[dict[str, str], bytes]]]]:
    received: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()


def test_webhooks_are_signed_and_sent_for_start_check_and_completion(
    author: Api, lab_id: str, sandbox: dict[str, Any], receiver: Any, celery_worker: Any
) -> None:
    url, received = receiver
    box = f"/sandboxes/{sandbox['id']}"
    session = author.ok(
        "POST", f"{box}/lab-sessions/", {"lab": lab_id, "webhook_url": url, "webhook_secret": "s3cret"}, status=201
    )
    author.ok("POST", f"/lab-sessions/{session['id']}/solve/")
    author.ok("POST", f"/lab-sessions/{session['id']}/check/")
    events: list[tuple[str, str | None]] = []
    while len(events) < 5:
        headers, body = received.get(timeout=15)
        expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert headers["X-Playground-Signature"] == expected
        document = json.loads(body)
        assert document["event"] == headers["X-Playground-Event"]
        assert document["session"]["id"] == session["id"]
        assert document["sandbox"]["id"] == sandbox["id"]
        events.append((document["event"], document["details"].get("step")))
    assert sorted(events, key=str) == sorted(
        [
            ("session.started", None),
            ("step.solved", None),
            ("step.checked", "given"),
            ("step.checked", "tune"),
            ("lab.completed", None),
        ],
        key=str,
    )


def test_students_cannot_set_webhooks(as_user: Callable[..., Api], make_user: Callable[..., User]) -> None:
    student = as_user(make_user("pupil"))
    box = student.ok("POST", "/sandboxes/", {"name": "mine"}, status=201)
    refused = student.post(
        f"/sandboxes/{box['id']}/lab-sessions/", {"lab": "kms-envelope", "webhook_url": "http://127.0.0.1:1/"}
    )
    assert refused.status_code == 403
