"""EC2's public door (services/ec2/public.py) as CloudWatch alarm actions and EventBridge targets
will use it: stop, reboot and terminate an instance as a service, look it up; and the
"EC2 Instance State-change Notification" event each change puts on the default event bus."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SandboxInfo
from tests.services.ec2.conftest import AMI, state

pytestmark = pytest.mark.live


def test_a_service_stops_reboots_and_terminates_an_instance(
    ec2: Any, sandbox: SandboxInfo, paused: None, advance: Callable[[float], None]
) -> None:
    from django.db import transaction

    from playground.sandboxes.models import Clock, Sandbox
    from services.ec2 import public

    tags = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "batch"}]}]
    launched = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, TagSpecifications=tags)
    instance_id = launched["Instances"][0]["InstanceId"]
    advance(15)
    row = Sandbox.objects.get(pk=sandbox.id)
    now = Clock.current(row.pk).now()
    found = public.instance_lookup(sandbox=row, region="us-east-1", instance_id=instance_id)
    assert found is not None
    assert (found["State"], found["Tags"]) == ("running", {"Name": "batch"})
    assert public.instance_lookup(sandbox=row, region="us-east-1", instance_id="i-0123456789abcdef0") is None
    assert public.instance_ids(sandbox=row, region="us-east-1", states=["running"]) == [instance_id]
    with transaction.atomic():
        public.instance_reboot(sandbox=row, region="us-east-1", instance_id=instance_id, now=now)
        change = public.instance_stop(
            sandbox=row, region="us-east-1", instance_id=instance_id, now=now, initiator="Service initiated"
        )
    assert (change["PreviousState"]["Name"], change["CurrentState"]["Name"]) == ("running", "stopping")
    advance(15)
    described = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert described["State"]["Name"] == "stopped"
    assert described["StateTransitionReason"].startswith("Service initiated (")
    with pytest.raises(public.Ec2Error) as caught:
        public.instance_reboot(sandbox=row, region="us-east-1", instance_id=instance_id, now=now)
    assert caught.value.code == "IncorrectInstanceState"
    with transaction.atomic():
        public.instance_terminate(sandbox=row, region="us-east-1", instance_id=instance_id, now=now)
    advance(15)
    assert state(ec2, instance_id) == "terminated"


def test_each_state_change_reaches_an_eventbridge_rule(ec2: Any, aws: Callable[..., Any], sandbox: SandboxInfo) -> None:
    sqs, events = aws("sqs"), aws("events")
    url = sqs.create_queue(QueueName="ec2-changes")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": arn,
    }
    sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})}
    )
    pattern = {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]}
    events.put_rule(Name="ec2-changes", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="ec2-changes", Targets=[{"Id": "queue", "Arn": arn}])

    instance_id = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    event = json.loads(messages[0]["Body"])
    assert event["detail-type"] == "EC2 Instance State-change Notification"
    assert event["source"] == "aws.ec2"
    assert event["account"] == sandbox.account_id
    assert event["resources"] == [f"arn:aws:ec2:us-east-1:{sandbox.account_id}:instance/{instance_id}"]
    assert event["detail"] == {"instance-id": instance_id, "state": "pending"}
