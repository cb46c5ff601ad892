"""Strict mode, every door: a student (or the instructor of another class) can neither read nor
change someone else's sandbox. The routes tried are read from the URL configuration, so a route
added later is tried too; tests/api/test_isolation.py covers what an instructor may do in their own
students' sandboxes.

REST and GUI answer 404 as if the sandbox did not exist, the WebSocket refuses to open, and the AWS
API answers as for a resource of another account that does not exist in the caller's (AWS would
say AccessDenied for some; either way nothing is read or changed)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.api.conftest import Classroom, login, token_api
from tests.conftest import Server
from tests.security.conftest import Student, api_routes, unsafe_methods

pytestmark = pytest.mark.live

# Route parameters that name something someone owns.
OWNED = {"sandbox_id", "classroom_id", "session_id", "enrollment_id", "access_key_id"}
BODY = {"seconds": 60, "speed": 2, "lab": "sqs-decouple", "name": "mine now", "code": "X", "username": "x"}


def _values(alice: Student, classroom: Classroom, session_id: int) -> dict[str, Any]:
    return {
        "sandbox_id": alice.sandbox["id"],
        "access_key_id": alice.key_id,
        "classroom_id": classroom.id,
        "enrollment_id": alice.enrollment_id,
        "session_id": session_id,
        "lab_id": "sqs-decouple",
        "service": "sqs",
        "operation": "ListQueues",
    }


def _path(name: str, pattern: URLPattern, values: dict[str, Any]) -> str:
    return reverse(name, kwargs={key: values[key] for key in pattern.pattern.converters})


def _gui_routes() -> Iterator[tuple[str, URLPattern]]:
    """The GUI's pages and endpoints that name a sandbox or a classroom."""

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[tuple[str, URLPattern]]:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry, prefix + str(entry.pattern), inner)
            elif entry.name and not (prefix + str(entry.pattern)).startswith(("api/", "admin/")):
                yield namespace + entry.name, entry

    for name, pattern in walk(get_resolver(), "", ""):
        if OWNED & set(pattern.pattern.converters):
            yield name, pattern


@pytest.fixture
def world(
    strict_server: Server,
    classroom: Classroom,
    student: Callable[[], Student],
    make_classroom: Callable[..., Classroom],
) -> dict[str, Any]:
    """Alice, with a queue and a lab session; Bob, her classmate; Mallory, who teaches another class."""
    alice, bob = student(), student()
    alice.client(strict_server, "sqs").create_queue(QueueName="private")
    session = alice.api.ok("POST", f"/sandboxes/{alice.sandbox['id']}/lab-sessions/", {"lab": "sqs-decouple"})
    return {"alice": alice, "bob": bob, "mallory": make_classroom(strict_server).instructor, "session": session["id"]}


def _alice_untouched(strict_server: Server, alice: Student) -> None:
    box = f"/sandboxes/{alice.sandbox['id']}"
    assert alice.api.ok("GET", f"{box}/clock/")["paused"] is False
    [key] = alice.api.ok("GET", f"{box}/credentials/")
    assert (key["access_key_id"], key["status"]) == (alice.key_id, "Active")
    assert [url.rsplit("/", 1)[1] for url in alice.client(strict_server, "sqs").list_queues()["QueueUrls"]] == [
        "private"
    ]


def test_rest_api_routes_of_another_sandbox_or_class_answer_404(
    strict_server: Server, classroom: Classroom, world: dict[str, Any]
) -> None:
    alice, bob = world["alice"], world["bob"]
    values = _values(alice, classroom, world["session"])
    intruders = {"bob": bob.api, "mallory": token_api(strict_server, world["mallory"])}
    leaks = []
    tried = 0
    for name, pattern in api_routes():
        if not OWNED & set(pattern.pattern.converters):
            continue
        path = _path(name, pattern, values).removeprefix("/api")
        methods = (["get"] if hasattr(pattern.callback.cls, "get") else []) + unsafe_methods(pattern)  # type: ignore[attr-defined]
        for who, api in intruders.items():
            if who == "bob" and "classroom_id" in pattern.pattern.converters:
                continue  # a student of the class: tests/api/test_classroom.py says what they may see
            for method in methods:
                response = api.session.request(method, api.url(path), json=BODY, timeout=30)
                tried += 1
                if response.status_code != 404:
                    leaks.append((who, method.upper(), path, response.status_code, response.text[:200]))
    assert tried > 40
    assert leaks == []
    _alice_untouched(strict_server, alice)


