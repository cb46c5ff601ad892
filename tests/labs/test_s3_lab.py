"""The S3 lab (labs/s3-claim-check) over the REST API, as the shipped labs are run: each step fails
before its solve and passes after it; partial credit for a step half done; a reset empties the
sandbox (the bucket and its objects too) and runs the lab's setup again."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import Api, User, unique
from tests.labs.test_shipped_labs import _run_lab

pytestmark = pytest.mark.live

LAB = "s3-claim-check"


@pytest.fixture
def student(as_user: Callable[..., Api], make_user: Callable[..., User]) -> tuple[Api, dict[str, Any]]:
    api = as_user(make_user("learner"))
    return api, api.ok("POST", "/sandboxes/", {"name": unique("lab")}, status=201)


def test_large_payloads_and_s3_events(student: tuple[Api, dict[str, Any]]) -> None:
    api, sandbox = student
    assert {lab["id"]: lab for lab in api.ok("GET", "/labs/")}[LAB]["available"]
    _run_lab(api, sandbox, LAB)
    graph = api.ok("GET", f"/sandboxes/{sandbox['id']}/graph/")
    [bucket] = [node for node in graph["nodes"] if node["type"] == "bucket"]
    assert (bucket["name"], bucket["objects"]) == ("order-documents", 2)
    assert any(edge["type"] == "notification" and edge["source"] == bucket["id"] for edge in graph["edges"])


def test_an_object_outside_incoming_earns_part_of_the_upload_step(student: tuple[Api, dict[str, Any]]) -> None:
    api, sandbox = student
    box = f"/sandboxes/{sandbox['id']}"
    session = api.ok("POST", f"{box}/lab-sessions/", {"lab": LAB}, status=201)
    api.ok("POST", f"{box}/aws/s3/CreateBucket/", {"Bucket": "order-documents"})
    body = base64.b64encode(b'{"order": 1001}').decode()
    api.ok("POST", f"{box}/aws/s3/PutObject/", {"Bucket": "order-documents", "Key": "order-1001.json", "Body": body})
    checked = api.ok("POST", f"/lab-sessions/{session['id']}/check/", {"step": "upload"})
    assert checked["passed"] is False
    assert checked["score"] == 1  # the object is there, but not under incoming/
    assert checked["messages"] == [
        "No object's key starts with incoming/ yet (the key is the whole path: incoming/order-1001.json)."
    ]


def test_reset_empties_the_bucket_and_makes_the_queue_again(student: tuple[Api, dict[str, Any]]) -> None:
    api, sandbox = student
    box = f"/sandboxes/{sandbox['id']}"
    session = api.ok("POST", f"{box}/lab-sessions/", {"lab": LAB}, status=201)
    api.ok("POST", f"/lab-sessions/{session['id']}/solve/")
    assert api.ok("POST", f"/lab-sessions/{session['id']}/check/")["completed"]
    reset = api.ok("POST", f"/lab-sessions/{session['id']}/reset/")
    assert (reset["score"], reset["completed"], reset["status"]) == (0, False, "active")
    nodes = api.ok("GET", f"{box}/graph/")["nodes"]
    assert [(node["type"], node["name"]) for node in nodes] == [("queue", "orders")]
    buckets = api.ok("POST", f"{box}/aws/s3/ListBuckets/", {})
    assert buckets.get("Buckets", []) == []
