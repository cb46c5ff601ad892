"""Delivering a matched event to a rule's targets: the payload (the event, Input, InputPath or
InputTransformer), the target's service through its public door, retries on the sandbox clock
(RetryPolicy) and the dead-letter queue (DeadLetterConfig).

    SQS        services.sqs.public; the queue policy must let events.amazonaws.com call
               sqs:SendMessage (aws:SourceArn is the rule); FIFO queues get the target's
               SqsParameters.MessageGroupId and the event id as deduplication id
    SNS        services.sns.public; the topic policy must let events.amazonaws.com call sns:Publish
    event bus  this sandbox's bus, or another sandbox's bus in the same classroom whose policy
               allows this account (buses.foreign_bus)
    Lambda     services.awslambda.public, asynchronously; the function policy must let
               events.amazonaws.com invoke it for the rule
    Kinesis    services.kinesis.public; the partition key is KinesisParameters.PartitionKeyPath
               in the event (a JSON path), else the event id
    Firehose   services.firehose.public
    CloudWatch Logs
               services.logs.public: the group must exist; each event is one log event, in a
               stream named by the event id, stamped with the event's time
    EC2's built-in targets
               not emulated yet: each attempt fails (retryable, so RetryPolicy and the DLQ apply)
    Step Functions
               not emulated: each delivery fails at once (FailedInvocations)

A retryable failure is tried again after 1, 2, 4, ... seconds (at most 5 minutes apart) of sandbox
time until RetryPolicy's MaximumRetryAttempts (default 185) or MaximumEventAgeInSeconds (default
86,400) runs out; a failure that cannot succeed (the resource is gone, its policy refuses) is not
retried. Either way the event then goes to the DeadLetterConfig queue, when there is one, with the
message attributes AWS documents (RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, ...).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import F

from playground import policies
from playground.gateway.errors import AwsError
from playground.sandboxes.duework import schedule_timer
from playground.sandboxes.models import Sandbox
from services.eventbridge import events, metrics
from services.eventbridge.models import Rule, Target

EVENTS_PRINCIPAL = "events.amazonaws.com"
SENDER_ID = "AIDAIEVENTBRIDGEDELIVERY"
DEFAULT_ATTEMPTS = 185
DEFAULT_AGE = 86400
MAX_BACKOFF = 300
MAX_HOPS = 3  # bus-to-bus forwarding depth, so two buses targeting each other cannot loop

NOT_YET = {"ec2": "Amazon EC2"}
BUILT_IN_EC2 = re.compile(
    r"^arn:aws[\w-]*:events:[\w-]+:\d{12}:target/(stop|terminate|reboot)-instance$|"
    r"^arn:aws[\w-]*:events:[\w-]+:\d{12}:target/create-snapshot$"
)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    code: str = ""
    message: str = ""
    retryable: bool = False


OK = Outcome(True)


def _service_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if len(parts) > 2 else ""


def _sqs(
    sandbox: Sandbox, rule: Rule, target: dict[str, Any], payload: str, event: dict[str, Any], now: dt.datetime
) -> Outcome:
    from services.sqs.public import Outgoing, check_message, messages_send, queue_by_arn

    queue = queue_by_arn(sandbox=sandbox, arn=target["Arn"])
    if queue is None:
        return Outcome(False, "SQS.NonExistentQueue", f"The queue {target['Arn']} does not exist.")
    decision = policies.service_decision(
        queue.policy or "",
        service_principal=EVENTS_PRINCIPAL,
        action="sqs:SendMessage",
        resource=queue.arn,
        context={"aws:SourceArn": rule.arn, "aws:SourceAccount": sandbox.account_id},
    )
    if decision is None or not decision.allowed:
        return Outcome(
            False,
            "SQS.AccessDenied",
            "The queue policy does not allow events.amazonaws.com to send"
            f" messages to {queue.arn} for rule {rule.arn}.",
        )
    group = (target.get("SqsParameters") or {}).get("MessageGroupId")
    outgoing = Outgoing(
        body=payload, group_id=group if queue.fifo else None, deduplication_id=event["id"] if queue.fifo else None
    )
    try:
        checked = check_message(queue, outgoing)
        messages_send(queue, [checked], sender_id=SENDER_ID, now=now)
    except AwsError as problem:
        return Outcome(False, f"SQS.{problem.code}", problem.message, retryable=problem.status >= 500)
    return OK


def _sns(sandbox: Sandbox, rule: Rule, target: dict[str, Any], payload: str, now: dt.datetime) -> Outcome:
    from services.sns.public import publish_as_service, topic_policy

    policy = topic_policy(sandbox=sandbox, arn=target["Arn"])
    if policy is None:
        return Outcome(False, "SNS.NotFound", f"The topic {target['Arn']} does not exist.")
    decision = policies.service_decision(
        policy,
        service_principal=EVENTS_PRINCIPAL,
        action="sns:Publish",
        resource=target["Arn"],
        context={"aws:SourceArn": rule.arn, "aws:SourceAccount": sandbox.account_id},
    )
    if decision is None or not decision.allowed:
        return Outcome(
            False,
            "SNS.AuthorizationError",
            f"The topic policy does not allow events.amazonaws.com to publish to {target['Arn']}.",
        )
    try:
        publish_as_service(sandbox=sandbox, arn=target["Arn"], message=payload, subject=None, now=now)
    except AwsError as problem:
        return Outcome(False, f"SNS.{problem.code}", problem.message, retryable=problem.status >= 500)
    return OK


def _failed(prefix: str, problem: AwsError) -> Outcome:
    return Outcome(False, f"{prefix}.{problem.code}", problem.message, retryable=problem.status >= 500)


def _region_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""


def _lambda(sandbox: Sandbox, rule: Rule, target: dict[str, Any], payload: str, now: dt.datetime) -> Outcome:
    from services.awslambda.public import invoke_as_service

    try:
        invoke_as_service(
            sandbox=sandbox, function_arn=target["Arn"], payload=payload, service_principal=EVENTS_PRINCIPAL,
            source_arn=rule.arn, now=now, kind="EventBridge",
        )  # fmt: skip
    except AwsError as problem:
        return _failed("Lambda", problem)
    return OK


def _json_path(event: dict[str, Any], path: str) -> Any:
    found: Any = event
    for part in path.removeprefix("$").strip(".").split("."):
        if not part:
            continue
        if not isinstance(found, dict) or part not in found:
            return None
        found = found[part]
    return found


def _kinesis(sandbox: Sandbox, target: dict[str, Any], payload: str, event: dict[str, Any],
             now: dt.datetime) -> Outcome:  # fmt: skip
    from services.kinesis.public import KinesisError, records_put

    path = (target.get("KinesisParameters") or {}).get("PartitionKeyPath")
    key = _json_path(event, path) if path else None
    if key is None:
        key = event["id"]
    elif not isinstance(key, str):
        key = json.dumps(key)
    try:
        output = records_put(sandbox=sandbox, region=_region_of(target["Arn"]), stream_arn=target["Arn"],
                             records_in=[(payload.encode(), key)], now=now)  # fmt: skip
    except KinesisError as problem:
        return _failed("Kinesis", problem)
    if output.get("FailedRecordCount"):
        record = output["Records"][0]
        return Outcome(False, f"Kinesis.{record.get('ErrorCode')}", str(record.get("ErrorMessage")), retryable=True)
    return OK


def _firehose(sandbox: Sandbox, target: dict[str, Any], payload: str, now: dt.datetime) -> Outcome:
    from services.firehose.public import FirehoseError, records_put

    try:
        ids = records_put(sandbox=sandbox, region=_region_of(target["Arn"]), delivery_stream=target["Arn"],
                          records=[payload.encode()], now=now)  # fmt: skip
    except FirehoseError as problem:
        return _failed("Firehose", problem)
    if ids[0] is None:
        return Outcome(False, "Firehose.ServiceUnavailableException", "Slow down.", retryable=True)
    return OK


def _logs(sandbox: Sandbox, target: dict[str, Any], payload: str, event: dict[str, Any], now: dt.datetime) -> Outcome:
    from services.logs.public import LogsError, events_write, group_exists

    arn = target["Arn"].removesuffix(":*")
    group = arn.partition(":log-group:")[2]
    region = _region_of(arn)
    if not group or not group_exists(sandbox=sandbox, region=region, group_name=group):
        return Outcome(False, "CloudWatchLogs.ResourceNotFoundException", f"The log group {group} does not exist.")
    try:
        stamp = int(dt.datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp() * 1000)
    except (KeyError, ValueError):
        stamp = int(now.timestamp() * 1000)
    try:
        events_write(sandbox=sandbox, region=region, group_name=group, stream_name=event["id"],
                     events=[(stamp, payload)], now=now)  # fmt: skip
    except LogsError as problem:
        return _failed("CloudWatchLogs", problem)
    return OK


def _ec2(sandbox: Sandbox, action: str, arn: str, payload: str, now: dt.datetime) -> Outcome:
    """A built-in target (target/stop-instance, ...): the API call made on the instance its Input
    names, as EventBridge makes it."""
    from services.ec2.public import Ec2Error, instance_act

    try:
        instance_id = json.loads(payload)
    except ValueError:
        instance_id = payload
    if not isinstance(instance_id, str):
        return Outcome(False, "EC2.InvalidInput", "The target's Input must be the instance ID, as a JSON string.")
    region = _region_of(arn)
    try:
        instance_act(sandbox=sandbox, region=region, instance_id=instance_id, action=action, now=now)
    except Ec2Error as problem:
        return _failed("EC2", problem)
    return OK


def _bus(sandbox: Sandbox, target: dict[str, Any], event: dict[str, Any], hops: int, now: dt.datetime) -> Outcome:
    from services.eventbridge.buses import BUS_ARN, foreign_bus
    from services.eventbridge.ingest import route

    if hops >= MAX_HOPS:
        return Outcome(False, "EventBridge.LoopDetected", "The event passed through too many event buses.")
    match = BUS_ARN.match(target["Arn"])
    if match is None:
        return Outcome(False, "EventBridge.NotFound", f"{target['Arn']} is not an event bus.")
    if match.group("account") == sandbox.account_id:
        from services.eventbridge.models import EventBus

        bus = EventBus.objects.filter(sandbox=sandbox, region=match.group("region"), name=match.group("name")).first()
        if bus is None:
            return Outcome(False, "EventBridge.NotFound", f"Event bus {match.group('name')} does not exist.")
    else:
        found, why = foreign_bus(sender=sandbox, arn=target["Arn"])
        if found is None:
            return Outcome(False, "EventBridge.AccessDenied", why)
        bus = found
    route(bus=bus, event=event, now=now, hops=hops + 1)
    return OK


def attempt(
    sandbox: Sandbox,
    rule: Rule,
    target: dict[str, Any],
    payload: str,
    event: dict[str, Any],
    *,
    hops: int,
    now: dt.datetime,
) -> Outcome:
    arn = target["Arn"]
    service = _service_of(arn)
    if service == "sqs":
        return _sqs(sandbox, rule, target, payload, event, now)
    if service == "sns":
        return _sns(sandbox, rule, target, payload, now)
    if service == "events" and ":event-bus/" in arn:
        return _bus(sandbox, target, event, hops, now)
    if service == "lambda":
        return _lambda(sandbox, rule, target, payload, now)
    if service == "kinesis":
        return _kinesis(sandbox, target, payload, event, now)
    if service == "firehose":
        return _firehose(sandbox, target, payload, now)
    if service == "logs":
        return _logs(sandbox, target, payload, event, now)
    if service == "states":
        return Outcome(
            False, "NotEmulated", "AWS Step Functions is not emulated by Playground: the state machine was not started."
        )
    built_in = BUILT_IN_EC2.match(arn)
    if built_in and built_in.group(1):
        return _ec2(sandbox, built_in.group(1), arn, payload, now)
    if built_in:
        return Outcome(
            False,
            "NotEmulatedYet",
            "EBS snapshots are not emulated yet: the CreateSnapshot API call was not made.",
            retryable=True,
        )
    if service in NOT_YET:
        return Outcome(
            False,
            "NotEmulatedYet",
            f"{NOT_YET[service]} is not emulated yet: the event was not delivered.",
            retryable=True,
        )
    return Outcome(False, "UnsupportedTarget", f"Targets of {service or arn} are not supported.")


def _backoff(attempts: int) -> int:
    return int(min(2 ** max(attempts - 1, 0), MAX_BACKOFF))


def deliver(
    *,
    sandbox: Sandbox,
    rule: Rule,
    target: Target | dict[str, Any],
    event: dict[str, Any],
    now: dt.datetime,
    attempts: int = 1,
    first_at: dt.datetime | None = None,
    hops: int = 0,
) -> Outcome:
    """One attempt at one target; schedules the retry, or sends the event to the DLQ, on failure."""
    from services.eventbridge.transform import payload_for

    config = target.config if isinstance(target, Target) else target
    first_at = first_at or now
    try:
        payload = payload_for(config, event=event, rule=rule)
    except ValueError as problem:
        outcome = Outcome(False, "InvalidInput", str(problem))
    else:
        outcome = attempt(sandbox, rule, config, payload, event, hops=hops, now=now)
    if outcome.ok:
        Rule.objects.filter(pk=rule.pk).update(invocations=F("invocations") + 1, metrics_due_at=metrics.due_at(now))
        events.delivered(rule, target_arn=config["Arn"], event=event, attempts=attempts, now=now)
        return outcome
    retry = config.get("RetryPolicy") or {}
    max_attempts = int(retry.get("MaximumRetryAttempts", DEFAULT_ATTEMPTS))
    max_age = int(retry.get("MaximumEventAgeInSeconds", DEFAULT_AGE))
    due = now + dt.timedelta(seconds=_backoff(attempts))
    if outcome.retryable and attempts <= max_attempts and (due - first_at).total_seconds() <= max_age:
        schedule_timer(
            sandbox=sandbox,
            due_at=due,
            kind="eventbridge.retry",
            payload={
                "rule": rule.pk,
                "target": config,
                "event": event,
                "attempts": attempts + 1,
                "first_at": first_at.isoformat(),
                "hops": hops,
            },
        )
        events.failed(
            rule,
            target_arn=config["Arn"],
            event=event,
            code=outcome.code,
            message=outcome.message,
            attempts=attempts,
            retry_at=due,
            now=now,
        )
        return outcome
    if not outcome.retryable:
        exhausted = ""
    elif attempts > max_attempts:
        exhausted = "MaximumRetryAttemptsExhausted"
    else:
        exhausted = "MaximumEventAgeExhausted"
    Rule.objects.filter(pk=rule.pk).update(
        failed_invocations=F("failed_invocations") + 1,
        metrics_due_at=metrics.due_at(now),
        last_failure={"target": config["Arn"], "code": outcome.code, "message": outcome.message, "at": now.isoformat()},
    )
    events.failed(
        rule,
        target_arn=config["Arn"],
        event=event,
        code=outcome.code,
        message=outcome.message,
        attempts=attempts,
        retry_at=None,
        now=now,
    )
    dead_letter = (config.get("DeadLetterConfig") or {}).get("Arn")
    if dead_letter:
        _to_dead_letter(sandbox, rule, config, event, outcome, attempts=attempts, exhausted=exhausted, now=now)
    return outcome


def _to_dead_letter(
    sandbox: Sandbox,
    rule: Rule,
    config: dict[str, Any],
    event: dict[str, Any],
    outcome: Outcome,
    *,
    attempts: int,
    exhausted: str,
    now: dt.datetime,
) -> None:
    from services.sqs.public import Outgoing, check_message, messages_send, queue_by_arn

    arn = config["DeadLetterConfig"]["Arn"]
    queue = queue_by_arn(sandbox=sandbox, arn=arn)
    if queue is None:
        return
    decision = policies.service_decision(
        queue.policy or "",
        service_principal=EVENTS_PRINCIPAL,
        action="sqs:SendMessage",
        resource=queue.arn,
        context={"aws:SourceArn": rule.arn, "aws:SourceAccount": sandbox.account_id},
    )
    if decision is None or not decision.allowed:
        return

    def text(value: str) -> dict[str, str]:
        return {"DataType": "String", "StringValue": value}

    attributes = {
        "RULE_ARN": text(rule.arn),
        "TARGET_ARN": text(config["Arn"]),
        "ERROR_CODE": text(outcome.code),
        "ERROR_MESSAGE": text(outcome.message[:1000]),
        "RETRY_ATTEMPTS": {"DataType": "Number", "StringValue": str(attempts - 1)},
    }
    if exhausted:
        attributes["EXHAUSTED_RETRY_CONDITION"] = text(exhausted)
    outgoing = Outgoing(
        body=json.dumps(event),
        attributes=attributes,
        group_id=event["id"] if queue.fifo else None,
        deduplication_id=event["id"] if queue.fifo else None,
    )
    try:
        messages_send(queue, [check_message(queue, outgoing)], sender_id=SENDER_ID, now=now)
    except AwsError:
        return
    events.dead_lettered(rule, target_arn=config["Arn"], queue_arn=queue.arn, event=event, now=now)
