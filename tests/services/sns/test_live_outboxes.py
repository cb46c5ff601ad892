"""Email, email-json, SMS and mobile push: what their simulated outboxes receive, the email
confirmation link, the SMS sandbox's verification flow and opt-out list, platform applications and
their endpoints' inboxes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.conftest import SandboxInfo

pytestmark = pytest.mark.live


@pytest.fixture
def outbox(sandbox: SandboxInfo, db_access: None) -> Callable[..., list[dict[str, Any]]]:
    """outbox(protocol, destination=None) -> the sandbox's outbox messages, oldest first."""
    from playground.sandboxes.models import Sandbox
    from services.sns.outboxes import as_dict, outbox

    def read(protocol: str, destination: str | None = None) -> list[dict[str, Any]]:
        box = Sandbox.objects.get(pk=sandbox.id)
        return [as_dict(item) for item in outbox(sandbox=box, protocol=protocol, destination=destination)]

    return read


def test_email_subscription_is_confirmed_by_opening_the_link(
    sns: Any, make_topic: Callable[..., str], outbox: Callable[..., list[dict[str, Any]]]
) -> None:
    topic = make_topic(DisplayName="Team News")
    answer = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ada@example.com")
    assert answer["SubscriptionArn"] == "pending confirmation"
    [confirmation] = outbox("email", "ada@example.com")
    assert confirmation["kind"] == "SubscriptionConfirmation"
    assert confirmation["subject"] == "AWS Notification - Subscription Confirmation"
    link = confirmation["attributes"]["confirm_url"]
    assert link in confirmation["body"]
    assert "/sns/confirmation.html?" in link
    page = requests.get(link, timeout=5)
    assert page.status_code == 200
    assert "Subscription confirmed!" in page.text
    [subscription] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert subscription["SubscriptionArn"].startswith(topic)
    sns.publish(TopicArn=topic, Message="Monday meeting moved", Subject="Meeting")
    notification = outbox("email", "ada@example.com")[-1]
    assert (notification["kind"], notification["subject"]) == ("Notification", "Meeting")
    assert notification["body"].startswith("Monday meeting moved\n\n--\n")
    assert "/sns/unsubscribe.html?" in notification["body"]
    assert notification["attributes"]["from"] == "Team News"


def test_email_json_gets_the_envelope(
    sns: Any, make_topic: Callable[..., str], outbox: Callable[..., list[dict[str, Any]]]
) -> None:
    topic = make_topic()
    sns.subscribe(TopicArn=topic, Protocol="email-json", Endpoint="bot@example.com")
    [confirmation] = outbox("email-json")
    token = json.loads(confirmation["body"])["Token"]
    sns.confirm_subscription(TopicArn=topic, Token=token)
    message_id = sns.publish(TopicArn=topic, Message="as json")["MessageId"]
    envelope = json.loads(outbox("email-json")[-1]["body"])
    assert (envelope["Type"], envelope["MessageId"], envelope["Message"]) == ("Notification", message_id, "as json")


def test_sms_sandbox_verification_and_opt_out(
    sns: Any,
    make_topic: Callable[..., str],
    outbox: Callable[..., list[dict[str, Any]]],
    flows: Callable[..., list[dict[str, Any]]],
    sandbox: SandboxInfo,
    db_access: None,
) -> None:
    number = "+15555550100"
    assert sns.get_sms_sandbox_account_status()["IsInSandbox"] is True
    unverified = sns.publish(PhoneNumber=number, Message="too early")["MessageId"]
    [failed] = flows("failed", item_id=unverified)
    assert "not a verified phone number" in failed["detail"]["reason"]

    sns.create_sms_sandbox_phone_number(PhoneNumber=number, LanguageCode="en-US")
    assert sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"] == [{"PhoneNumber": number, "Status": "Pending"}]
    [code_message] = outbox("sms", number)
    code = code_message["body"].split("code is ")[1][:6]
    with pytest.raises(sns.exceptions.VerificationException):
        sns.verify_sms_sandbox_phone_number(PhoneNumber=number, OneTimePassword="000000" if code != "000000" else "1")
    sns.verify_sms_sandbox_phone_number(PhoneNumber=number, OneTimePassword=code)
    assert sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"] == [{"PhoneNumber": number, "Status": "Verified"}]

    sns.set_sms_attributes(attributes={"DefaultSMSType": "Transactional", "DefaultSenderID": "PLAYGRND"})
    assert sns.get_sms_attributes(attributes=["DefaultSMSType"])["attributes"] == {"DefaultSMSType": "Transactional"}
    sns.publish(PhoneNumber=number, Message="your code is 1234")
    sent = outbox("sms", number)[-1]
    assert sent["body"] == "your code is 1234"
    assert sent["attributes"] == {"SMSType": "Transactional", "SenderID": "PLAYGRND"}

    topic = make_topic(DisplayName="Alerts")
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint=number)
    sns.publish(TopicArn=topic, Message="disk full")
    assert outbox("sms", number)[-1]["body"] == "Alerts> disk full"

    from playground.sandboxes.models import Sandbox
    from services.sns.sms import phone_opt_out

    phone_opt_out(sandbox=Sandbox.objects.get(pk=sandbox.id), phone_number=number, now=_now(sandbox))
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=number)["isOptedOut"] is True
    assert sns.list_phone_numbers_opted_out()["phoneNumbers"] == [number]
    before = len(outbox("sms", number))
    sns.publish(TopicArn=topic, Message="not for you")
    assert len(outbox("sms", number)) == before
    sns.opt_in_phone_number(phoneNumber=number)
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=number)["isOptedOut"] is False
    sns.delete_sms_sandbox_phone_number(PhoneNumber=number)
    with pytest.raises(sns.exceptions.ResourceNotFoundException):
        sns.delete_sms_sandbox_phone_number(PhoneNumber=number)
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.check_if_phone_number_is_opted_out(phoneNumber="12")
    assert sns.list_origination_numbers()["PhoneNumbers"] == []


