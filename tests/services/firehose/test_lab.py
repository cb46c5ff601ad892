"""The Firehose lab bundle end to end over the REST API, as the labs tests run the shipped ones:
each step's check fails, its solve passes it, and the session completes with every point; checks
give partial credit; a reset empties the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import Api, User, unique
from tests.labs.conftest import _remove_the_sandboxes_made_here, as_user, make_user  # noqa: F401  (fixtures)
from tests.labs.test_shipped_labs import _run_lab

pytestmark = pytest.mark.live

LAB = "firehose-capture-load"


@pytest.fixture
def student(as_user: Callable[..., Api], make_user: Callable[..., User]) -> tuple[Api, dict[str, Any]]:  # noqa: F811
    api = as_user(make_user("loader"))
    return api, api.ok("POST", "/sandboxes/", {"name": unique("lab")}, status=201)


def test_the_capture_and_load_lab_runs_end_to_end(student: tuple[Api, dict[str, Any]]) -> None:
    api, sandbox = student
    labs = {lab["id"]: lab for lab in api.ok("GET", "/labs/")}
    assert labs[LAB]["available"]
    _run_lab(api, sandbox, LAB)
    nodes = {node["name"]: node for node in api.ok("GET", f"/sandboxes/{sandbox['id']}/graph/")["nodes"]}
    assert nodes["clicks-to-lake"]["objects_out"] == 2
    assert nodes["clickstream-lake"]["objects"] == 2


def test_partial_credit_then_reset(student: tuple[Api, dict[str, Any]]) -> None:
    api, sandbox = student
    session = api.ok("POST", f"/sandboxes/{sandbox['id']}/lab-sessions/", {"lab": LAB}, status=201)
    aws = f"/sandboxes/{sandbox['id']}/aws"
    api.ok("POST", f"{aws}/s3/CreateBucket/", {"Bucket": "clickstream-lake"})
    destination = {
        "RoleARN": "arn:aws:iam::123456789012:role/firehose-delivery",
        "BucketARN": "arn:aws:s3:::clickstream-lake",
    }
    api.ok(
        "POST",
        f"{aws}/firehose/CreateDeliveryStream/",
        {"DeliveryStreamName": "clicks-to-lake", "ExtendedS3DestinationConfiguration": destination},
    )
    checked = api.ok("POST", f"/lab-sessions/{session['id']}/check/")
    assert checked["completed"] is False
    # The bucket (1) and the stream to it (1); the default 300 s interval and CREATING fail the rest.
    assert checked["score"] == 2
    api.ok("POST", f"/sandboxes/{sandbox['id']}/clock/advance/", {"seconds": 5})
    assert api.ok("POST", f"/lab-sessions/{session['id']}/check/")["score"] == 3
    api.ok("POST", f"/lab-sessions/{session['id']}/reset/")
    assert api.ok("GET", f"/sandboxes/{sandbox['id']}/graph/")["nodes"] == []
