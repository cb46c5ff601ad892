"""SQS: the 23 operations of botocore's sqs model, over the JSON protocol and the legacy query
protocol (the same methods serve both). Each method reads its parameters, finds the queue and
calls one domain function; the rules live in the domain modules:

    queues.py      create / find / list / attributes / tags / permissions / purge / delete
    attributes.py  queue attribute names, defaults, validation and rendering
    messages.py    message checks, sending, MD5s (md5.py), the received form
    receiving.py   claiming messages atomically; longpoll.py waits; fifo.py the FIFO rules
    visibility.py  delete and change visibility by receipt handle (handles.py), the tick's work
    redrive.py     dead-letter queues and message move tasks
    batches.py     the batch actions' shared rules
    events.py      the live events (kinds listed there); graph.py the diagram's nodes and edges

LIMITATIONS (deliberate differences from AWS):
- Short polls (WaitTimeSeconds=0) see every available message, as if all of SQS's servers were
  asked; AWS samples a subset and may return fewer or none.
- Long polls wait in wall-clock seconds (the HTTP request's time), not scaled by the sandbox
  clock's speed; messages that become visible on the sandbox clock during the wait are returned
  at that moment.
- Standard queues deliver in order (by the time a message became available, then by send order)
  and never deliver a message twice while it is invisible; AWS's at-least-once duplicates and
  reordering are not simulated. Fair-queue prioritisation between message groups of a standard
  queue is not simulated (MessageGroupId is stored and returned).
- A message received maxReceiveCount times moves to its dead-letter queue when its visibility
  timeout ends (on the tick, or at a receive that comes first), not only at the next receive; until
  the tick runs (about a second) the source queue's counts may still show it as available.
- Queue policies (Policy, AddPermission) are stored and returned but not enforced; every queue is
  reachable only by its own sandbox (account); cross-account access via policy is not emulated.
  QueueOwnerAWSAccountId naming another account gets QueueDoesNotExist.
- SSE-KMS (KmsMasterKeyId): bodies are stored sealed under a KMS data key held for
  KmsDataKeyReusePeriodSeconds (encryption.py); a key disabled or deleted meanwhile fails sends and
  receives with KMS.* errors once that period ends. A message moved to a dead-letter queue keeps the
  source queue's data key (AWS re-encrypts under the target's). SqsManagedSseEnabled bodies are
  stored as sent.
- Deletion, purge and attribute changes take effect at once (AWS: up to 60 s, retention 15 min).
- AWS's own rate limits (FIFO queues' 300 transactions a second) are not simulated; the in-flight
  limit (120,000) is. A classroom's per-sandbox quotas (playground/gateway/quotas.py) refuse calls
  over the request rate with RequestThrottled and queues past the queue quota with OverLimit.
- StartMessageMoveTask without MaxNumberOfMessagesPerSecond moves 500 messages per sandbox second
  (AWS: "optimised" for the backlog). Cancelling goes straight to CANCELLED (AWS passes CANCELLING).
- Error messages follow AWS's wording where it is documented or well known; others are worded
  after them and name the limit.
- A lone surrogate (a "\ud800" JSON escape) anywhere in a request is a SerializationException from
  the gateway, in a message body too (AWS: InvalidMessageContents naming #xD800).
- A legacy query-protocol request that names its queue only by the URL path (`POST
  /123456789012/q` without QueueUrl) is not understood; query requests are otherwise read and
  answered with the 2012-11-05 names older SDKs send (playground/gateway/wire/sqs.json).
"""

from __future__ import annotations

from typing import Any

from playground.gateway.errors import AwsError
from playground.gateway.registry import Provider, own_transactions, register
from playground.gateway.request import RequestContext
from playground.gateway.validation import Problem
from playground.sandboxes.models import Clock
from playground.sandboxes.principals import principal_id
from services.kms.public import sse
from services.sqs import queues, redrive, tasks, visibility  # noqa: F401  (tasks registers the tick's work)
from services.sqs.addressing import queue_url
from services.sqs.attributes import check_names
from services.sqs.batches import MAX_BATCH_BYTES, EntryFailure, batch_output, check_entries, each_entry
from services.sqs.exceptions import (
    BatchRequestTooLong,
    InvalidMessageContents,
    InvalidParameterValue,
    MissingParameter,
)
from services.sqs.longpoll import receive_messages
from services.sqs.messages import (
    ALLOWED_CHARACTERS,
    Outgoing,
    check_message,
    messages_send,
    payload_size,
)
from services.sqs.models import Queue
from services.sqs.receiving import check_receive

_ATTRIBUTE_PATHS = ("attributes", "attributeNames", "messageSystemAttributeNames")


def _caller(ctx: RequestContext) -> sse.Caller:
    """Who a KMS call made for this request acts for (CloudTrail names the producer or consumer)."""
    return sse.Caller(ctx.principal_arn, ctx.access_key.access_key_id if ctx.access_key else "")


def _outgoing(entry: dict[str, Any]) -> Outgoing:
    return Outgoing(
        body=entry.get("MessageBody"),
        delay=entry.get("DelaySeconds"),
        attributes=entry.get("MessageAttributes"),
        system_attributes=entry.get("MessageSystemAttributes"),
        deduplication_id=entry.get("MessageDeduplicationId"),
        group_id=entry.get("MessageGroupId"),
    )


