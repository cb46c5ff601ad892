"""The diagram's drawing: the automatic layout keeps edges clear of nodes, Tidy lays out again what
the student moved, an edge is easy to hit and Delete removes it at once, and projector mode keeps
nodes large and clear of the zoom buttons."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Student
from tests.e2e.gui import Gui

pytestmark = [pytest.mark.e2e, pytest.mark.live]

# Every edge's drawn path, sampled, in screen pixels; every node's box, in screen pixels.
GEOMETRY = """() => {
    const nodes = Array.from(document.querySelectorAll('#diagram .drawflow-node'), (element) => {
        const {left, top, right, bottom} = element.getBoundingClientRect();
        return {id: element.querySelector('.pg-node').dataset.id, left, top, right, bottom};
    });
    const edges = Array.from(document.querySelectorAll('#diagram svg.connection'), (svg) => {
        const path = svg.querySelector('.main-path:not(.pg-hit)');
        const total = path.getTotalLength();
        const points = [];
        for (let i = 0; i <= 80; i += 1) {
            const at = path.getPointAtLength((total * i) / 80);
            const screen = new DOMPoint(at.x, at.y).matrixTransform(path.getScreenCTM());
            points.push({x: screen.x, y: screen.y});
        }
        const {source, target, kind} = svg.dataset;
        return {source, target, kind, routed: svg.dataset.routed === 'true', points};
    });
    return {nodes, edges};
}"""


def _crossings(page: Page) -> tuple[list[str], dict[str, Any]]:
    """Edges that pass through a node other than their own two ends."""
    geometry = page.evaluate(GEOMETRY)
    found = []
    for edge in geometry["edges"]:
        for node in geometry["nodes"]:
            if node["id"] in (edge["source"], edge["target"]):
                continue
            inside = [
                p
                for p in edge["points"]
                if node["left"] + 1 < p["x"] < node["right"] - 1 and node["top"] + 1 < p["y"] < node["bottom"] - 1
            ]
            if inside:
                found.append(f"{edge['kind']} {edge['source']} -> {edge['target']} crosses {node['id']}")
    return found, geometry


def _fan_out(student: Student, aws: Any) -> None:
    """A key, a topic it encrypts, four queues subscribed to the topic (one encrypted with the key,
    one sending its failures to a dead-letter queue), and a queue on its own."""
    info = student.sandbox
    sqs, sns, kms = aws("sqs", info=info), aws("sns", info=info), aws("kms", info=info)
    key = kms.create_key(Description="fan-out")["KeyMetadata"]["Arn"]
    topic = sns.create_topic(Name="orders", Attributes={"KmsMasterKeyId": key})["TopicArn"]
    arn = f"arn:aws:sqs:{info.region}:{info.account_id}:"
    sqs.create_queue(QueueName="billing-dlq")
    attributes = {
        "billing": {"RedrivePolicy": json.dumps({"deadLetterTargetArn": f"{arn}billing-dlq", "maxReceiveCount": "3"})},
        "shipping": {},
        "audit": {"KmsMasterKeyId": key},
        "mail": {},
    }
    for name, extra in attributes.items():
        sqs.create_queue(QueueName=name, Attributes=extra)
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=f"{arn}{name}")
    sqs.create_queue(QueueName="loner")


def test_the_layout_keeps_every_edge_clear_of_the_nodes(gui: Gui, student: Student, aws: Any) -> None:
    _fan_out(student, aws)
    page = gui.page
    expect(page.locator("svg.connection")).to_have_count(7)  # 4 subscriptions, 2 encryption, 1 dead-letter
    expect(gui.node("loner")).to_be_visible()
    gui.settle()
    crossings, geometry = _crossings(page)
    assert crossings == []
    assert all(edge["routed"] for edge in geometry["edges"]), "every edge follows the layout's route"
    # No two nodes overlap, and every one is on screen, below the zoom buttons.
    boxes = geometry["nodes"]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert (
                a["right"] <= b["left"] or b["right"] <= a["left"] or a["bottom"] <= b["top"] or b["bottom"] <= a["top"]
            )
    view = page.locator("#diagram").bounding_box()
    tools = page.locator("#diagram-tools").bounding_box()
    assert view
    assert tools
    for box in boxes:
        assert box["left"] >= view["x"]
        assert box["right"] <= view["x"] + view["width"]
        assert box["top"] >= tools["y"] + tools["height"]
        assert box["bottom"] <= view["y"] + view["height"]
    # Columns as the course draws them: the key, then the topic, then its queues, then the DLQ.
    x = {box["id"].split(":")[-1].split("/")[0]: box["left"] for box in boxes}
    assert x["key"] < x["orders"] < x["billing"] < x["billing-dlq"]
    gui.screenshot("fan-out")

    # The same drawing after a reload.
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    gui.settle()
    assert _crossings(page)[0] == []


def test_tidy_lays_out_again_what_the_student_moved(gui: Gui, student: Student, aws: Any, db_access: None) -> None:
    from playground.web.models import NodePosition

    _fan_out(student, aws)
    page = gui.page
    expect(page.locator("svg.connection")).to_have_count(7)
    node = gui.node("loner")
    # Dragged onto the middle of the fan-out: the student's place wins over the layout's. A live
    # event that arrives late can lay the diagram out again between reading the node's place and
    # pressing the mouse there (CI, PostgreSQL leg: the press missed the node and nothing moved),
    # so a drag that moved nothing is made again from where the node is then.
    for _attempt in range(3):
        gui.settle()
        box = node.bounding_box()
        assert box
        target = gui.node("shipping").bounding_box()
        assert target
        page.mouse.move(box["x"] + 60, box["y"] + 12)
        page.mouse.down()
        page.mouse.move(target["x"] - 40, target["y"] + 12, steps=8)
        page.mouse.up()
        page.wait_for_function("window.playground.diagram.layoutSaved()")
        if NodePosition.objects.filter(sandbox_id=student.sandbox.id).exists():
            break
    assert box
    assert target
    assert NodePosition.objects.filter(sandbox_id=student.sandbox.id).count() == 1
    moved = node.bounding_box()
    assert moved
    assert abs(moved["x"] - (box["x"] + target["x"] - 40 - box["x"] - 60)) < 80

    page.locator('#diagram-tools [data-view="tidy"]').click()
    gui.settle()
    expect(page.locator("#diagram-tools")).to_be_visible()
    page.wait_for_function("window.playground.diagram.layoutSaved()")
    assert _crossings(page)[0] == []
    assert NodePosition.objects.filter(sandbox_id=student.sandbox.id).count() == 0
    tidy = node.bounding_box()
    assert tidy
    assert abs(tidy["x"] - moved["x"]) > 20 or abs(tidy["y"] - moved["y"]) > 20


def test_an_edge_is_easy_to_hit_and_delete_removes_it_at_once(gui: Gui, student: Student, aws: Any) -> None:
    sqs = aws("sqs", info=student.sandbox)
    gui.create("queue", name="work")
    gui.create("queue", name="work-dlq")
    gui.wire("work", "work-dlq")
    gui.answer("3")
    edge = gui.edge("dead-letter")
    expect(edge).to_have_count(1)
    gui.settle()
    width = edge.locator(".main-path:not(.pg-hit)").evaluate("path => getComputedStyle(path).strokeWidth")
    assert float(width.removesuffix("px")) >= 3
    # Focus somewhere else first, as a student typing in the inspector would have.
    gui.page.locator("[data-activity-filter]").focus()
    # A click 5 pixels beside the line still selects the edge.
    point = edge.locator(".main-path:not(.pg-hit)").evaluate(
        """path => {
            const middle = path.getPointAtLength(path.getTotalLength() / 2);
            const screen = new DOMPoint(middle.x, middle.y).matrixTransform(path.getScreenCTM());
            return {x: screen.x, y: screen.y};
        }"""
    )
    gui.page.mouse.click(point["x"], point["y"] + 5)
    expect(gui.inspector.locator('.insp-panel[data-panel="edge"]')).to_be_visible()
    gui.page.keyboard.press("Delete")
    expect(gui.edge("dead-letter")).to_have_count(0)
    # The edge goes at once; the redrive policy goes when SQS has answered, as the toast says.
    expect(gui.toast("ok").filter(has_text="Removed:")).to_have_count(1)
    url = sqs.get_queue_url(QueueName="work")["QueueUrl"]
    assert "RedrivePolicy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def test_projector_mode_keeps_nodes_large_and_clear_of_the_zoom_buttons(gui: Gui, student: Student, aws: Any) -> None:
    _fan_out(student, aws)
    page = gui.page
    expect(page.locator("svg.connection")).to_have_count(7)
    gui.settle()

    def node_width() -> float:
        box = gui.node("billing").bounding_box()
        assert box
        return float(box["width"])

    def clear_of_the_tools() -> None:
        tools = page.locator("#diagram-tools").bounding_box()
        assert tools
        for title in page.locator("#diagram .pg-name").all():
            box = title.bounding_box()
            if not box:
                continue
            apart = (
                box["x"] + box["width"] <= tools["x"]
                or box["x"] >= tools["x"] + tools["width"]
                or box["y"] >= tools["y"] + tools["height"]
                or box["y"] + box["height"] <= tools["y"]
            )
            assert apart, f"{title.inner_text()} is under the zoom buttons"

    page.locator('#diagram-tools [data-view="fit"]').click()
    normal = node_width()
    clear_of_the_tools()
    page.locator("#projector-toggle").click()
    expect(page.locator("body")).to_have_class(re.compile(r"\bprojector\b"))
    page.wait_for_function("document.fonts.ready")
    gui.settle()
    assert node_width() >= normal
    clear_of_the_tools()
    page.locator('#diagram-tools [data-view="fit"]').click()
    assert node_width() >= normal
    clear_of_the_tools()
    gui.screenshot("projector")
