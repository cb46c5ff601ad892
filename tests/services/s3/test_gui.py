"""S3 on the diagram, in Chromium at 1280x720, as a student meets it: a bucket made from the
palette, wired to a queue by drawing an edge (S3 event notifications, with the queue policy that
lets S3 send), a file uploaded through the bucket inspector, the Put travelling to the bucket and
its notification travelling on along the edge to the queue, whose counter moves; the folder-like
browser; a download of what was uploaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Student
from tests.e2e.gui import UI_TIMEOUT, Gui

pytestmark = [pytest.mark.e2e, pytest.mark.live]


@pytest.fixture(autouse=True)
def _s3_emulated() -> None:
    from playground.gateway.registry import provider_for

    if provider_for("s3") is None:
        pytest.skip("S3 is not emulated yet (services/s3)")


def _queue(aws: Any, student: Student, name: str) -> tuple[Any, str, str]:
    sqs = aws("sqs", info=student.sandbox)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs, url, arn


def test_a_bucket_from_the_palette_takes_an_upload_through_the_inspector(
    gui: Gui, student: Student, aws: Any, tmp_path: Path
) -> None:
    page = gui.page
    gui.create("bucket", name="photos")
    expect(gui.node("photos")).to_be_visible()
    expect(gui.badge("photos", "objects")).to_have_text("0")
    gui.select("photos")
    panel = gui.inspector.locator('.insp-panel[data-panel="s3:bucket"]')
    expect(panel.locator("[data-entries]")).to_contain_text("The bucket is empty.")

    picture = tmp_path / "cat.jpg"
    picture.write_bytes(b"\xff\xd8\xff\xe0 not really a cat " * 100)
    form = panel.locator('[data-form="upload"]')
    form.locator('input[name="prefix"]').fill("incoming/")
    form.locator('input[name="files"]').set_input_files(str(picture))
    form.locator('button[type="submit"]').click()
    expect(form.locator('[data-result="upload"]')).to_contain_text("Uploaded incoming/cat.jpg (2.1 KB")

    # The Put travels from outside the diagram to the bucket, whose counters follow.
    page.locator('.flow-dot[data-kind="put"][data-target="arn:aws:s3:::photos"]').first.wait_for(
        state="attached", timeout=UI_TIMEOUT
    )
    expect(gui.badge("photos", "objects")).to_have_text("1")
    expect(gui.badge("photos", "size")).to_have_text("2.1 KB")
    gui.screenshot("uploaded")

    # The browser followed into the folder the file went to; the crumbs lead back.
    expect(panel.locator(".s3-crumbs")).to_contain_text("photos/incoming")
    entry = panel.locator('.s3-object[data-key="incoming/cat.jpg"]')
    expect(entry).to_contain_text("cat.jpg")
    expect(entry).to_contain_text("2.1 KB")
    panel.locator('.s3-crumbs button[data-prefix=""]').click()
    expect(panel.locator('.s3-folder[data-folder="incoming/"]')).to_be_visible()
    panel.locator('.s3-folder[data-folder="incoming/"] button').click()

    # The download is the object's bytes; the object is what boto3 reads too.
    with page.expect_download() as download:
        panel.locator('.s3-object[data-key="incoming/cat.jpg"] [data-action="download"]').click()
    saved = tmp_path / "downloaded.jpg"
    download.value.save_as(saved)
    assert saved.read_bytes() == picture.read_bytes()
    s3 = aws("s3", info=student.sandbox)
    head = s3.head_object(Bucket="photos", Key="incoming/cat.jpg")
    assert (head["ContentLength"], head["ContentType"]) == (picture.stat().st_size, "image/jpeg")

    # Deleting it from the browser is a DeleteObject.
    entry.locator('[data-action="delete-object"]').click()
    page.locator("dialog.pg-dialog[open] button.danger").click()
    expect(entry).to_have_count(0)
    expect(gui.badge("photos", "objects")).to_have_text("0")


def test_an_upload_through_the_inspector_travels_on_to_the_notified_queue(
    gui: Gui, student: Student, aws: Any, tmp_path: Path
) -> None:
    page = gui.page
    sqs, queue_url, queue_arn = _queue(aws, student, "uploads")
    gui.create("bucket", name="photos")
    expect(gui.node("photos")).to_be_visible()
    expect(gui.node("uploads")).to_be_visible()

    # Drawing bucket -> queue asks for a key prefix, adds the queue policy, then the configuration.
    gui.wire("photos", "uploads")
    gui.answer("incoming/")
    expect(gui.edge("notification")).to_have_count(1)
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    [statement] = policy["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == "arn:aws:s3:::photos"
    # S3's s3:TestEvent reaches the queue as soon as the configuration is accepted.
    expect(gui.badge("uploads", "visible")).to_have_text("1")
    gui.screenshot("wired")

    gui.select("photos")
    panel = gui.inspector.locator('.insp-panel[data-panel="s3:bucket"]')
    expect(panel.locator("[data-notifications] li")).to_contain_text("s3:ObjectCreated:* → uploads (prefix incoming/)")
    expect(panel.locator("[data-entries]")).to_contain_text("The bucket is empty.")
    picture = tmp_path / "cat.jpg"
    picture.write_bytes(b"\xff\xd8\xff\xe0 not really a cat " * 100)
    form = panel.locator('[data-form="upload"]')
    form.locator('input[name="prefix"]').fill("incoming/")
    form.locator('input[name="files"]').set_input_files(str(picture))
    form.locator('button[type="submit"]').click()
    expect(form.locator('[data-result="upload"]')).to_contain_text("Uploaded incoming/cat.jpg")

    # The Put travels to the bucket, and the notification on along the edge to the queue.
    bucket_arn = "arn:aws:s3:::photos"
    page.locator(f'.flow-dot[data-target="{bucket_arn}"]').first.wait_for(state="attached", timeout=UI_TIMEOUT)
    page.locator(f'.flow-dot[data-source="{bucket_arn}"][data-target="{queue_arn}"]').first.wait_for(
        state="attached", timeout=UI_TIMEOUT
    )
    expect(gui.badge("uploads", "visible")).to_have_text("2")
    gui.screenshot("notified")

    # The queue holds S3's event for the upload, as AWS shapes it.
    bodies = [
        json.loads(message["Body"])
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    ]
    records = [body["Records"][0] for body in bodies if "Records" in body]
    assert [(r["eventName"], r["s3"]["bucket"]["name"], r["s3"]["object"]["key"]) for r in records] == [
        ("ObjectCreated:Put", "photos", "incoming/cat.jpg")
    ]
    assert records[0]["s3"]["object"]["size"] == picture.stat().st_size
    assert any(body.get("Event") == "s3:TestEvent" for body in bodies)


def test_an_upload_outside_the_prefix_stays_in_the_bucket(gui: Gui, student: Student, aws: Any, tmp_path: Path) -> None:
    """The prefix filter: a file uploaded at the top level is stored, and nothing goes to the queue."""
    _, _, queue_arn = _queue(aws, student, "thumbnails")
    s3 = aws("s3", info=student.sandbox)
    s3.create_bucket(Bucket="album")
    expect(gui.node("album")).to_be_visible()
    gui.wire("album", "thumbnails")
    gui.answer("incoming/")
    expect(gui.edge("notification")).to_have_count(1)
    expect(gui.badge("thumbnails", "visible")).to_have_text("1")  # the s3:TestEvent

    gui.select("album")
    panel = gui.inspector.locator('.insp-panel[data-panel="s3:bucket"]')
    # What the student sees before reaching for the form: the listing and the notifications read.
    expect(panel.locator("[data-entries]")).to_contain_text("The bucket is empty.")
    expect(panel.locator("[data-notifications] li")).to_contain_text("s3:ObjectCreated:* → thumbnails")
    readme = tmp_path / "readme.txt"
    readme.write_text("not a photo")
    form = panel.locator('[data-form="upload"]')
    form.locator('input[name="files"]').set_input_files(str(readme))
    form.locator('button[type="submit"]').click()
    expect(form.locator('[data-result="upload"]')).to_contain_text("Uploaded readme.txt")
    expect(gui.badge("album", "objects")).to_have_text("1")
    expect(panel.locator('.s3-object[data-key="readme.txt"]')).to_be_visible()
    assert s3.get_object(Bucket="album", Key="readme.txt")["Body"].read() == b"not a photo"
    expect(gui.page.locator(f'.flow-dot[data-target="{queue_arn}"]')).to_have_count(0)
    expect(gui.badge("thumbnails", "visible")).to_have_text("1")


def test_deleting_a_bucket_that_holds_objects_shows_aws_refusal(gui: Gui, student: Student, aws: Any) -> None:
    s3 = aws("s3", info=student.sandbox)
    s3.create_bucket(Bucket="keepsakes")
    s3.put_object(Bucket="keepsakes", Key="a.txt", Body=b"a")
    expect(gui.badge("keepsakes", "objects")).to_have_text("1")
    gui.select("keepsakes")
    # The panel fills its object list and notifications after it opens, which moves its danger zone
    # down: a click aimed before they arrive can land on whatever took its place (CI).
    expect(gui.inspector.locator('.s3-object[data-key="a.txt"]')).to_be_visible()
    expect(gui.inspector.locator("[data-notifications]")).to_contain_text("None.")
    gui.inspector.locator('[data-action="delete-bucket"]').click()
    gui.page.locator("dialog.pg-dialog[open] button.danger").click()
    expect(gui.toast("error")).to_contain_text("BucketNotEmpty: The bucket you tried to delete is not empty")
    expect(gui.node("keepsakes")).to_be_visible()