def _parameter_name(path: str) -> str:
    """A validation path as AWS names the parameter: `entries.1.member.id` -> `Entries.1.Id`."""
    parts = [part for part in path.split(".") if part != "member"]
    return ".".join(part[:1].upper() + part[1:] for part in parts)


@register
class SqsProvider(Provider):
    service = "sqs"

    # --- validation ------------------------------------------------------------------------------

    def checks_itself(self, operation: str, problem: Problem) -> bool:
        if problem.path in _ATTRIBUTE_PATHS and "enum value set" in problem.message:
            # Unknown attribute names are named as sent (attributes.check_names, receiving.check_receive);
            # ReceiveMessage's legacy AttributeNames also take message system attribute names.
            return True
        # messages.check_message refuses the body: the whole call for SendMessage, one entry of a batch.
        return problem.kind == "characters" and problem.path.endswith("messageBody")

    def validation_error(self, protocol: str, problems: list[Problem]) -> AwsError | None:
        """SQS words model violations as MissingParameter, InvalidMessageContents
        or InvalidParameterValue."""
        problem = problems[0]
        name = _parameter_name(problem.path)
        if problem.kind == "required":
            return MissingParameter(f"The request must contain the parameter {name}.")
        if problem.kind == "characters" and problem.path.endswith("messageBody"):
            return InvalidMessageContents(
                "Invalid binary character '#x0' was found in the message body, the set of allowed characters is "
                f"{ALLOWED_CHARACTERS}"
            )
        reason = problem.message.split("failed to satisfy constraint: ", 1)[-1]
        return InvalidParameterValue(f"Value for parameter {name} is invalid. Reason: {reason}.")

    # --- helpers ---------------------------------------------------------------------------------

    def _queue(self, ctx: RequestContext, params: dict[str, Any], *, lock: bool = False) -> Queue:
        return queues.queue_from_url(sandbox=ctx.sandbox, region=ctx.region, url=params.get("QueueUrl", ""), lock=lock)

    def _url(self, ctx: RequestContext, queue: Queue) -> str:
        return queue_url(ctx.request.base_url, ctx.account_id, queue.name)

    # --- queues ----------------------------------------------------------------------------------

    def create_queue(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        check_names(params.get("Attributes") or {})
        queue = queues.queue_create(
            sandbox=ctx.sandbox,
            region=ctx.region,
            name=params["QueueName"],
            attributes=params.get("Attributes"),
            tags=params.get("tags"),
            now=ctx.now,
        )
        return {"QueueUrl": self._url(ctx, queue)}

    @own_transactions  # only reads
    def get_queue_url(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        queue = queues.queue_by_name(
            sandbox=ctx.sandbox,
            region=ctx.region,
            name=params["QueueName"],
            owner_account_id=params.get("QueueOwnerAWSAccountId"),
        )
        return {"QueueUrl": self._url(ctx, queue)}

    @own_transactions  # only reads
    def list_queues(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found, token = queues.queue_list(
            sandbox=ctx.sandbox,
            region=ctx.region,
            prefix=params.get("QueueNamePrefix"),
            max_results=params.get("MaxResults"),
            next_token=params.get("NextToken"),
        )
        output: dict[str, Any] = {}
        if found:
            output["QueueUrls"] = [self._url(ctx, queue) for queue in found]
        if token:
            output["NextToken"] = token
        return output

    def delete_queue(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        queues.queue_delete(queue=self._queue(ctx, params, lock=True), now=ctx.now)
        return {}

    def get_queue_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        check_names(params.get("AttributeNames") or [])
        attributes = queues.queue_attributes(
            queue=self._queue(ctx, params), names=params.get("AttributeNames"), now=ctx.now
        )
        return {"Attributes": attributes} if attributes else {}

    def set_queue_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        check_names(params["Attributes"])
        queues.queue_set_attributes(
            queue=self._queue(ctx, params, lock=True), attributes=params["Attributes"], now=ctx.now
        )
        return {}

    def purge_queue(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        queues.queue_purge(queue=self._queue(ctx, params, lock=True), now=ctx.now)
        return {}

    def tag_queue(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        queues.queue_tag(queue=self._queue(ctx, params, lock=True), tags=params["Tags"], now=ctx.now)
        return {}

    def untag_queue(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        queues.queue_untag(queue=self._queue(ctx, params, lock=True), keys=params["TagKeys"], now=ctx.now)
        return {}

    @own_transactions  # only reads
    def list_queue_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        tags = self._queue(ctx, params).tags
        return {"Tags": tags} if tags else {}

    def add_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        queues.permission_add(
            queue=self._queue(ctx, params, lock=True),
            label=params["Label"],
            account_ids=params["AWSAccountIds"],
            actions=params["Actions"],
            now=ctx.now,
        )
        return {}

    def remove_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        queues.permission_remove(queue=self._queue(ctx, params, lock=True), label=params["Label"], now=ctx.now)
        return {}

    # --- messages --------------------------------------------------------------------------------

    def send_message(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(ctx, params)
        [sent] = messages_send(
            queue, [check_message(queue, _outgoing(params))], sender_id=principal_id(ctx.principal_arn), now=ctx.now,
            caller=_caller(ctx),
        )  # fmt: skip
        return sent.as_output()

    def send_message_batch(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(ctx, params)
        entries = check_entries(params.get("Entries"), entry_shape="SendMessageBatchRequestEntry")
        total = sum(payload_size(_outgoing(entry)) for entry in entries)
        if total > MAX_BATCH_BYTES:
            raise BatchRequestTooLong(
                f"Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. You have sent {total} bytes."
            )
        checked, failed = each_entry(entries, lambda entry: check_message(queue, _outgoing(entry)))
        sent = messages_send(
            queue, [item for _, item in checked], sender_id=principal_id(ctx.principal_arn), now=ctx.now,
            caller=_caller(ctx),
        )  # fmt: skip
        successful = [
            {"Id": entry_id, **result.as_output()} for (entry_id, _), result in zip(checked, sent, strict=True)
        ]
        return batch_output(successful, failed)

    @own_transactions  # a long poll waits outside any transaction; each claim is one
    def receive_message(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        request = check_receive(
            max_messages=params.get("MaxNumberOfMessages"),
            visibility_timeout=params.get("VisibilityTimeout"),
            wait_seconds=params.get("WaitTimeSeconds"),
            attribute_names=params.get("AttributeNames"),
            system_attribute_names=params.get("MessageSystemAttributeNames"),
            message_attribute_names=params.get("MessageAttributeNames"),
            attempt_id=params.get("ReceiveRequestAttemptId"),
            caller=_caller(ctx),
        )
        queue = self._queue(ctx, params)

        def refresh() -> Queue | None:
            found = Queue.objects.filter(pk=queue.pk).first()
            if found is not None:
                found.sandbox = ctx.sandbox
            return found

        messages = receive_messages(
            queue=queue,
            request=request,
            read_clock=lambda: Clock.current(ctx.sandbox.pk),
            now=ctx.now,
            refresh_queue=refresh,
        )
        return {"Messages": messages} if messages else {}

    def delete_message(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        visibility.message_delete(queue=self._queue(ctx, params), receipt_handle=params["ReceiptHandle"], now=ctx.now)
        return {}

    def delete_message_batch(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(ctx, params)
        entries = check_entries(params.get("Entries"), entry_shape="DeleteMessageBatchRequestEntry")
        outcomes = visibility.messages_delete(
            queue=queue, receipt_handles=[entry["ReceiptHandle"] for entry in entries], now=ctx.now
        )
        successful = [{"Id": entry["Id"]} for entry, error in zip(entries, outcomes, strict=True) if error is None]
        failed = [EntryFailure.of(entry["Id"], error) for entry, error in zip(entries, outcomes, strict=True) if error]
        return batch_output(successful, failed)

    def change_message_visibility(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        visibility.visibility_change(
            queue=self._queue(ctx, params),
            receipt_handle=params["ReceiptHandle"],
            timeout=params.get("VisibilityTimeout"),
            now=ctx.now,
        )
        return {}

    def change_message_visibility_batch(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(ctx, params)
        entries = check_entries(params.get("Entries"), entry_shape="ChangeMessageVisibilityBatchRequestEntry")

        def change(entry: dict[str, Any]) -> None:
            if entry.get("VisibilityTimeout") is None:
                raise MissingParameter("The request must contain the parameter VisibilityTimeout.")
            visibility.visibility_change(
                queue=queue, receipt_handle=entry["ReceiptHandle"], timeout=entry["VisibilityTimeout"], now=ctx.now
            )

        done, failed = each_entry(entries, change)
        return batch_output([{"Id": entry_id} for entry_id, _ in done], failed)

    # --- dead-letter queues ----------------------------------------------------------------------

    def list_dead_letter_source_queues(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found, token = queues.dead_letter_sources(
            queue=self._queue(ctx, params), max_results=params.get("MaxResults"), next_token=params.get("NextToken")
        )
        output: dict[str, Any] = {"queueUrls": [self._url(ctx, queue) for queue in found]}
        if token:
            output["NextToken"] = token
        return output

    def start_message_move_task(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        task = redrive.move_task_start(
            sandbox=ctx.sandbox,
            source_arn=params["SourceArn"],
            destination_arn=params.get("DestinationArn"),
            max_per_second=params.get("MaxNumberOfMessagesPerSecond"),
            now=ctx.now,
        )
        return {"TaskHandle": redrive.encode_task_handle(task)}

    def cancel_message_move_task(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        task = redrive.move_task_cancel(sandbox=ctx.sandbox, handle=params["TaskHandle"], now=ctx.now)
        return {"ApproximateNumberOfMessagesMoved": task.moved}

    def list_message_move_tasks(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = redrive.move_tasks_list(
            sandbox=ctx.sandbox, source_arn=params["SourceArn"], max_results=params.get("MaxResults")
        )
        return {"Results": [redrive.move_task_output(task) for task in found]}
