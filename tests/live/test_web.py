"""The pages a signed-in user sees today, over HTTP against the live server."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests

from tests.conftest import SandboxInfo, Server

pytestmark = pytest.mark.live


def test_home_page_shows_the_sandbox_but_never_a_secret(daphne: Server, make_sandbox: Any) -> None:
    info: SandboxInfo = make_sandbox(name="web-lab", username="web-user")
    session = requests.Session()
    session.get(f"{daphne.url}/login/", timeout=10)
    session.post(
        f"{daphne.url}/login/",
        data={"username": "web-user", "password": "pw-web-user", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{daphne.url}/login/"},
        timeout=10,
    )
    page = session.get(f"{daphne.url}/", timeout=10).text
    assert "web-lab" in page
    assert info.account_id in page
    assert info.secret_access_key not in page  # shown once, when the key was made (the dialog lists keys)


def test_home_page_asks_anonymous_visitors_to_sign_in(daphne: Server) -> None:
    response = requests.get(f"{daphne.url}/", timeout=10, allow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/")


def test_static_files_are_served_by_the_same_server(daphne: Server) -> None:
    response = requests.get(f"{daphne.url}/static/css/playground.css", timeout=10)
    assert response.status_code == 200
    assert "font-family" in response.text


def test_the_aws_cli_names_come_from_the_installed_cli(daphne: Server) -> None:
    """The activity panel's commands use the CLI's own names, customizations included."""
    sns = requests.get(f"{daphne.url}/cli/sns/", timeout=30).json()
    subscribe = sns["operations"]["Subscribe"]
    assert subscribe["command"] == "subscribe"
    assert subscribe["options"]["Endpoint"]["option"] == "--notification-endpoint"
    assert subscribe["options"]["ReturnSubscriptionArn"] == {
        "option": "--return-subscription-arn",
        "negative": "--no-return-subscription-arn",
        "type": "boolean",
    }
    receive = requests.get(f"{daphne.url}/cli/sqs/", timeout=30).json()["operations"]["ReceiveMessage"]
    assert receive["options"]["AttributeNames"] == {"option": "--attribute-names", "type": "list", "member": "string"}
    assert requests.get(f"{daphne.url}/cli/s3/", timeout=30).json()["command"] == "s3api"
    assert requests.get(f"{daphne.url}/cli/no-such-service/", timeout=30).status_code == 404


def test_each_service_app_is_listed_for_the_sandbox_page_with_its_gui_module(daphne: Server, make_sandbox: Any) -> None:
    info: SandboxInfo = make_sandbox(name="gui-lab", username="gui-user")
    session = requests.Session()
    session.get(f"{daphne.url}/login/", timeout=10)
    session.post(
        f"{daphne.url}/login/",
        data={"username": "gui-user", "password": "pw-gui-user", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{daphne.url}/login/"},
        timeout=10,
    )
    page = session.get(f"{daphne.url}/sandboxes/{info.id}/", timeout=10).text
    found = re.search(r'<script id="playground-config" type="application/json">(.*?)</script>', page, re.S)
    assert found
    config = json.loads(found.group(1))
    services = {service["label"]: service for service in config["services"]}
    assert services["sqs"]["gui"] == "/static/services/sqs/gui.js"
    assert services["sqs"]["group"] == "Application integration"
    assert services["sqs"]["config"] == {"peek": f"/sqs/sandboxes/{info.id}/peek/"}
    assert services["sts"]["gui"] is None  # nothing to draw
    assert config["groups"][0] == "Application integration"
    for service in services.values():
        if service["gui"]:
            assert session.get(f"{daphne.url}{service['gui']}", timeout=10).status_code == 200
    peek_url = f"{daphne.url}/sqs/sandboxes/{info.id}/peek/"
    peek = session.get(peek_url, params={"arn": "arn:aws:sqs:x:1:none"}, timeout=10)
    assert peek.status_code == 404
    assert peek.json()["code"] == "QueueDoesNotExist"
