"""What S3 puts on the diagram and what its own pages serve, read as the GUI and the lab checks read
them: the sandbox's graph over the REST API after boto3 calls (a bucket node with its object count,
size and top-level folders; a notification edge per destination with its events and key filter),
and S3's browse, upload and download views over HTTP with a signed-in session."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
from botocore.config import Config

from tests.api.conftest import login
from tests.conftest import SandboxInfo, Server
from tests.waiting import wait_until

pytestmark = pytest.mark.live


@pytest.fixture(autouse=True)
def _s3_emulated() -> None:
    from playground.gateway.registry import provider_for

    if provider_for("s3") is None:
        pytest.skip("S3 is not emulated yet (services/s3)")


@pytest.fixture
def owner(make_sandbox: Callable[..., SandboxInfo]) -> SandboxInfo:
    return make_sandbox("s3 views", username=f"s3-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def session(daphne: Server, owner: SandboxInfo, db_access: None) -> requests.Session:
    from playground.sandboxes.models import Sandbox

    user = Sandbox.objects.get(pk=owner.id).owner
    assert user is not None
    signed_in = login(daphne, user.username, f"pw-{user.username}")
    signed_in.headers["X-CSRFToken"] = signed_in.cookies["csrftoken"]
    return signed_in


@pytest.fixture
def s3(aws: Callable[..., Any], owner: SandboxInfo) -> Any:
    return aws("s3", info=owner, config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}))


def graph(daphne: Server, session: requests.Session, owner: SandboxInfo) -> dict[str, Any]:
    response = session.get(f"{daphne.url}/api/sandboxes/{owner.id}/graph/", timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_bucket_node_counts_its_current_objects_and_their_bytes(
    daphne: Server, session: requests.Session, owner: SandboxInfo, s3: Any
) -> None:
    s3.create_bucket(Bucket="docs")
    s3.put_object(Bucket="docs", Key="readme.txt", Body=b"12345")
    s3.put_object(Bucket="docs", Key="incoming/a.json", Body=b"x" * 100)
    s3.put_object(Bucket="docs", Key="incoming/b.json", Body=b"y" * 20)
    s3.put_object(Bucket="docs", Key="archive/2026/old.json", Body=b"z")
    s3.put_object(Bucket="docs", Key="readme.txt", Body=b"123")  # replaced: counted once, at its new size
    s3.delete_object(Bucket="docs", Key="archive/2026/old.json")
    [node] = [n for n in graph(daphne, session, owner)["nodes"] if n["service"] == "s3"]
    assert node["id"] == "arn:aws:s3:::docs"
    assert (node["type"], node["name"], node["region"]) == ("bucket", "docs", owner.region)
    assert (node["objects"], node["size"]) == (3, 123)
    assert node["folders"] == ["incoming/"]
    assert node["versioning"] == "Disabled"


def test_delete_markers_and_old_versions_are_not_current_objects(
    daphne: Server, session: requests.Session, owner: SandboxInfo, s3: Any
) -> None:
    s3.create_bucket(Bucket="history")
    s3.put_bucket_versioning(Bucket="history", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="history", Key="a.txt", Body=b"one")
    s3.put_object(Bucket="history", Key="a.txt", Body=b"three")
    s3.put_object(Bucket="history", Key="b.txt", Body=b"gone")
    s3.delete_object(Bucket="history", Key="b.txt")
    [node] = [n for n in graph(daphne, session, owner)["nodes"] if n["service"] == "s3"]
    # Stored bytes count every version (3 + 5 + 4), as S3 bills them; the delete marker has none.
    assert (node["objects"], node["size"], node["versioning"]) == (1, 12, "Enabled")


def _allow_s3(sqs: Any, queue_url: str, queue_arn: str, bucket: str) -> None:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"}},
    }
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": policy})


def test_each_notification_configuration_is_an_edge_with_its_events_and_filter(
    daphne: Server, session: requests.Session, owner: SandboxInfo, s3: Any, aws: Callable[..., Any]
) -> None:
    sqs = aws("sqs", info=owner)
    queue_url = sqs.create_queue(QueueName="new-docs")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.create_bucket(Bucket="inbox")
    _allow_s3(sqs, queue_url, queue_arn, "inbox")
    s3.put_bucket_notification_configuration(
        Bucket="inbox",
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "json-in",
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {
                        "Key": {
                            "FilterRules": [{"Name": "prefix", "Value": "in/"}, {"Name": "suffix", "Value": ".json"}]
                        }
                    },
                },
                {"Id": "removed", "QueueArn": queue_arn, "Events": ["s3:ObjectRemoved:*"]},
            ]
        },
    )
    drawn = graph(daphne, session, owner)
    edges = sorted((e for e in drawn["edges"] if e["type"] == "notification"), key=lambda e: e["configuration_id"])
    assert [
        (e["source"], e["target"], e["configuration_id"], e["events"], e["prefix"], e["suffix"], e["label"])
        for e in edges
    ] == [
        (
            "arn:aws:s3:::inbox",
            queue_arn,
            "json-in",
            ["s3:ObjectCreated:*"],
            "in/",
            ".json",
            "ObjectCreated:* in/*.json",
        ),
        ("arn:aws:s3:::inbox", queue_arn, "removed", ["s3:ObjectRemoved:*"], "", "", "ObjectRemoved:*"),
    ]
    assert {e["service"] for e in edges} == {"s3"}
    [node] = [n for n in drawn["nodes"] if n["service"] == "s3"]
    assert node["notifications"] == 2

    s3.put_bucket_notification_configuration(Bucket="inbox", NotificationConfiguration={})
    assert [e for e in graph(daphne, session, owner)["edges"] if e["type"] == "notification"] == []


def test_the_resources_endpoint_describes_a_bucket(
    daphne: Server, session: requests.Session, owner: SandboxInfo, s3: Any
) -> None:
    s3.create_bucket(Bucket="described")
    s3.put_object(Bucket="described", Key="top.txt", Body=b"t")
    s3.put_object(Bucket="described", Key="sub/inner.txt", Body=b"i")
    response = session.get(
        f"{daphne.url}/api/sandboxes/{owner.id}/resources/", params={"arn": "arn:aws:s3:::described"}, timeout=30
    )
    assert response.status_code == 200, response.text
    listing = response.json()["listing"]
    assert listing["folders"] == ["sub/"]
    assert [entry["key"] for entry in listing["objects"]] == ["top.txt"]


# --- S3's own pages: browse, upload, download ------------------------------------------------------------------


def test_browse_lists_one_level_as_folders_and_objects(
    daphne: Server, session: requests.Session, owner: SandboxInfo, s3: Any
) -> None:
    s3.create_bucket(Bucket="tree")
    for key in ("a.txt", "photos/2026/cat.jpg", "photos/dog.jpg", "photos/2025/old.jpg", "zeta/z.txt"):
        s3.put_object(Bucket="tree", Key=key, Body=key.encode())
    url = f"{daphne.url}/s3/sandboxes/{owner.id}/browse/"
    top = session.get(url, params={"bucket": "tree"}, timeout=30).json()
    assert (top["folders"], [o["key"] for o in top["objects"]]) == (["photos/", "zeta/"], ["a.txt"])
    photos = session.get(url, params={"bucket": "tree", "prefix": "photos/"}, timeout=30).json()
    assert photos["folders"] == ["photos/2025/", "photos/2026/"]
    assert [(o["key"], o["size"]) for o in photos["objects"]] == [("photos/dog.jpg", len("photos/dog.jpg"))]
    missing = session.get(url, params={"bucket": "nope"}, timeout=30)
    assert (missing.status_code, missing.json()["code"]) == (404, "NoSuchBucket")


def test_upload_and_download_are_put_and_get_object_calls(
    daphne: Server, session: requests.Session, owner: SandboxInfo, s3: Any
) -> None:
    s3.create_bucket(Bucket="transfer")
    url = f"{daphne.url}/s3/sandboxes/{owner.id}/objects/"
    data = bytes(range(256)) * 4096  # 1 MiB, every byte value
    stored = session.post(
        url,
        params={"bucket": "transfer", "key": "bin/all bytes.bin"},
        data=data,
        headers={"Content-Type": "application/octet-stream"},
        timeout=60,
    )
    assert stored.status_code == 200, stored.text
    assert stored.json()["size"] == len(data)
    head = s3.head_object(Bucket="transfer", Key="bin/all bytes.bin")
    assert (head["ContentLength"], head["ContentType"]) == (len(data), "application/octet-stream")
    assert stored.json()["ETag"] == head["ETag"]

    fetched = session.get(url, params={"bucket": "transfer", "key": "bin/all bytes.bin"}, timeout=60)
    assert fetched.status_code == 200
    assert fetched.content == data
    assert fetched.headers["Content-Disposition"].startswith('attachment; filename="all bytes.bin"')

    # Both are recorded as the console's calls, which the activity panel and lab checks read. The
    # call log is written behind the answer (a download's entry once its last byte is sent).
    def transfers() -> list[str]:
        calls = session.get(f"{daphne.url}/api/sandboxes/{owner.id}/calls/", params={"service": "s3"}, timeout=30)
        operations = [call["operation"] for call in calls.json()["results"]]
        return [op for op in operations if op in ("PutObject", "GetObject")]

    wait_until(lambda: len(transfers()) == 2, timeout=30)
    assert transfers() == ["PutObject", "GetObject"]


def test_upload_and_download_answer_aws_errors(daphne: Server, session: requests.Session, owner: SandboxInfo) -> None:
    url = f"{daphne.url}/s3/sandboxes/{owner.id}/objects/"
    refused = session.post(url, params={"bucket": "absent", "key": "k"}, data=b"x", timeout=30)
    assert (refused.status_code, refused.json()) == (
        404,
        {"code": "NoSuchBucket", "message": "The specified bucket does not exist"},
    )
    missing = session.get(url, params={"bucket": "absent", "key": "k"}, timeout=30)
    assert (missing.status_code, missing.json()["code"]) == (404, "NoSuchBucket")


def test_another_users_sandbox_is_not_found(
    daphne: Server, session: requests.Session, make_sandbox: Callable[..., SandboxInfo]
) -> None:
    other = make_sandbox("not yours")
    for path in ("browse", "objects"):
        response = session.get(f"{daphne.url}/s3/sandboxes/{other.id}/{path}/", params={"bucket": "b"}, timeout=30)
        assert response.status_code == 404