def _socket(server: Server, sandbox_id: int, session: requests.Session) -> Any:
    url = server.url.replace("http://", "ws://") + f"/ws/sandboxes/{sandbox_id}/"
    headers = {"Cookie": f"sessionid={session.cookies['sessionid']}", "Origin": server.url}
    return connect(url, additional_headers=headers, open_timeout=10)


def test_gui_pages_and_socket_of_another_sandbox_or_class_are_closed(
    strict_server: Server, classroom: Classroom, world: dict[str, Any]
) -> None:
    alice, bob, mallory = world["alice"], world["bob"], world["mallory"]
    values = _values(alice, classroom, world["session"])
    browsers = {"bob": bob.browser(strict_server), "mallory": login(strict_server, mallory.username, mallory.password)}
    arn = f"arn:aws:sqs:{alice.sandbox['region']}:{alice.sandbox['account_id']}:private"
    leaks = []
    routes = list(_gui_routes())
    assert {"sandbox", "sandbox-layout", "sqs:peek", "classroom", "classroom-student-reset"} <= {
        name for name, _ in routes
    }
    for name, pattern in routes:
        url = strict_server.url + _path(name, pattern, values)
        for who, browser in browsers.items():
            token = browser.cookies["csrftoken"]
            read = browser.get(url, params={"arn": arn}, timeout=30, allow_redirects=False)
            write = browser.post(
                url,
                data={"action": "pause", "csv_text": "username\nx\n", "csrfmiddlewaretoken": token},
                headers={"Origin": strict_server.url},
                timeout=30,
                allow_redirects=False,
            )
            # 405 (a method the route never takes) is what a sandbox that does not exist gets too.
            if read.status_code not in (404, 405) or write.status_code not in (404, 405):
                leaks.append((who, name, read.status_code, write.status_code))
    assert leaks == []
    for browser in browsers.values():
        with pytest.raises(InvalidStatus) as refused, _socket(strict_server, alice.sandbox["id"], browser):
            pass
        assert refused.value.response.status_code == 403
    _alice_untouched(strict_server, alice)
    assert classroom.api.ok("GET", f"/classrooms/{classroom.id}/")["join_code"]


def _aws_attempts(alice: dict[str, Any], bob: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    """What Bob tries with Alice's queue URL, topic ARN, key ARN, alias and ciphertext."""
    sqs, sns, kms = bob["sqs"], bob["sns"], bob["kms"]
    url, queue_arn, topic, key, alias = alice["url"], alice["queue_arn"], alice["topic"], alice["key"], alice["alias"]
    return {
        "sqs.SendMessage": lambda: sqs.send_message(QueueUrl=url, MessageBody="injected"),
        "sqs.SendMessageBatch": lambda: sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "injected"}]
        ),
        "sqs.ReceiveMessage": lambda: sqs.receive_message(QueueUrl=url),
        "sqs.DeleteMessage": lambda: sqs.delete_message(QueueUrl=url, ReceiptHandle="x" * 20),
        "sqs.ChangeMessageVisibility": lambda: sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle="x" * 20, VisibilityTimeout=0
        ),
        "sqs.PurgeQueue": lambda: sqs.purge_queue(QueueUrl=url),
        "sqs.GetQueueAttributes": lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]),
        "sqs.SetQueueAttributes": lambda: sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "9"}),
        "sqs.TagQueue": lambda: sqs.tag_queue(QueueUrl=url, Tags={"owner": "bob"}),
        "sqs.ListQueueTags": lambda: sqs.list_queue_tags(QueueUrl=url),
        "sqs.AddPermission": lambda: sqs.add_permission(
            QueueUrl=url, Label="bob", AWSAccountIds=[bob["account"]], Actions=["*"]
        ),
        "sqs.DeleteQueue": lambda: sqs.delete_queue(QueueUrl=url),
        "sqs.GetQueueUrl": lambda: sqs.get_queue_url(QueueName="private", QueueOwnerAWSAccountId=alice["account"]),
        "sqs.ListDeadLetterSourceQueues": lambda: sqs.list_dead_letter_source_queues(QueueUrl=url),
        "sqs.StartMessageMoveTask": lambda: sqs.start_message_move_task(SourceArn=queue_arn),
        "sns.Publish": lambda: sns.publish(TopicArn=topic, Message="injected"),
        "sns.Subscribe": lambda: sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=bob["queue_arn"]),
        "sns.GetTopicAttributes": lambda: sns.get_topic_attributes(TopicArn=topic),
        "sns.SetTopicAttributes": lambda: sns.set_topic_attributes(
            TopicArn=topic, AttributeName="DisplayName", AttributeValue="bob"
        ),
        "sns.ListSubscriptionsByTopic": lambda: sns.list_subscriptions_by_topic(TopicArn=topic),
        "sns.AddPermission": lambda: sns.add_permission(
            TopicArn=topic, Label="bob", AWSAccountId=[bob["account"]], ActionName=["Publish"]
        ),
        "sns.TagResource": lambda: sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "owner", "Value": "bob"}]),
        "sns.DeleteTopic": lambda: sns.delete_topic(TopicArn=topic),
        "kms.DescribeKey": lambda: kms.describe_key(KeyId=key),
        "kms.DescribeKey(alias)": lambda: kms.describe_key(KeyId=alias),
        "kms.Encrypt": lambda: kms.encrypt(KeyId=key, Plaintext=b"bob"),
        "kms.GenerateDataKey": lambda: kms.generate_data_key(KeyId=key, KeySpec="AES_256"),
        "kms.Decrypt": lambda: kms.decrypt(CiphertextBlob=alice["ciphertext"]),
        "kms.ReEncrypt": lambda: kms.re_encrypt(CiphertextBlob=alice["ciphertext"], DestinationKeyId=bob["key"]),
        "kms.DisableKey": lambda: kms.disable_key(KeyId=key),
        "kms.ScheduleKeyDeletion": lambda: kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7),
        "kms.GetKeyPolicy": lambda: kms.get_key_policy(KeyId=key, PolicyName="default"),
        "kms.CreateGrant": lambda: kms.create_grant(
            KeyId=key, GranteePrincipal=f"arn:aws:iam::{bob['account']}:root", Operations=["Decrypt"]
        ),
        "kms.TagResource": lambda: kms.tag_resource(KeyId=key, Tags=[{"TagKey": "owner", "TagValue": "bob"}]),
    }


