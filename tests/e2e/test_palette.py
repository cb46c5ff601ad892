"""The palette and node kinds come from the services' GUI modules: with fifteen services the
palette is grouped as the course groups them and stays usable on a 1280x720 screen, and a service
without a GUI module still has its nodes drawn, with the generic look and inspector.

The twelve services still to come are stood in for by GUI modules served to the browser here (and
one service with no module at all); SQS, SNS and KMS are the real ones."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import Student
from tests.e2e.gui import Gui

pytestmark = [pytest.mark.e2e, pytest.mark.live]

GROUPS = [
    "Application integration",
    "Analytics",
    "Logging and monitoring",
    "Operations",
    "Deployment",
    "Storage and compute",
]

# label -> (title, group, palette entries)
COMING = {
    "kinesis": ("Amazon Kinesis Data Streams", "Analytics", ["Data stream"]),
    "firehose": ("Amazon Data Firehose", "Analytics", ["Delivery stream"]),
    "athena": ("Amazon Athena", "Analytics", ["Workgroup", "Query"]),
    "emr": ("Amazon EMR", "Analytics", ["Cluster"]),
    "redshift": ("Amazon Redshift", "Analytics", ["Cluster"]),
    "cloudwatch": ("Amazon CloudWatch", "Logging and monitoring", ["Alarm", "Dashboard"]),
    "logs": ("Amazon CloudWatch Logs", "Logging and monitoring", ["Log group"]),
    "cloudtrail": ("AWS CloudTrail", "Logging and monitoring", ["Trail"]),
    "eventbridge": ("Amazon EventBridge", "Application integration", ["Event bus", "Rule"]),
    "elastictranscoder": ("Amazon Elastic Transcoder", "Application integration", ["Pipeline"]),
    "elasticbeanstalk": ("AWS Elastic Beanstalk", "Deployment", ["Application", "Environment"]),
    "ec2": ("Amazon EC2", "Storage and compute", ["Instance"]),
    "s3": ("Amazon S3", "Storage and compute", ["Bucket"]),
    "awslambda": ("AWS Lambda", "Storage and compute", ["Function"]),
}


def _module(label: str, entries: list[str]) -> str:
    palette = [
        {"id": f"{label}-{i}", "label": entry, "icon": "generic", "title": f"New {entry}"}
        for i, entry in enumerate(entries)
    ]
    return f"""
