"""Secrets: access-key secrets and session tokens are encrypted at rest; an instructor never sees a
student's; and nothing a user sends or gets back as a secret (secret access keys, session tokens,
KMS plaintexts and data keys, passwords) reaches the server's log, the call records, the live events
or the REST API's views of them."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from typing import Any

import boto3
import pytest
import requests

from tests.api.conftest import Classroom, login
from tests.conftest import NO_RETRY, Server
from tests.security.conftest import Student
from tests.waiting import wait_until

pytestmark = pytest.mark.live


def _access_key_rows(sandbox_id: int) -> list[tuple[Any, ...]]:
    """The access-key table's rows for the sandbox, every column, as the database holds them."""
    from django.db import connection

    from playground.sandboxes.models import AccessKey

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AccessKey._meta.db_table} WHERE sandbox_id = %s", [sandbox_id])  # noqa: S608
        return list(cursor.fetchall())


def test_secrets_and_session_tokens_are_encrypted_at_rest(
    strict_server: Server, student: Callable[[], Student], db_access: None
) -> None:
    from playground.sandboxes.models import AccessKey

    alice = student()
    temporary = alice.client(strict_server, "sts").get_session_token()["Credentials"]
    rows = _access_key_rows(alice.sandbox["id"])
    assert len(rows) == 2
    stored = json.dumps(rows, default=str)
    for secret in (alice.secret, temporary["SecretAccessKey"], temporary["SessionToken"]):
        assert secret not in stored
    assert alice.key_id in stored  # the row is there; only its secret is unreadable without the master key
    assert AccessKey.objects.get(access_key_id=alice.key_id).secret_access_key == alice.secret


def test_an_instructor_never_sees_a_students_secret(
    strict_server: Server, classroom: Classroom, student: Callable[[], Student]
) -> None:
    alice = student()
    box = f"/sandboxes/{alice.sandbox['id']}"
    teacher = classroom.api
    seen = [
        teacher.get(f"{box}/"),
        teacher.get(f"{box}/credentials/"),
        teacher.get(f"/classrooms/{classroom.id}/students/"),
    ]
    browser = login(strict_server, classroom.instructor.username, classroom.instructor.password)
    seen += [
        browser.get(f"{strict_server.url}{box}/", timeout=30),
        browser.get(f"{strict_server.url}/classrooms/{classroom.id}/", timeout=30),
    ]
    assert [response.status_code for response in seen] == [200] * len(seen)
    assert [response.request.url for response in seen if alice.secret in response.text] == []


def _secret_traffic(server: Server, alice: Student) -> list[str]:
    """Calls that carry secrets one way or the other; returns every secret that went by."""
    sts = alice.client(server, "sts")
    temporary = sts.get_session_token()["Credentials"]
    session = boto3.client(
        "sts",
        endpoint_url=server.url,
        region_name=alice.sandbox["region"],
        aws_access_key_id=temporary["AccessKeyId"],
        aws_secret_access_key=temporary["SecretAccessKey"],
        aws_session_token=temporary["SessionToken"],
        config=NO_RETRY,
    )
    assert session.get_caller_identity()["Account"] == alice.sandbox["account_id"]
    kms = alice.client(server, "kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    plaintext = f"kms-plaintext-{secrets.token_hex(8)}"
    blob = kms.encrypt(KeyId=key, Plaintext=plaintext.encode())["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext.encode()
    data_key = kms.generate_data_key(KeyId=key, KeySpec="AES_256")["Plaintext"]
    # Through the REST API's console door too (the GUI's way to call AWS).
    console = alice.api.ok(
        "POST",
        f"/sandboxes/{alice.sandbox['id']}/aws/kms/Encrypt/",
        {"KeyId": key, "Plaintext": base64.b64encode(plaintext.encode()).decode()},
    )
    assert console["KeyId"].endswith(key)
    # Passwords: a wrong one and the right one, on the login form and the token endpoint.
    wrong = f"wrong-{secrets.token_hex(6)}"
    requests.post(f"{server.url}/api/token/", json={"username": alice.user.username, "password": wrong}, timeout=30)
    login(server, alice.user.username, alice.user.password)
    return [
        alice.secret,
        temporary["SecretAccessKey"],
        temporary["SessionToken"],
        plaintext,
        base64.b64encode(plaintext.encode()).decode(),
        base64.b64encode(data_key).decode(),
        data_key.hex(),
        wrong,
        alice.user.password,
    ]


def test_no_secret_reaches_the_log_the_call_records_or_the_events(
    strict_server: Server, student: Callable[[], Student], db_access: None
) -> None:
    from playground.gateway.models import ApiCall
    from playground.live.models import LiveEvent

    alice = student()
    sent = _secret_traffic(strict_server, alice)
    box = alice.sandbox["id"]
    wait_until(lambda: ApiCall.objects.filter(sandbox_id=box, operation="GenerateDataKey").exists())
    wait_until(lambda: ApiCall.objects.filter(sandbox_id=box, operation="Encrypt").count() == 2)
    records = json.dumps(list(ApiCall.objects.filter(sandbox_id=box).values()), default=str)
    events = json.dumps(list(LiveEvent.objects.filter(sandbox_id=box).values("payload")), default=str)
    calls = alice.api.get(f"/sandboxes/{box}/calls/").text
    listed_events = alice.api.get(f"/sandboxes/{box}/events/").text
    assert "GetSessionToken" in records
    assert "Encrypt" in events
    places = {
        "server log": strict_server.log_text(),
        "call records": records,
        "live events": events,
        "GET calls/": calls,
        "GET events/": listed_events,
    }
    leaked = {place: [s[:12] for s in sent if s in text] for place, text in places.items()}
    assert {place: found for place, found in leaked.items() if found} == {}