# What AWS or we answer for a resource of another account the caller has no right to.
REFUSALS = {
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "AccessDenied",
    "NotFound",
    "AuthorizationError",
    "NotFoundException",
    "AccessDeniedException",
    "InvalidCiphertextException",
    "ResourceNotFoundException",
    "ResourceNotFound",
}


def test_aws_api_refuses_every_call_on_another_accounts_resources(strict_server: Server, world: dict[str, Any]) -> None:
    alice_s, bob_s = world["alice"], world["bob"]
    sqs = alice_s.client(strict_server, "sqs")
    url = sqs.get_queue_url(QueueName="private")["QueueUrl"]
    kms = alice_s.client(strict_server, "kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/alice", TargetKeyId=key)
    alice = {
        "account": alice_s.sandbox["account_id"],
        "url": url,
        "queue_arn": sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"],
        "topic": alice_s.client(strict_server, "sns").create_topic(Name="news")["TopicArn"],
        "key": key,
        "alias": f"arn:aws:kms:{alice_s.sandbox['region']}:{alice_s.sandbox['account_id']}:alias/alice",
        "ciphertext": kms.encrypt(KeyId=key, Plaintext=b"alice's")["CiphertextBlob"],
    }
    bob_sqs = bob_s.client(strict_server, "sqs")
    bob_queue = bob_sqs.create_queue(QueueName="inbox")["QueueUrl"]
    bob = {
        "account": bob_s.sandbox["account_id"],
        "sqs": bob_sqs,
        "sns": bob_s.client(strict_server, "sns"),
        "kms": bob_s.client(strict_server, "kms"),
        "queue_arn": bob_sqs.get_queue_attributes(QueueUrl=bob_queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ],
        "key": bob_s.client(strict_server, "kms").create_key()["KeyMetadata"]["KeyId"],
    }
    answers = {}
    for name, attempt in _aws_attempts(alice, bob).items():
        try:
            answers[name] = f"answered {json.dumps(attempt(), default=str)[:200]}"
        except ClientError as refused:
            answers[name] = refused.response["Error"]["Code"]
    assert {name: code for name, code in answers.items() if code not in REFUSALS} == {}
    # Nothing of Alice's moved.
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["DelaySeconds"]) == ("0", "0")
    assert (
        alice_s.client(strict_server, "sns").list_subscriptions_by_topic(TopicArn=alice["topic"])["Subscriptions"] == []
    )
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.decrypt(CiphertextBlob=alice["ciphertext"])["Plaintext"] == b"alice's"
