"""Driving the sandbox page the way a student does: palette forms, dragging edges between ports,
the inspector's buttons. Every wait is Playwright's auto-wait or `expect` (never a sleep), and
every assertion reads what is on the screen."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.conftest import VENV_BIN, SandboxInfo

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
UI_TIMEOUT = 5_000  # ms: "appears within a second" with room for a loaded CI machine


@dataclass
class Gui:
    page: Page
    name: str  # the test's name, for screenshot files

    # --- finding things ---------------------------------------------------------------------

    def node(self, name: str) -> Locator:
        """The diagram node of the resource called `name` (a queue or topic name, a key's label)."""
        return self.page.locator(".drawflow-node", has=self.page.locator(f'.pg-node[data-name="{name}"]'))

    def node_labelled(self, label: str) -> Locator:
        return self.page.locator(
            ".drawflow-node", has=self.page.locator(".pg-name", has_text=re.compile(f"^{re.escape(label)}$"))
        )

    def badge(self, name: str, badge: str) -> Locator:
        return self.node(name).locator(f'[data-badge="{badge}"] b')

    def edge(self, kind: str) -> Locator:
        return self.page.locator(f'svg.connection[data-kind="{kind}"]')

    @property
    def inspector(self) -> Locator:
        return self.page.locator("#inspector")

    def toast(self, kind: str) -> Locator:
        return self.page.locator(f"#toasts .toast-{kind}")

    # --- doing things -----------------------------------------------------------------------

    def settle(self) -> None:
        """Wait until the automatic layout has put every node in its place (nodes move when one is
        added or an edge changes; a drag must not start on a node about to move)."""
        expect(self.page.locator("body")).to_have_attribute("data-layout", "idle", timeout=UI_TIMEOUT)

    def create(self, kind: str, **fields: str | bool) -> None:
        """Fill the palette's form for `kind` (queue, topic, key) and wait until it closes."""
        self.page.locator(f'#palette button[data-create="{kind}"]').click()
        dialog = self.page.locator("dialog.pg-dialog[open]")
        for field, value in fields.items():
            control = dialog.locator(f'[name="{field}"]')
            if isinstance(value, bool):
                control.set_checked(value)
            else:
                control.fill(str(value))
        dialog.locator('button[type="submit"]').click()
        expect(dialog).to_have_count(0, timeout=UI_TIMEOUT)

    def select(self, name: str) -> None:
        self.settle()
        self.node(name).locator(".pg-name").click()
        expect(self.inspector.locator(".insp-panel[data-id]")).to_have_attribute(
            "data-id", re.compile(re.escape(name) + "$")
        )

    def wire(self, source: str, target: str) -> None:
        """Drag from the source node's output port and drop on the target node."""
        port = self.node(source).locator(".output_1")
        drop = self.node(target).locator(".pg-icon")
        expect(port).to_be_visible()
        expect(drop).to_be_visible()
        self.settle()
        start = port.bounding_box()
        end = drop.bounding_box()
        assert start
        assert end
        mouse = self.page.mouse
        mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
        mouse.down()
        mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=8)
        mouse.up()

    def click_edge(self, kind: str) -> None:
        """Click on the middle of an edge's line (its bounding box's centre may be off a curve)."""
        self.settle()
        point = (
            self.edge(kind)
            .locator(".main-path:not(.pg-hit)")
            .evaluate(
                """path => {
                const middle = path.getPointAtLength(path.getTotalLength() / 2);
                const screen = new DOMPoint(middle.x, middle.y).matrixTransform(path.getScreenCTM());
                return {x: screen.x, y: screen.y};
            }"""
            )
        )
        self.page.mouse.click(point["x"], point["y"])

    def answer(self, value: str) -> None:
        """Answer the question dialog (maxReceiveCount...)."""
        dialog = self.page.locator("dialog.pg-dialog[open]")
        dialog.locator('input[name="answer"]').fill(value)
        dialog.locator('button[type="submit"]').click()
        expect(dialog).to_have_count(0, timeout=UI_TIMEOUT)

    def clock(self, action: str, value: str | None = None) -> None:
        """Click a clock button and wait for the server's answer, as a student waits for the bar to
        change: what the test does next (a peek, a call) happens on the clock the click set."""
        selector = f'#clock button[data-clock="{action}"]' + (f'[data-value="{value}"]' if value else "")
        with self.page.expect_response(lambda answer: f"/clock/{action}/" in answer.url):
            self.page.locator(selector).click()

    def screenshot(self, state: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}--{state}.png"))


def paste(line: str, info: SandboxInfo, home: Path) -> subprocess.CompletedProcess[str]:
    """Run a command line as a student pasting it into bash, with the sandbox's keys configured."""
    env = {
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": info.access_key_id,
        "AWS_SECRET_ACCESS_KEY": info.secret_access_key,
        "AWS_DEFAULT_REGION": info.region,
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_PAGER": "",
    }
    return subprocess.run(["bash", "-c", line], env=env, capture_output=True, text=True, timeout=120)
