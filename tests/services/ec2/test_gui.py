"""EC2 on the diagram, in Chromium at 1280x720, as a student meets it: an instance launched from
the palette appears in its default subnet, pending (its badge pulsing) until the sandbox clock
moves on, then running; its inspector shows its type, addresses and security group rules; Stop
answers running -> stopping and the badge follows to stopped, then Start is offered."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Student
from tests.e2e.gui import UI_TIMEOUT, Gui

pytestmark = [pytest.mark.e2e, pytest.mark.live]


def test_an_instance_from_the_palette_is_stopped_from_its_inspector(gui: Gui, student: Student, aws: Any) -> None:
    page = gui.page
    gui.clock("pause")
    expect(page.locator("#clock")).to_have_attribute("data-paused", "true")
    gui.create("instance", name="web-1", count="1")
    ec2 = aws("ec2", info=student.sandbox)
    reservations = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["web-1"]}])["Reservations"]
    instance = reservations[0]["Instances"][0]
    instance_id = instance["InstanceId"]
    expect(gui.node(instance_id)).to_be_visible(timeout=UI_TIMEOUT)
    expect(gui.badge(instance_id, "state")).to_have_text("pending")

    gui.clock("advance", "60")
    expect(gui.badge(instance_id, "state")).to_have_text("running", timeout=UI_TIMEOUT)
    gui.select(instance_id)
    panel = gui.inspector.locator('.insp-panel[data-panel="ec2:instance"]')
    expect(panel.locator('[data-fact="Private IP"]')).to_have_text(instance["PrivateIpAddress"])
    expect(panel.locator('[data-fact="Type"]')).to_have_text("t2.micro")
    expect(panel.locator(".ec2-group")).to_contain_text("default")
    expect(panel.locator('.ec2-rules[data-direction="egress"]')).to_contain_text("all 0.0.0.0/0")

    panel.locator('button[data-action="stop"]').click()
    expect(panel.locator('[data-result="instance"]')).to_have_text("Stop: running → stopping")
    expect(gui.badge(instance_id, "state")).to_have_text("stopping", timeout=UI_TIMEOUT)
    gui.clock("advance", "60")
    expect(gui.badge(instance_id, "state")).to_have_text("stopped", timeout=UI_TIMEOUT)
    expect(panel.locator('button[data-action="start"]')).to_be_enabled()
    expect(panel.locator("[data-state]")).to_have_class(re.compile("stopped"))
    gui.screenshot("stopped")


def test_traffic_sent_from_the_inspector_is_drawn_accepted_and_rejected(gui: Gui, student: Student, aws: Any) -> None:
    """The inspector's Traffic form sends one flow from the internet: HTTPS, which the instance's
    group lets in, travels green to the instance; SSH, which it does not, travels red; the result
    line says which. The CPU load form sets the load its CPUUtilization will show."""
    page = gui.page
    gui.clock("pause")
    ec2 = aws("ec2", info=student.sandbox)
    group = ec2.create_security_group(GroupName="web", Description="https only")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpProtocol="tcp", FromPort=443, ToPort=443, CidrIp="0.0.0.0/0")
    instance_id = ec2.run_instances(
        ImageId="ami-0c02fb55956c7d316", MinCount=1, MaxCount=1, SecurityGroupIds=[group],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}]}],
    )["Instances"][0]["InstanceId"]  # fmt: skip
    gui.clock("advance", "60")
    expect(gui.badge(instance_id, "state")).to_have_text("running", timeout=UI_TIMEOUT)
    gui.select(instance_id)
    panel = gui.inspector.locator('.insp-panel[data-panel="ec2:instance"]')
    traffic = panel.locator('[data-section="traffic"]')
    result = traffic.locator('[data-result="traffic"]')

    traffic.locator('input[name="port"]').fill("443")
    traffic.locator('button[data-action="send-traffic"]').click()
    expect(result).to_have_text("ACCEPT: tcp 443 from 203.0.113.9", timeout=UI_TIMEOUT)
    expect(page.locator(".flow-dot.flow-ec2.flow-kind-accept").first).to_be_attached(timeout=UI_TIMEOUT)

    traffic.locator('input[name="port"]').fill("22")
    traffic.locator('button[data-action="send-traffic"]').click()
    expect(result).to_have_text("REJECT: tcp 22 from 203.0.113.9", timeout=UI_TIMEOUT)
    expect(result).to_have_class(re.compile("error"))
    expect(page.locator(".flow-dot.flow-ec2.flow-kind-reject").first).to_be_attached(timeout=UI_TIMEOUT)
    gui.screenshot("traffic-rejected")

    cpu = panel.locator('[data-section="cpu-load"]')
    cpu.locator('select[name="profile"]').select_option("steady")
    cpu.locator('input[name="percent"]').fill("80")
    cpu.locator('button[data-action="set-load"]').click()
    expect(cpu.locator('[data-result="load"]')).to_have_text("CPU load: steady 80%")

    # A daily schedule, given as the inspector's text: its steps come back in order, in UTC.
    cpu.locator('select[name="profile"]').select_option("schedule")
    cpu.locator('input[name="schedule"]').fill("17:30=5 09:00=80")
    cpu.locator('button[data-action="set-load"]').click()
    expect(cpu.locator('[data-result="load"]')).to_have_text("CPU load: daily schedule (UTC) 09:00 80%, 17:30 5%")

    # The SSH flow as a traffic profile: sent every minute of the clock, drawn red, until stopped.
    profile = traffic.locator('[data-result="profile"]')
    traffic.locator('input[name="packets_per_minute"]').fill("12")
    traffic.locator('button[data-action="set-profile"]').click()
    expect(profile).to_have_text("Every minute: 12 packets tcp 22 from 203.0.113.9", timeout=UI_TIMEOUT)
    page.locator(".flow-dot.flow-ec2.flow-kind-reject").first.wait_for(state="detached", timeout=UI_TIMEOUT)
    gui.clock("advance", "60")
    expect(page.locator(".flow-dot.flow-ec2.flow-kind-reject").first).to_be_attached(timeout=UI_TIMEOUT)
    gui.select(instance_id)  # the inspector, opened again, shows the standing flow
    expect(profile).to_have_text("Every minute: 12 packets tcp 22 from 203.0.113.9", timeout=UI_TIMEOUT)
    traffic.locator('button[data-action="clear-profile"]').click()
    expect(profile).to_have_text("No traffic profile", timeout=UI_TIMEOUT)
