"""Topics and subscriptions through boto3: create (idempotent), attributes, tags, permissions, data
protection policies, listing with pages, deletion, and the errors AWS answers with."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo
from tests.services.sns.conftest import Subscribed

pytestmark = pytest.mark.live


def test_create_topic_is_idempotent_and_refuses_different_attributes(sns: Any, sandbox: SandboxInfo) -> None:
    arn = sns.create_topic(Name="alerts", Attributes={"DisplayName": "Alerts"}, Tags=[{"Key": "team", "Value": "a"}])
    assert arn["TopicArn"] == f"arn:aws:sns:{sandbox.region}:{sandbox.account_id}:alerts"
    assert sns.create_topic(Name="alerts", Attributes={"DisplayName": "Alerts"})["TopicArn"] == arn["TopicArn"]
    assert sns.create_topic(Name="alerts")["TopicArn"] == arn["TopicArn"]
    with pytest.raises(sns.exceptions.InvalidParameterException) as different:
        sns.create_topic(Name="alerts", Attributes={"DisplayName": "Other"})
    assert different.value.response["Error"]["Message"] == (
        "Invalid parameter: Attributes Reason: Topic already exists with different attributes"
    )
    with pytest.raises(sns.exceptions.InvalidParameterException) as tags:
        sns.create_topic(Name="alerts", Tags=[{"Key": "team", "Value": "b"}])
    assert tags.value.response["Error"]["Message"] == (
        "Invalid parameter: Tags Reason: Topic already exists with different tags"
    )
    with pytest.raises(sns.exceptions.InvalidParameterException) as bad:
        sns.create_topic(Name="no spaces")
    assert bad.value.response["Error"]["Message"] == "Invalid parameter: Topic Name"


def test_topic_attributes(sns: Any, make_topic: Callable[..., str], sandbox: SandboxInfo) -> None:
    topic = make_topic()
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["TopicArn"] == topic
    assert attributes["Owner"] == sandbox.account_id
    assert (attributes["SubscriptionsConfirmed"], attributes["SubscriptionsPending"]) == ("0", "0")
    assert attributes["SubscriptionsDeleted"] == "0"
    assert attributes["DisplayName"] == ""
    policy = json.loads(attributes["Policy"])
    assert policy["Statement"][0]["Condition"] == {"StringEquals": {"AWS:SourceOwner": sandbox.account_id}}
    effective = json.loads(attributes["EffectiveDeliveryPolicy"])
    assert effective["http"]["defaultHealthyRetryPolicy"] == {
        "minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 3, "numMaxDelayRetries": 0,
        "numNoDelayRetries": 0, "numMinDelayRetries": 0, "backoffFunction": "linear",
    }  # fmt: skip
    sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="My Topic")
    sns.set_topic_attributes(TopicArn=topic, AttributeName="KmsMasterKeyId", AttributeValue="alias/aws/sns")
    sns.set_topic_attributes(TopicArn=topic, AttributeName="TracingConfig", AttributeValue="Active")
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (attributes["DisplayName"], attributes["KmsMasterKeyId"], attributes["TracingConfig"]) == (
        "My Topic", "alias/aws/sns", "Active",
    )  # fmt: skip
    for name, value in [("FifoTopic", "true"), ("Nonsense", "1"), ("SignatureVersion", "3"),
                        ("ContentBasedDeduplication", "true"), ("MaximumMessageSize", "100")]:  # fmt: skip
        with pytest.raises(sns.exceptions.InvalidParameterException):
            sns.set_topic_attributes(TopicArn=topic, AttributeName=name, AttributeValue=value)


def test_encrypted_topic_publishes_with_a_usable_key_only(
    sns: Any, aws: Callable[..., Any], make_topic: Callable[..., str]
) -> None:
    kms = aws("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    topic = make_topic(KmsMasterKeyId=key_id)
    sns.publish(TopicArn=topic, Message="sealed")
    kms.disable_key(KeyId=key_id)
    with pytest.raises(sns.exceptions.KMSDisabledException):
        sns.publish(TopicArn=topic, Message="sealed again")


def test_list_topics_pages_by_hundred(sns: Any, make_topic: Callable[..., str]) -> None:
    created = {make_topic(f"page-{index:03d}") for index in range(105)}
    first = sns.list_topics()
    assert len(first["Topics"]) == 100
    assert "NextToken" in first
    second = sns.list_topics(NextToken=first["NextToken"])
    assert "NextToken" not in second
    listed = {item["TopicArn"] for item in first["Topics"] + second["Topics"]}
    assert created <= listed


def test_delete_topic_removes_its_subscriptions_and_is_idempotent(
    sns: Any, make_topic: Callable[..., str], subscribe_queue: Callable[..., Subscribed]
) -> None:
    topic = make_topic()
    queue = subscribe_queue(topic)
    sns.delete_topic(TopicArn=topic)
    sns.delete_topic(TopicArn=topic)
    assert topic not in {item["TopicArn"] for item in sns.list_topics()["Topics"]}
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_subscription_attributes(SubscriptionArn=queue.subscription_arn)
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_topic_attributes(TopicArn=topic)


def test_tags(sns: Any, make_topic: Callable[..., str], sandbox: SandboxInfo) -> None:
    topic = make_topic()
    sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "x"}])
    sns.untag_resource(ResourceArn=topic, TagKeys=["team"])
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "env", "Value": "dev"}]
    with pytest.raises(sns.exceptions.TagLimitExceededException):
        sns.tag_resource(ResourceArn=topic, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    with pytest.raises(sns.exceptions.ResourceNotFoundException):
        sns.list_tags_for_resource(ResourceArn=f"arn:aws:sns:{sandbox.region}:{sandbox.account_id}:missing")


def test_permissions_edit_the_topic_policy(sns: Any, make_topic: Callable[..., str]) -> None:
    topic = make_topic()
    sns.add_permission(TopicArn=topic, Label="partners", AWSAccountId=["111122223333"], ActionName=["Publish"])
    with pytest.raises(sns.exceptions.InvalidParameterException) as again:
        sns.add_permission(TopicArn=topic, Label="partners", AWSAccountId=["111122223333"], ActionName=["Publish"])
    assert again.value.response["Error"]["Message"] == "Invalid parameter: Statement already exists"
    statements = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])["Statement"]
    assert statements[-1] == {
        "Sid": "partners", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "SNS:Publish", "Resource": topic,
    }  # fmt: skip
    sns.remove_permission(TopicArn=topic, Label="partners")
    statements = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])["Statement"]
    assert [statement["Sid"] for statement in statements] == ["__default_statement_ID"]


def test_data_protection_policy_is_stored(sns: Any, make_topic: Callable[..., str]) -> None:
    topic = make_topic()
    assert sns.get_data_protection_policy(ResourceArn=topic).get("DataProtectionPolicy", "") == ""
    policy = json.dumps({"Name": "p", "Version": "2021-06-01", "Statement": []})
    sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy=policy)
    assert sns.get_data_protection_policy(ResourceArn=topic)["DataProtectionPolicy"] == policy
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy="not json")


def test_subscriptions_list_attributes_and_errors(
    sns: Any, make_topic: Callable[..., str], subscribe_queue: Callable[..., Subscribed], sandbox: SandboxInfo
) -> None:
    topic = make_topic()
    queue = subscribe_queue(topic)
    again = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue.queue_arn)
    assert again["SubscriptionArn"] == queue.subscription_arn
    [listed] = [item for item in sns.list_subscriptions()["Subscriptions"] if item["TopicArn"] == topic]
    assert listed == {
        "SubscriptionArn": queue.subscription_arn, "Owner": sandbox.account_id, "Protocol": "sqs",
        "Endpoint": queue.queue_arn, "TopicArn": topic,
    }  # fmt: skip
    attributes = sns.get_subscription_attributes(SubscriptionArn=queue.subscription_arn)["Attributes"]
    assert attributes["PendingConfirmation"] == "false"
    assert attributes["RawMessageDelivery"] == "false"
    assert "EffectiveDeliveryPolicy" not in attributes
    with pytest.raises(sns.exceptions.InvalidParameterException) as raw:
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="a@example.com",
                      Attributes={"RawMessageDelivery": "true"})  # fmt: skip
    assert raw.value.response["Error"]["Message"] == (
        "Invalid parameter: Delivery protocol [email] does not support raw message delivery."
    )
    for protocol, endpoint_value, message in [
        ("pigeon", "x", "Invalid parameter: Amazon SNS does not support this protocol"),
        ("http", "ftp://example.com", "Invalid parameter: Endpoint must match the specified protocol"),
        ("sqs", "not-an-arn", "Invalid parameter: SQS endpoint ARN"),
        ("email", "nobody", "Invalid parameter: Email address"),
    ]:
        with pytest.raises(sns.exceptions.InvalidParameterException) as refused:
            sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint_value)
        assert refused.value.response["Error"]["Message"] == message
    with pytest.raises(sns.exceptions.InvalidParameterException) as name:
        sns.set_subscription_attributes(SubscriptionArn=queue.subscription_arn, AttributeName="Bogus",
                                        AttributeValue="1")  # fmt: skip
    assert name.value.response["Error"]["Message"] == "Invalid parameter: AttributeName"
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.subscribe(TopicArn=f"{topic}-gone", Protocol="sqs", Endpoint=queue.queue_arn)
    sns.unsubscribe(SubscriptionArn=queue.subscription_arn)
    sns.unsubscribe(SubscriptionArn=queue.subscription_arn)  # idempotent, as on AWS
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsDeleted"] == "1"
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.unsubscribe(SubscriptionArn="nonsense")


def test_model_violations_are_worded_as_sns_does(sns: Any) -> None:
    with pytest.raises(sns.exceptions.InvalidParameterException) as missing:
        sns.get_topic_attributes(TopicArn="")
    assert missing.value.response["Error"]["Message"].startswith("Invalid parameter: TopicArn")


def test_deleting_another_accounts_topic_is_not_authorized(
    sns: Any, make_topic: Callable[..., str], aws: Callable[..., Any], make_sandbox: Callable[..., Any]
) -> None:
    topic = make_topic()
    other = aws("sns", info=make_sandbox("other"))
    with pytest.raises(other.exceptions.AuthorizationErrorException) as caught:
        other.delete_topic(TopicArn=topic)
    assert "SNS:DeleteTopic" in caught.value.response["Error"]["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["TopicArn"] == topic
