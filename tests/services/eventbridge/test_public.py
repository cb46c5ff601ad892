"""Events other services emit through services.eventbridge.public, in AWS's shapes, matched by the
patterns AWS documents for them (called here as S3, EC2 and CloudWatch call it; CloudTrail builds
its records itself and calls `emit`)."""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction


def emitting(sandbox: Any) -> tuple[Any, Any]:
    from playground.sandboxes.models import Clock, Sandbox

    box = Sandbox.objects.get(pk=sandbox.id)
    return box, Clock.current(box.pk).now()


def test_service_events_reach_rules_in_aws_shapes(
    events: Any, make_queue: Any, drain: Any, sandbox: Any, db_access: None
) -> None:
    from services.eventbridge import public

    queue = make_queue()
    patterns = {
        "s3": {
            "source": ["aws.s3"],
            "detail-type": ["Object Created"],
            "detail": {"bucket": {"name": ["photos"]}, "object": {"key": [{"suffix": ".jpg"}]}},
        },
        "ec2": {
            "source": ["aws.ec2"],
            "detail-type": ["EC2 Instance State-change Notification"],
            "detail": {"state": ["stopped"]},
        },
        "alarm": {
            "source": ["aws.cloudwatch"],
            "detail-type": ["CloudWatch Alarm State Change"],
            "detail": {"state": {"value": ["ALARM"]}},
        },
    }
    for name, pattern in patterns.items():
        events.put_rule(Name=name, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": queue.arn}])
    box, now = emitting(sandbox)
    region = sandbox.region
    with transaction.atomic():
        public.object_created(
            sandbox=box,
            region=region,
            bucket="photos",
            key="cat.jpg",
            size=10,
            etag="abc",
            sequencer="00A",
            requester=box.account_id,
            source_ip="10.0.0.1",
            now=now,
        )
        public.object_created(
            sandbox=box,
            region=region,
            bucket="photos",
            key="notes.txt",
            size=1,
            etag="d",
            sequencer="00B",
            requester=box.account_id,
            source_ip="10.0.0.1",
            now=now,
        )
        public.instance_state_changed(sandbox=box, region=region, instance_id="i-0abc", state="stopped", now=now)
        public.instance_state_changed(sandbox=box, region=region, instance_id="i-0abc", state="running", now=now)
        public.alarm_state_changed(
            sandbox=box,
            region=region,
            alarm_name="cpu",
            state="ALARM",
            reason="high",
            alarm_arn=f"arn:aws:cloudwatch:{region}:{box.account_id}:alarm:cpu",
            previous_state="OK",
            previous_reason="fine",
            now=now,
        )
    bodies = [json.loads(message["Body"]) for message in drain(queue.url)]
    by_type = {body["detail-type"]: body for body in bodies}
    assert len(bodies) == 3
    created = by_type["Object Created"]
    assert created["resources"] == ["arn:aws:s3:::photos"]
    assert created["detail"]["object"]["key"] == "cat.jpg"
    assert created["detail"]["reason"] == "PutObject"
    state = by_type["EC2 Instance State-change Notification"]
    assert state["detail"] == {"instance-id": "i-0abc", "state": "stopped"}
    assert state["resources"] == [f"arn:aws:ec2:{region}:{box.account_id}:instance/i-0abc"]
    assert by_type["CloudWatch Alarm State Change"]["detail"]["previousState"]["value"] == "OK"
