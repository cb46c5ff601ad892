"""The instructor's read-only view of a student's diagram shows what the student sees, a queue's
settings included (read without an AWS call in the student's sandbox, so their call history stays
theirs); and resetting a sandbox keeps the call history the instructor grades from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from playwright.sync_api import expect

from tests.classroom.conftest import Pupil, Room
from tests.conftest import NO_RETRY, Server
from tests.e2e.gui import Gui
from tests.waiting import wait_until

pytestmark = pytest.mark.live


def _client(server: Server, pupil: Pupil, service: str) -> Any:
    return boto3.client(
        service, endpoint_url=server.url, region_name=pupil.region, config=NO_RETRY,
        aws_access_key_id=pupil.access_key_id, aws_secret_access_key=pupil.secret_access_key,
    )  # fmt: skip


def test_the_read_only_view_shows_the_queue_settings_the_student_sees(
    room: Callable[..., Room], daphne: Server, db_access: None
) -> None:
    from playground.gateway.models import ApiCall

    classroom = room(students=1)
    [pupil] = classroom.students
    sqs = _client(daphne, pupil, "sqs")
    url = sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "45", "DelaySeconds": "5"})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns = _client(daphne, pupil, "sns")
    topic = sns.create_topic(Name="alerts", Attributes={"DisplayName": "Alerts!"})["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    key_id = _client(daphne, pupil, "kms").create_key(Description="envelope key")["KeyMetadata"]["KeyId"]

    student = Gui(classroom.student_page(pupil), "student")
    student.select("orders")
    mine = student.inspector.locator('[data-attribute="VisibilityTimeout"]')
    expect(mine.locator("input")).to_have_value("45")

    # The student's inspector read the queue (GetQueueAttributes, after the set-up's own): once the
    # call log has it, nothing of the student's is still on its way.
    reads = ApiCall.objects.filter(sandbox_id=pupil.sandbox_id, operation="GetQueueAttributes")
    wait_until(lambda: reads.count() >= 2, timeout=10)
    calls_before = ApiCall.objects.filter(sandbox_id=pupil.sandbox_id).count()
    page = classroom.page_as(classroom.instructor, f"/sandboxes/{pupil.sandbox_id}/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    teacher = Gui(page, "teacher")
    teacher.select("orders")
    settings = teacher.inspector.locator('[data-form="settings"]')
    for name, value in (("VisibilityTimeout", "45"), ("DelaySeconds", "5"), ("MessageRetentionPeriod", "345600")):
        expect(settings.locator(f'[data-attribute="{name}"]')).to_contain_text(value)
    expect(settings.locator("input")).to_have_count(0)  # shown, not editable
    expect(settings.get_by_role("button", name="Save settings")).to_have_count(0)

    teacher.select("alerts")
    subscription = teacher.inspector.locator(f'[data-subscriptions] .insp-sub-item[data-endpoint="{queue_arn}"]')
    expect(subscription).to_contain_text("sqs → orders")
    expect(teacher.inspector.locator('[data-attribute="DisplayName"]')).to_be_attached()
    expect(teacher.inspector.locator('input[name="DisplayName"]')).to_have_value("Alerts!")

    teacher.settle()
    teacher.node_labelled(key_id).locator(".pg-name").click()
    expect(teacher.inspector.locator('[data-attribute="KeyState"]')).to_contain_text("Enabled")
    expect(teacher.inspector.locator('input[name="Description"]')).to_have_value("envelope key")
    expect(page.locator("#toasts .toast-error")).to_have_count(0)
    # The instructor's look made no call in the student's sandbox.
    assert ApiCall.objects.filter(sandbox_id=pupil.sandbox_id).count() == calls_before


def test_resetting_a_students_sandbox_from_the_dashboard_keeps_their_call_history(
    room: Callable[..., Room], daphne: Server, db_access: None
) -> None:
    from playground.classroom.models import Classroom
    from playground.classroom.services import class_lab_start
    from playground.labs.models import LabSession
    from playground.labs.sessions import session_check

    classroom = room(students=1)
    [pupil] = classroom.students
    class_lab_start(classroom=Classroom.objects.get(pk=classroom.id), lab_id="sqs-decouple")
    sqs = _client(daphne, pupil, "sqs")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])

    page = classroom.dashboard()
    row = page.locator(f'tr[data-student="{pupil.username}"]')
    expect(row.get_by_test_id("activity")).to_contain_text("sqs:GetQueueAttributes")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Reset").click()
    expect(page.get_by_test_id("notice")).to_contain_text(f"Reset {pupil.username}'s sandbox.")
    assert sqs.list_queues().get("QueueUrls", []) == []

    # The calls are still there: in the dashboard's row, over the REST API, and for a lab's call checks.
    expect(row.get_by_test_id("activity")).to_contain_text("sqs:ListQueues")
    teacher = _rest_calls(daphne, classroom.instructor, pupil.sandbox_id)
    assert {"CreateQueue", "GetQueueAttributes", "ListQueues"} <= teacher
    session = LabSession.objects.get(sandbox_id=pupil.sandbox_id, status="active")
    report = session_check(session=session, step_id="inspect")
    assert report.passed, report.messages


def _rest_calls(server: Server, username: str, sandbox_id: int) -> set[str]:
    import requests
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username=username))
    answer = requests.get(
        f"{server.url}/api/sandboxes/{sandbox_id}/calls/", headers={"Authorization": f"Token {token.key}"}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return {call["operation"] for call in answer.json()["results"]}