def _now(sandbox: SandboxInfo) -> Any:
    from playground.sandboxes.models import Clock

    return Clock.current(sandbox.id).now()


def test_platform_endpoints_have_inboxes(
    sns: Any, make_topic: Callable[..., str], outbox: Callable[..., list[dict[str, Any]]]
) -> None:
    application = sns.create_platform_application(
        Name="phone-app", Platform="GCM", Attributes={"PlatformCredential": "server-key"}
    )["PlatformApplicationArn"]
    assert ":app/GCM/phone-app" in application
    attributes = sns.get_platform_application_attributes(PlatformApplicationArn=application)["Attributes"]
    assert "PlatformCredential" not in attributes
    assert attributes["Enabled"] == "true"
    endpoint = sns.create_platform_endpoint(
        PlatformApplicationArn=application, Token="device-token-1", CustomUserData="ada"
    )["EndpointArn"]
    same = sns.create_platform_endpoint(PlatformApplicationArn=application, Token="device-token-1",
                                        CustomUserData="ada")["EndpointArn"]  # fmt: skip
    assert same == endpoint
    with pytest.raises(sns.exceptions.InvalidParameterException) as clash:
        sns.create_platform_endpoint(PlatformApplicationArn=application, Token="device-token-1",
                                     CustomUserData="bob")  # fmt: skip
    assert "already exists with the same Token, but different attributes." in clash.value.response["Error"]["Message"]
    [listed] = sns.list_endpoints_by_platform_application(PlatformApplicationArn=application)["Endpoints"]
    assert listed["Attributes"] == {"CustomUserData": "ada", "Enabled": "true", "Token": "device-token-1"}

    structured = {"default": "plain", "GCM": json.dumps({"notification": {"body": "hi"}})}
    sns.publish(TargetArn=endpoint, MessageStructure="json", Message=json.dumps(structured))
    [push] = outbox("application", endpoint)
    assert json.loads(push["body"]) == {"notification": {"body": "hi"}}
    assert push["attributes"]["platform"] == "GCM"

    topic = make_topic()
    sns.subscribe(TopicArn=topic, Protocol="application", Endpoint=endpoint)
    sns.publish(TopicArn=topic, Message="from the topic")
    assert outbox("application", endpoint)[-1]["body"] == "from the topic"

    sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})
    with pytest.raises(sns.exceptions.EndpointDisabledException):
        sns.publish(TargetArn=endpoint, Message="asleep")
    sns.delete_endpoint(EndpointArn=endpoint)
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_endpoint_attributes(EndpointArn=endpoint)
    with pytest.raises(sns.exceptions.InvalidParameterException) as gone:
        sns.publish(TargetArn=endpoint, Message="anyone?")
    assert gone.value.response["Error"]["Message"] == (
        "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified"
    )
    assert [item["PlatformApplicationArn"] for item in sns.list_platform_applications()["PlatformApplications"]] == [
        application
    ]
    sns.delete_platform_application(PlatformApplicationArn=application)
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_platform_application_attributes(PlatformApplicationArn=application)
