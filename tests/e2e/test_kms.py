"""The diagram with KMS: a key from the palette, encrypt and decrypt in its inspector, and a key
wired to a queue for encryption at rest (and unwired again)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Student
from tests.e2e.gui import Gui

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def test_encrypt_and_decrypt_in_the_key_inspector(gui: Gui) -> None:
    gui.create("key", alias="orders-key", description="for the orders lab")
    key = gui.node_labelled("alias/orders-key")
    expect(key.locator('[data-badge="state"] b')).to_have_text("Enabled")
    key.locator(".pg-name").click()

    encrypt = gui.inspector.locator('[data-form="encrypt"]')
    encrypt.locator('textarea[name="plaintext"]').fill("the launch code is 1234")
    encrypt.locator('textarea[name="context"]').fill("purpose=lab")
    encrypt.locator('button[type="submit"]').click()
    ciphertext = encrypt.locator('textarea[name="ciphertext-out"]')
    expect(ciphertext).to_have_value(re.compile(r"^[A-Za-z0-9+/]{40,}={0,2}$"))
    expect(gui.page.locator('.flow-dot[data-kind="encrypt"]')).not_to_have_count(0)

    gui.inspector.locator('[data-action="use-ciphertext"]').click()
    gui.inspector.locator('[data-form="decrypt"] button[type="submit"]').click()
    expect(gui.inspector.locator('[data-output="plaintext"]')).to_have_text("the launch code is 1234")
    gui.screenshot("encrypt-decrypt")

    # The wrong encryption context is refused, as AWS does.
    gui.inspector.locator('[data-form="decrypt"] textarea[name="context"]').fill("purpose=other")
    gui.inspector.locator('[data-form="decrypt"] button[type="submit"]').click()
    expect(gui.inspector.locator('[data-result="decrypt"]')).to_contain_text("InvalidCiphertextException")


def test_a_key_wired_to_a_queue_encrypts_it_at_rest(gui: Gui, student: Student, aws: Any) -> None:
    sqs = aws("sqs", info=student.sandbox)
    gui.create("key", alias="queue-key")
    gui.create("queue", name="vault")
    expect(gui.node("vault")).to_be_visible()
    key_node = gui.node_labelled("alias/queue-key")
    key_arn = key_node.locator(".pg-node").get_attribute("data-id")
    key_name = key_node.locator(".pg-node").get_attribute("data-name")
    assert key_name

    gui.wire(key_name, "vault")
    expect(gui.edge("encryption")).to_have_count(1)
    url = sqs.get_queue_url(QueueName="vault")["QueueUrl"]
    assert (
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId"])["Attributes"]["KmsMasterKeyId"]
        == key_arn
    )
    gui.screenshot("wired")

    # Peek opens the sealed body and says it is encrypted; once the key is disabled and the data key
    # SQS holds has expired (300 s by default: the clock jumps an hour), the body cannot be opened
    # and the reason is shown.
    sqs.send_message(QueueUrl=url, MessageBody="sealed at rest")
    gui.select("vault")
    gui.inspector.locator('[data-action="peek"]').click()
    peeked = gui.inspector.locator(".insp-message.peeked")
    expect(peeked).to_contain_text("sealed at rest")
    expect(peeked.locator(".msg-encrypted")).to_contain_text("SSE-KMS")
    aws("kms", info=student.sandbox).disable_key(KeyId=key_arn)
    gui.clock("advance", "3600")
    gui.inspector.locator('[data-action="peek"]').click()
    expect(peeked.locator(".msg-sealed")).to_contain_text("KmsDisabled")
    gui.screenshot("sealed")

    gui.click_edge("encryption")
    gui.inspector.locator('[data-action="remove-edge"]').click()
    expect(gui.edge("encryption")).to_have_count(0)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert not attributes.get("KmsMasterKeyId")