const entries = {json.dumps(palette)};
export const palette = entries.map((entry) => ({{
  ...entry,
  fields: () => [],
  create: async () => ({{ name: entry.label }}),
}}));
"""


def _unless_gone(handler: Callable[[Route], None]) -> Callable[[Route], None]:
    """A route handler that lets go when its page does (a reload, the end of the test) while the
    request is on its way."""

    def handle(route: Route) -> None:
        try:
            handler(route)
        except PlaywrightError as gone:
            if "disposed" not in str(gone) and "closed" not in str(gone):
                raise

    return handle


def _with_coming_services(page: Page, student: Student) -> None:
    """Reload the sandbox page with the coming services listed, their GUI modules, one service with
    no GUI module (opsworks) and one OpsWorks stack in the graph."""
    info = student.sandbox

    listed: list[dict[str, object]] = [
        {"label": label, "title": title, "group": group, "gui": f"/static/services/{label}/gui.js", "config": {}}
        for label, (title, group, _) in COMING.items()
    ]
    listed.append({"label": "opsworks", "title": "AWS OpsWorks", "group": "", "gui": None, "config": {}})

    def services_js(route: Route) -> None:
        # The page's config lists them as if their apps were installed. (Served from here rather
        # than by rewriting the page: Chromium keeps a rewritten page off the loopback WebSocket.)
        response = route.fetch()
        start = "export async function loadServices(config, ctx) {"
        body = response.text()
        assert start in body
        # A coming service already installed (its module is stood in for all the same) is listed once.
        coming = f"{json.dumps(listed)}.filter((s) => !config.services.some((o) => o.label === s.label))"
        body = body.replace(start, f"{start}\n  config.services = [...config.services, ...{coming}];")
        route.fulfill(response=response, body=body)

    def module(route: Route) -> None:
        label = route.request.url.split("/static/services/")[1].split("/")[0]
        route.fulfill(status=200, content_type="text/javascript", body=_module(label, COMING[label][2]))

    def graph(route: Route) -> None:
        response = route.fetch()
        document = response.json()
        document["nodes"].append(
            {
                "id": f"arn:aws:opsworks:{info.region}:{info.account_id}:stack/0abc",
                "service": "opsworks",
                "type": "stack",
                "name": "0abc",
                "label": "web server",
                "region": info.region,
                "attributes": {"DefaultInstanceType": "t3.micro", "Status": "running"},
            }
        )
        route.fulfill(response=response, json=document)

    page.route(re.compile(r"/static/js/services\.js$"), _unless_gone(services_js))
    page.route(re.compile(r"/static/services/(" + "|".join(COMING) + r")/gui\.js$"), _unless_gone(module))
    page.route(re.compile(rf"/api/sandboxes/{info.id}/graph/$"), _unless_gone(graph))
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("body")).to_have_attribute("data-live", "true")


def test_fifteen_services_fit_a_grouped_palette_on_a_1280x720_screen(
    signed_in: Callable[..., Page], student: Student
) -> None:
    page = signed_in()
    _with_coming_services(page, student)
    palette = page.locator("#palette")
    groups = palette.locator(".palette-group")
    expect(groups).to_have_count(len(GROUPS))
    assert [title.split("\n")[0].strip() for title in groups.locator("summary").all_inner_texts()] == GROUPS
    buttons = palette.locator("button[data-create]")
    expect(buttons).to_have_count(3 + sum(len(entries) for _, _, entries in COMING.values()))
    # The real services sit in their groups too.
    expect(
        palette.locator('.palette-group[data-group="Application integration"] button[data-create="queue"]')
    ).to_be_visible()
    expect(palette.locator('.palette-group[data-group="Operations"] button[data-create="key"]')).to_be_visible()

    # The page never scrolls; the palette scrolls on its own and every entry can be reached.
    assert page.evaluate("document.scrollingElement.scrollHeight") <= 720
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 1280
    box = palette.bounding_box()
    assert box
    assert box["y"] + box["height"] <= 721
    last = buttons.last
    last.scroll_into_view_if_needed()
    expect(last).to_be_in_viewport()
    last.click()
    dialog = page.locator("dialog.pg-dialog[open]")
    expect(dialog.locator("h2")).to_have_text("New Bucket")  # S3 is the last app of the last group
    dialog.get_by_role("button", name="Cancel").click()
    Gui(page, "palette").screenshot("fifteen")

    # Folded groups leave the groups' names: all of them on screen at once, and it is remembered.
    for summary in groups.locator("summary").all():
        summary.click()
    expect(buttons.first).to_be_hidden()
    for summary in groups.locator("summary").all():
        expect(summary).to_be_in_viewport()
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(palette.locator("button[data-create]").first).to_be_hidden()
    palette.locator('.palette-group[data-group="Storage and compute"] summary').click()
    expect(palette.locator('button[data-create="s3-0"]')).to_be_visible()

    # The filter finds an entry by its name or its service's, in any group.
    search = palette.locator("[data-palette-filter]")
    search.fill("firehose")
    expect(palette.locator("button[data-create]:visible")).to_have_count(1)
    expect(palette.locator("button[data-create]:visible")).to_have_text("Delivery stream")
    search.fill("")
    Gui(page, "palette").screenshot("folded")


def test_a_service_without_a_gui_module_still_has_its_nodes_drawn(
    signed_in: Callable[..., Page], student: Student
) -> None:
    page = signed_in()
    _with_coming_services(page, student)
    gui = Gui(page, "generic")
    node = gui.node("0abc")
    expect(node).to_be_visible()
    expect(node.locator(".pg-name")).to_have_text("web server")
    expect(node.locator(".pg-sub")).to_have_text("opsworks stack")
    expect(node.locator(".pg-icon")).to_have_attribute("src", re.compile(r"/static/icons/generic\.svg$"))
    gui.select("0abc")
    panel = gui.inspector.locator('.insp-panel[data-panel="opsworks:stack"]')
    expect(panel.locator('tr[data-attribute="DefaultInstanceType"]')).to_contain_text("t3.micro")
