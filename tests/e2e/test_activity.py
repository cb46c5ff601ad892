"""The activity panel: each call's aws CLI command runs as shown when pasted (a sample of SQS, SNS
and KMS calls made from the page, by boto3 and by the aws CLI, run through the real aws CLI), long
values are shortened on screen while Copy gives the whole command, and the page's own reads are
hidden until asked for."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, expect

from tests.e2e.conftest import Student
from tests.e2e.gui import UI_TIMEOUT, Gui, paste

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def _row(gui: Gui, operation: str, origin: str = "GUI") -> Locator:
    return gui.page.locator(f'#activity .call[data-operation="{operation}"][data-origin="{origin}"]').first


def _copied(gui: Gui, row: Locator) -> str:
    """The command Copy puts on the clipboard (filled in once the CLI's names have arrived)."""
    code = row.locator(".call-cli code[data-cli]")
    expect(code).to_have_count(1, timeout=UI_TIMEOUT)
    row.locator(".call-cli button.copy").click()
    return str(gui.page.evaluate("navigator.clipboard.readText()"))


def test_the_commands_the_panel_shows_run_in_the_real_aws_cli(
    gui: Gui, student: Student, aws: Any, aws_cli: Any, tmp_path: Path
) -> None:
    info = student.sandbox
    page = gui.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.locator("[data-activity-reads]").check()  # this page's reads are part of the sample

    # SQS from the page: create, send (a body the call log does not keep), receive.
    gui.create("queue", name="jobs")
    gui.select("jobs")
    send = gui.inspector.locator('[data-form="send"]')
    send.locator('textarea[name="body"]').fill("it's job #1, with 'quotes'")
    send.locator('textarea[name="attributes"]').fill("priority=5\nkind=batch")
    send.locator('button[type="submit"]').click()
    expect(gui.inspector.locator('[data-result="send"]')).to_contain_text("Sent")
    gui.inspector.locator('[data-action="receive"]').click()
    expect(gui.inspector.locator(".insp-message.received")).to_have_count(1)

    # SNS from the page: a topic, a queue subscribed by drawing (Subscribe + the queue policy), publish.
    gui.create("topic", name="news")
    expect(gui.node("news")).to_be_visible()
    gui.wire("news", "jobs")
    expect(gui.edge("subscription")).to_have_count(1)
    gui.select("news")
    publish = gui.inspector.locator('[data-form="publish"]')
    publish.locator('textarea[name="message"]').fill("extra, extra")
    publish.locator('input[name="subject"]').fill("Headline")
    publish.locator('textarea[name="attributes"]').fill("section=sports")
    publish.locator('button[type="submit"]').click()
    expect(gui.inspector.locator('[data-result="publish"]')).to_contain_text("Published")

    # KMS from the page: a key, encrypt, decrypt (blobs both ways).
    gui.create("key", description="cli sample")
    key = gui.page.locator('.pg-node[data-kind="kms:key"]')
    expect(key).to_have_count(1)
    gui.settle()
    key.locator(".pg-name").click()
    encrypt = gui.inspector.locator('[data-form="encrypt"]')
    encrypt.locator('textarea[name="plaintext"]').fill("top secret")
    encrypt.locator('button[type="submit"]').click()
    expect(encrypt.locator('textarea[name="ciphertext-out"]')).not_to_have_value("")
    gui.inspector.locator('[data-action="use-ciphertext"]').click()
    gui.inspector.locator('[data-form="decrypt"] button[type="submit"]').click()
    expect(gui.inspector.locator('[data-output="plaintext"]')).to_have_text("top secret")

    # Calls from elsewhere: boto3 (a payload the log keeps only as its size) and the aws CLI.
    sqs = aws("sqs", info=info)
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="jobs")["QueueUrl"], MessageBody="from boto3")
    aws_cli("sns", "create-topic", "--name", "alerts", info=info)
    alerts = f"arn:aws:sns:{info.region}:{info.account_id}:alerts"
    jobs = f"arn:aws:sqs:{info.region}:{info.account_id}:jobs"
    aws_cli("sns", "subscribe", "--topic-arn", alerts, "--protocol", "sqs", "--notification-endpoint", jobs, info=info)

    # Subscribe reads as the CLI wants it.
    subscribe = _row(gui, "Subscribe")
    expect(subscribe.locator(".call-cli code")).to_contain_text("--notification-endpoint")
    expect(subscribe.locator(".call-cli code")).to_contain_text("--return-subscription-arn")
    expect(subscribe.locator(".call-cli code")).not_to_contain_text(re.compile(r"(?<!-)--endpoint(?!-url)\b"))

    # A long value (the queue policy) is shortened on screen, whole when copied.
    policy_row = page.locator(
        '#activity .call[data-operation="SetQueueAttributes"][data-origin="GUI"]', has_text="Policy"
    ).first
    shown = policy_row.locator(".call-cli code").inner_text()
    assert "…" in shown
    policy_line = _copied(gui, policy_row)
    assert "…" not in policy_line
    assert '"Sid":"AllowTopic-news"' in policy_line.replace("\\", "")

    calls = [
        ("CreateQueue", "GUI"),
        ("SendMessage", "GUI"),
        ("ReceiveMessage", "GUI"),
        ("GetQueueAttributes", "GUI"),
        ("CreateTopic", "GUI"),
        ("Subscribe", "GUI"),
        ("Publish", "GUI"),
        ("CreateKey", "GUI"),
        ("Encrypt", "GUI"),
        ("Decrypt", "GUI"),
        ("SendMessage", "SDK"),
        ("Subscribe", "CLI"),
    ]
    sample = {(operation, origin): _copied(gui, _row(gui, operation, origin)) for operation, origin in calls}
    sample[("SetQueueAttributes", "GUI")] = policy_line

    home = tmp_path / "home"
    home.mkdir()
    for (operation, origin), line in sample.items():
        assert line
        assert line.startswith(f"aws --endpoint-url {page.url.split('/sandboxes/')[0]} "), line
        done = paste(line, info, home)
        assert done.returncode == 0, f"{operation} ({origin}): {line}\n{done.stderr}"
        if operation == "SendMessage" and origin == "GUI":
            # This page's own call is copied with its body, which the call log never keeps.
            assert "it'\\''s job #1, with '\\''quotes'\\''" in line
            assert json.loads(done.stdout)["MD5OfMessageBody"] == _md5("it's job #1, with 'quotes'")
        if operation == "Decrypt":
            assert base64.b64decode(json.loads(done.stdout)["Plaintext"]) == b"top secret"
        if operation == "SendMessage" and origin == "SDK":
            assert "'<10 chars>'" in line  # what the log kept: the size


def _md5(text: str) -> str:
    import hashlib

    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def test_the_pages_own_reads_are_hidden_until_asked_for(gui: Gui) -> None:
    page = gui.page
    gui.create("queue", name="quiet")
    gui.select("quiet")  # the inspector reads the queue's attributes: a read by this page
    reads = page.locator('#activity .call[data-origin="GUI"][data-read="true"]')
    expect(reads.first).to_be_attached()
    expect(reads.first).to_be_hidden()
    expect(_row(gui, "CreateQueue")).to_be_visible()  # what the page changed is always shown
    expect(page.locator("[data-activity-hidden]")).to_contain_text(re.compile(r"\d+ reads by this page hidden"))

    page.locator("[data-activity-reads]").check()
    expect(reads.first).to_be_visible()
    expect(page.locator("[data-activity-hidden]")).to_have_text("")
