"""Queues: create, find, list, change, tag, share, purge and delete them.

A queue belongs to one sandbox (account) and region. Its name can be reused 60 seconds after
DeleteQueue (until then QueueDeletedRecently). CreateQueue on an existing name returns it when
every attribute the request names has the queue's value, and QueueNameExists otherwise.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q

from playground.db import find_one
from playground.live import wakeup
from playground.sandboxes.models import Sandbox
from services.sqs import encryption, events
from services.sqs.addressing import FIFO_QUEUE_NAME, QUEUE_NAME, check_queue_name, parse_queue_url, queue_arn
from services.sqs.attributes import (
    AttributeChanges,
    check_fifo_combination,
    compact_json,
    describe,
    differing,
    parse_attributes,
    requested_names,
)
from services.sqs.exceptions import (
    InvalidParameterValue,
    MissingParameter,
    PurgeQueueInProgress,
    QueueDeletedRecently,
    QueueDoesNotExist,
    QueueNameExists,
    invalid_parameter,
)
from services.sqs.models import DeletedQueue, Message, Queue
from services.sqs.redrive import apply_redrive_policies

NAME_REUSE_DELAY = dt.timedelta(seconds=60)
PURGE_INTERVAL = dt.timedelta(seconds=60)
MAX_TAGS = 50
MAX_LIST_RESULTS = 1000
LABEL = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
MAX_NAME_LENGTH = 80  # a queue name, ".fifo" included
# Actions a queue policy made by AddPermission may grant, and the ones only the owner may call.
SHAREABLE_ACTIONS = (
    "*",
    "ChangeMessageVisibility",
    "DeleteMessage",
    "GetQueueAttributes",
    "GetQueueUrl",
    "ListDeadLetterSourceQueues",
    "PurgeQueue",
    "ReceiveMessage",
    "SendMessage",
)
OWNER_ONLY_ACTIONS = (
    "AddPermission",
    "CreateQueue",
    "DeleteQueue",
    "ListQueues",
    "ListQueueTags",
    "RemovePermission",
    "SetQueueAttributes",
    "TagQueue",
    "UntagQueue",
)
MAX_ACTIONS_PER_STATEMENT = 7


# --- finding -------------------------------------------------------------------------------------


def queue_from_url(*, sandbox: Sandbox, region: str, url: str, lock: bool = False) -> Queue:
    """The sandbox's queue a URL names, or (as AWS accepts too) its bare name in the request's
    region. A URL of another account names no queue of this sandbox."""
    if not url:
        raise MissingParameter("The request must contain the parameter QueueUrl.")
    if QUEUE_NAME.match(url) or FIFO_QUEUE_NAME.match(url):
        name = url
    else:
        address = parse_queue_url(url)
        if address.account_id != sandbox.account_id:
            raise QueueDoesNotExist()
        region, name = address.region or region, address.name
    queue = find_one(Queue, lock=lock, sandbox=sandbox, region=region, name=name)  # every SQS call looks it up
    if queue is None:
        raise QueueDoesNotExist()
    queue.sandbox = sandbox
    return queue


def queue_by_arn(*, sandbox: Sandbox, arn: str) -> Queue | None:
    queue = find_one(Queue, sandbox=sandbox, arn=arn)  # every SNS delivery to a queue looks it up
    if queue is not None:
        queue.sandbox = sandbox
    return queue


def queue_by_name(*, sandbox: Sandbox, region: str, name: str, owner_account_id: str | None = None) -> Queue:
    if owner_account_id and owner_account_id != sandbox.account_id:
        raise QueueDoesNotExist()
    queue = Queue.objects.filter(sandbox=sandbox, region=region, name=name).first()
    if queue is None:
        raise QueueDoesNotExist()
    queue.sandbox = sandbox
    return queue


# --- creating and deleting -----------------------------------------------------------------------


def queue_create(
    *,
    sandbox: Sandbox,
    region: str,
    name: str,
    attributes: Mapping[str, str] | None,
    tags: Mapping[str, str] | None,
    now: dt.datetime,
) -> Queue:
    attributes = dict(attributes or {})
    fifo = str(attributes.get("FifoQueue", "")).strip().lower() == "true"
    if name.endswith(".fifo") and not fifo:
        raise InvalidParameterValue(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        )
    check_queue_name(name, fifo=fifo)
    changes = parse_attributes(attributes, fifo=fifo, creating=True)
    existing = Queue.objects.filter(sandbox=sandbox, region=region, name=name).first()
    if existing is not None:
        existing.sandbox = sandbox
        if existing.fifo != fifo:
            raise QueueNameExists(
                "A queue already exists with the same name and a different value for attribute(s) FifoQueue"
            )
        names = differing(existing, changes)
        if names:
            raise QueueNameExists(
                "A queue already exists with the same name and a different value for attribute(s) " + ", ".join(names)
            )
        return existing
    if DeletedQueue.objects.filter(sandbox=sandbox, region=region, name=name, reusable_at__gt=now).exists():
        raise QueueDeletedRecently(
            "You must wait 60 seconds after deleting a queue before you can create another with the same name."
        )
    _check_tags(dict(tags or {}), name=name)
    queue = Queue(
        sandbox=sandbox,
        region=region,
        name=name,
        arn=queue_arn(region, sandbox.account_id, name),
        fifo=fifo,
        created_at=now,
        modified_at=now,
        tags=dict(tags or {}),
    )
    if fifo:
        queue.deduplication_scope = "queue"
        queue.fifo_throughput_limit = "perQueue"
    for field, value in changes.fields.items():
        setattr(queue, field, value)
    if fifo:
        check_fifo_combination(vars(queue))
    apply_redrive_policies(queue, changes)
    try:
        with transaction.atomic():
            queue.save()
    except IntegrityError:
        # Created by a concurrent request just now: answer as for an existing queue.
        return queue_create(sandbox=sandbox, region=region, name=name, attributes=attributes, tags=tags, now=now)
    events.queue_created(sandbox, arn=queue.arn, name=name, attributes=queue_attributes_all(queue, now=now), now=now)
    return queue


def queue_delete(*, queue: Queue, now: dt.datetime) -> None:
    DeletedQueue.objects.filter(sandbox=queue.sandbox, reusable_at__lte=now).delete()
    DeletedQueue.objects.create(
        sandbox=queue.sandbox, region=queue.region, name=queue.name, reusable_at=now + NAME_REUSE_DELAY
    )
    channel = queue.wake_channel
    events.queue_deleted(queue.sandbox, arn=queue.arn, name=queue.name, now=now)
    Message.objects.filter(queue=queue).delete()
    queue.delete()
    wakeup.notify(channel)


# --- listing -------------------------------------------------------------------------------------


def encode_token(last: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last}).encode()).decode()


def decode_token(token: str) -> str:
    try:
        document = json.loads(base64.urlsafe_b64decode(token.encode()))
        return str(document["after"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidParameterValue("Invalid NextToken value.") from None


def check_max_results(max_results: int | None) -> int | None:
    if max_results is not None and not 1 <= max_results <= MAX_LIST_RESULTS:
        raise invalid_parameter(
            "MaxResults", max_results, f"MaxResults must be an integer between 1 and {MAX_LIST_RESULTS}."
        )
    return max_results


def queue_list(
    *, sandbox: Sandbox, region: str, prefix: str | None, max_results: int | None, next_token: str | None
) -> tuple[list[Queue], str | None]:
    check_max_results(max_results)
    if prefix and len(prefix) > MAX_NAME_LENGTH:
        return [], None  # no queue name is that long (and SQLite refuses a LIKE pattern of a megabyte)
    rows = Queue.objects.filter(sandbox=sandbox, region=region).order_by("name")
    if prefix:
        rows = rows.filter(name__startswith=prefix)
    if next_token:
        rows = rows.filter(name__gt=decode_token(next_token))
    limit = max_results or MAX_LIST_RESULTS
    page = list(rows[: limit + 1])
    token = encode_token(page[limit - 1].name) if max_results and len(page) > limit else None
    return page[:limit], token


def dead_letter_sources(
    *, queue: Queue, max_results: int | None, next_token: str | None
) -> tuple[list[Queue], str | None]:
    rows = Queue.objects.filter(sandbox=queue.sandbox, dead_letter_target_arn=queue.arn).order_by("name")
    if next_token:
        rows = rows.filter(name__gt=decode_token(next_token))
    check_max_results(max_results)
    limit = max_results or MAX_LIST_RESULTS
    page = list(rows[: limit + 1])
    token = encode_token(page[limit - 1].name) if max_results and len(page) > limit else None
    return page[:limit], token


# --- attributes ----------------------------------------------------------------------------------


def queue_counts(queue: Queue, *, now: dt.datetime) -> dict[str, int]:
    """ApproximateNumberOfMessages(NotVisible/Delayed): exact for the sandbox at `now`."""
    counted = Message.objects.filter(queue=queue, expires_at__gt=now).aggregate(
        visible=Count("id", filter=Q(visible_at__lte=now)),
        in_flight=Count("id", filter=Q(visible_at__gt=now, receive_count__gt=0)),
        delayed=Count("id", filter=Q(visible_at__gt=now, receive_count=0)),
    )
    return {
        "ApproximateNumberOfMessages": counted["visible"],
        "ApproximateNumberOfMessagesNotVisible": counted["in_flight"],
        "ApproximateNumberOfMessagesDelayed": counted["delayed"],
    }


def queue_attributes(*, queue: Queue, names: Iterable[str] | None, now: dt.datetime) -> dict[str, str]:
    chosen = requested_names(names, fifo=queue.fifo)
    return describe(queue, chosen, lambda: queue_counts(queue, now=now))


def queue_attributes_all(queue: Queue, *, now: dt.datetime) -> dict[str, str]:
    return queue_attributes(queue=queue, names=["All"], now=now)


def queue_set_attributes(*, queue: Queue, attributes: Mapping[str, str], now: dt.datetime) -> Queue:
    changes = parse_attributes(dict(attributes), fifo=queue.fifo, creating=False)
    _apply(queue, changes, now=now)
    return queue


def _apply(queue: Queue, changes: AttributeChanges, *, now: dt.datetime) -> None:
    retention_before = queue.message_retention_period
    if changes.fields.get("kms_master_key_id") == "" and "sqs_managed_sse_enabled" not in changes.fields:
        changes.fields["sqs_managed_sse_enabled"] = queue.sqs_managed_sse_enabled
    if changes.fields.get("kms_master_key_id", queue.kms_master_key_id) != queue.kms_master_key_id:
        encryption.forget_data_key(queue)
    for field, value in changes.fields.items():
        setattr(queue, field, value)
    if queue.fifo:
        check_fifo_combination(vars(queue))
    apply_redrive_policies(queue, changes)
    queue.modified_at = now
    queue.save()
    if queue.message_retention_period != retention_before:
        _reapply_retention(queue)
    events.queue_changed(
        queue.sandbox, arn=queue.arn, name=queue.name, attributes=queue_attributes_all(queue, now=now), now=now
    )


def _reapply_retention(queue: Queue) -> None:
    """A changed retention period applies to the messages already queued (AWS: within 15 minutes)."""
    period = dt.timedelta(seconds=queue.message_retention_period)
    Message.objects.filter(queue=queue).update(expires_at=F("enqueued_at") + period)


# --- tags ----------------------------------------------------------------------------------------


def _check_tags(tags: dict[str, str], *, name: str) -> None:
    if len(tags) > MAX_TAGS:
        raise InvalidParameterValue(f"Too many tags added for queue {name}.")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128:
            raise invalid_parameter("TagKey", key, "Tag keys must be between 1 and 128 characters in length.")
        if key.lower().startswith("aws:"):
            raise invalid_parameter("TagKey", key, "Tag keys can't start with the reserved prefix aws:.")
        if len(value or "") > 256:
            raise invalid_parameter("TagValue", value, "Tag values can be at most 256 characters in length.")


def queue_tag(*, queue: Queue, tags: Mapping[str, str], now: dt.datetime) -> None:
    """Add or overwrite tags; a queue keeps at most 50, and a refused request changes none."""
    if not tags:
        raise MissingParameter("The request must contain the parameter Tags.")
    merged = {**queue.tags, **dict(tags)}
    _check_tags(merged, name=queue.name)
    queue.tags = merged
    queue.save(update_fields=["tags"])


def queue_untag(*, queue: Queue, keys: Iterable[str], now: dt.datetime) -> None:
    queue.tags = {key: value for key, value in queue.tags.items() if key not in set(keys)}
    queue.save(update_fields=["tags"])


# --- permissions (the queue policy AddPermission writes) -----------------------------------------


def _policy(queue: Queue) -> dict[str, Any]:
    if queue.policy:
        document: dict[str, Any] = json.loads(queue.policy)
        document.setdefault("Statement", [])
        return document
    return {"Version": "2012-10-17", "Id": f"{queue.arn}/SQSDefaultPolicy", "Statement": []}


def permission_add(*, queue: Queue, label: str, account_ids: list[str], actions: list[str], now: dt.datetime) -> None:
    if not LABEL.match(label or ""):
        raise invalid_parameter(
            "Label", label, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        )
    if not account_ids:
        raise MissingParameter("The request must contain the parameter AWSAccountIds.")
    if not actions:
        raise MissingParameter("The request must contain the parameter Actions.")
    if len(actions) > MAX_ACTIONS_PER_STATEMENT:
        raise InvalidParameterValue(
            f"{len(actions)} actions were found, maximum allowed is {MAX_ACTIONS_PER_STATEMENT} actions per statement."
        )
    for action in actions:
        if action in OWNER_ONLY_ACTIONS:
            raise invalid_parameter(
                "ActionName", f"SQS:{action}", "Only the queue owner is allowed to invoke this action."
            )
        if action not in SHAREABLE_ACTIONS:
            raise invalid_parameter(
                "ActionName", f"SQS:{action}", "Please refer to the appropriate WSDL for a list of valid actions."
            )
    for account in account_ids:
        if not (len(account) == 12 and account.isdigit()):
            raise invalid_parameter("PrincipalId", account, "Unable to verify.")
    document = _policy(queue)
    if any(statement.get("Sid") == label for statement in document["Statement"]):
        raise invalid_parameter("Label", label, "Already exists.")
    principals = [f"arn:aws:iam::{account}:root" for account in account_ids]
    granted = [f"SQS:{action}" for action in actions]
    document["Statement"].append(
        {
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
            "Action": granted[0] if len(granted) == 1 else granted,
            "Resource": queue.arn,
        }
    )
    queue.policy = compact_json(document)
    queue.modified_at = now
    queue.save(update_fields=["policy", "modified_at"])


def permission_remove(*, queue: Queue, label: str, now: dt.datetime) -> None:
    document = _policy(queue)
    kept = [statement for statement in document["Statement"] if statement.get("Sid") != label]
    if len(kept) == len(document["Statement"]):
        raise invalid_parameter("Label", label, "can't find label on existing policy.")
    document["Statement"] = kept
    queue.policy = compact_json(document) if kept else ""
    queue.modified_at = now
    queue.save(update_fields=["policy", "modified_at"])


# --- purging -------------------------------------------------------------------------------------


def queue_purge(*, queue: Queue, now: dt.datetime) -> int:
    """Delete every message (in flight or not); once a minute at most."""
    if queue.last_purge_at is not None and now - queue.last_purge_at < PURGE_INTERVAL:
        raise PurgeQueueInProgress(f"Only one PurgeQueue operation on {queue.name} is allowed every 60 seconds.")
    count, _ = Message.objects.filter(queue=queue).delete()
    queue.last_purge_at = now
    queue.save(update_fields=["last_purge_at"])
    events.flow(
        queue.sandbox, "purged", source=queue.arn, target=queue.arn, item_id="", now=now, detail={"count": count}
    )
    return count
