"""An SQS producer and consumers that record what every call's answer told them, and the checks run
on those records once the faults are over. The chaos bench (bench_chaos.py) and its short seeded
sample in the test suite (tests/reliability/) share them.

A client concludes what any SDK could over a connection that may break at any moment:
- a call that answered has an outcome: success, or the AWS error it returned;
- a call whose connection failed is unknown: a send may or may not have enqueued, a receive may
  have claimed messages nobody will see (they come back when their visibility timeout ends), a
  delete may or may not have deleted.

The checks hold the server only to what it acknowledged:
- lost: a body whose send answered success is never received;
- resurrected: a message is received again after a DeleteMessage with its newest receipt handle
  answered success. A receive that started after that answer and returns the message with
  ApproximateReceiveCount = the handle's count + 1 claimed it after the delete. (A delete with an
  older handle answers success and deletes nothing, as on AWS: the message comes back with a count
  higher than that, and is only counted as a redelivery.)
- split: a body sent once became two messages (two MessageIds). Standard sends are never retried;
  FIFO sends are retried with the same deduplication id until they answer;
- phantom: a received body was never sent;
- disorder: within a FIFO group, a later message got a lower sequence number or was first received
  before an earlier one, a batch held a group's messages out of order or with a gap, or a message
  was received again after a later message of its group had been received;
- server errors: any 5xx answer.
"""

from __future__ import annotations

import bisect
import itertools
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError
from botocore.parsers import ResponseParserError

# What a broken or refused connection looks like to botocore: the call's outcome is unknown.
CONNECTION_ERRORS = (ConnectionError, HTTPClientError, ResponseParserError)
STANDARD_QUEUES = ("chaos-a", "chaos-b")
FIFO_QUEUE = "chaos-f.fifo"
FIFO_GROUPS = ("g0", "g1", "g2")
RETRY_PAUSE = 0.2  # seconds between attempts while the server is down
COUNTS = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed")
CLIENT_CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=15)


@dataclass(frozen=True)
class Endpoint:
    url: str
    access_key_id: str
    secret_access_key: str
    region: str

    def client(self) -> Any:
        """A boto3 SQS client of its own (sessions are not shared between threads), retries off:
        the workload decides what to retry, as an application over an SDK would."""
        return boto3.session.Session().client(
            "sqs",
            endpoint_url=self.url,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=CLIENT_CONFIG,
        )


@dataclass(frozen=True)
class Sent:
    body: str
    queue: str
    outcome: str  # ok | unknown | refused
    group: str = ""
    index: int = 0  # the message's place in its FIFO group


@dataclass(frozen=True)
class Received:
    body: str
    queue: str
    message_id: str
    receive_count: int
    first_received_ms: int
    sequence_number: int
    group: str
    started: float  # time.monotonic() when the ReceiveMessage call began
    finished: float  # ... and when its answer arrived
    call: int  # which ReceiveMessage call (unique per run)
    position: int  # place in that call's answer


@dataclass(frozen=True)
class Deleted:
    body: str
    receive_count: int  # the count the handle was received with
    outcome: str  # ok | unknown | refused
    started: float
    finished: float


@dataclass
class Records:
    """Everything the clients learnt. Lists are appended to from several threads (atomic in CPython)."""

    sent: list[Sent] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    deleted: list[Deleted] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)  # connection errors and AWS error codes
    server_errors: list[str] = field(default_factory=list)  # 5xx answers


@dataclass
class Findings:
    sent_ok: int
    sent_unknown: int
    sent_refused: int
    unknown_sends_received: int  # sends whose answer was lost but which had been enqueued
    receives: int
    distinct_received: int
    redeliveries: int  # receives beyond the first of a message (allowed: a delete did not succeed)
    deletes_ok: int
    deletes_unknown: int
    deletes_refused: int
    stale_deletes_redelivered: int  # success with an older handle, message back later (AWS semantics)
    lost: list[str]
    resurrected: list[str]
    split: list[str]
    phantom: list[str]
    disorder: list[str]
    server_errors: list[str]

    @property
    def violations(self) -> int:
        return sum(
            len(found)
            for found in (self.lost, self.resurrected, self.split, self.phantom, self.disorder, self.server_errors)
        )

    def summary(self, sample: int = 5) -> dict[str, Any]:
        """Counts, with a few examples of each kind of violation."""
        kinds = ("lost", "resurrected", "split", "phantom", "disorder", "server_errors")
        figures: dict[str, Any] = {
            name: value for name, value in vars(self).items() if isinstance(value, int) and name not in kinds
        }
        for kind in kinds:
            found: list[str] = getattr(self, kind)
            figures[kind] = len(found)
            if found:
                figures[f"{kind} (examples)"] = found[:sample]
        figures["violations"] = self.violations
        return figures


class Workload:
    """One producer and `consumers` consumers on two standard queues and a FIFO queue.

    The producer alternates SendMessage and SendMessageBatch on the standard queues (never retried:
    a failed connection leaves the body's fate unknown) and SendMessage on the FIFO queue's groups
    (retried with the same deduplication id until answered, so each group's order is the send
    order). Consumers long-poll every queue with a short visibility timeout and delete what they
    get, one by one or in batches; while the producer runs they leave some messages undeleted, as a
    consumer that crashed would, so redelivery is exercised too.
    """

    def __init__(
        self, endpoint: Endpoint, *, seed: int, consumers: int = 3, visibility: int = 3, wait: int = 1
    ) -> None:
        self.endpoint = endpoint
        self.seed = seed
        self.consumers = consumers
        self.visibility = visibility
        self.wait = wait
        self.records = Records()
        self.urls: dict[str, str] = {}
        self._producing = threading.Event()
        self._running = threading.Event()
        self._threads: list[threading.Thread] = []
        self._calls = itertools.count(1)
        self._calls_lock = threading.Lock()

    # Set-up and lifetime ---------------------------------------------------------------------------

    def create_queues(self) -> None:
        sqs = self.endpoint.client()
        for name in STANDARD_QUEUES:
            self.urls[name] = sqs.create_queue(QueueName=name)["QueueUrl"]
        self.urls[FIFO_QUEUE] = sqs.create_queue(QueueName=FIFO_QUEUE, Attributes={"FifoQueue": "true"})["QueueUrl"]

    def start(self) -> None:
        self._producing.set()
        self._running.set()
        self._threads = [threading.Thread(target=self._produce, name="producer", daemon=True)]
        self._threads += [
            threading.Thread(target=self._consume, args=(number,), name=f"consumer-{number}", daemon=True)
            for number in range(self.consumers)
        ]
        for thread in self._threads:
            thread.start()

    def stop_producing(self) -> None:
        """The producer finishes the FIFO send it is retrying, if any, and stops."""
        self._producing.clear()
        self._threads[0].join()

    def stop(self) -> None:
        self._producing.clear()
        self._running.clear()
        for thread in self._threads:
            thread.join()

    def drain(self, *, advance: Callable[[float], None], patience: float) -> bool:
        """Let the consumers empty the queues, moving the sandbox clock past the visibility timeout
        whenever only invisible messages are left (those whose receive or delete answer was lost).
        True once every acknowledged send was received and the queues are empty; False when no
        message was received for `patience` seconds before that."""
        sqs = self.endpoint.client()
        progress = len(self.records.received)
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            counts = self._counts(sqs)
            acknowledged = {sent.body for sent in self.records.sent if sent.outcome == "ok"}
            if counts is not None and not sum(counts) and acknowledged <= self.received_bodies():
                return True
            if counts is not None and counts[0] == 0 and counts[1] > 0:
                advance(self.visibility + 1)
            time.sleep(0.5)
            if len(self.records.received) > progress:
                progress = len(self.records.received)
                deadline = time.monotonic() + patience
        return False

    def received_bodies(self) -> set[str]:
        return {receipt.body for receipt in self.records.received}

    def counts(self) -> tuple[int, int, int] | None:
        """Visible, in flight and delayed messages over every queue (None if the server did not answer)."""
        return self._counts(self.endpoint.client())

    def _counts(self, sqs: Any) -> tuple[int, int, int] | None:
        totals = [0, 0, 0]
        for url in self.urls.values():
            try:
                attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(COUNTS))["Attributes"]
            except CONNECTION_ERRORS:
                return None
            for slot, name in enumerate(COUNTS):
                totals[slot] += int(attributes[name])
        return totals[0], totals[1], totals[2]

    # The producer ------------------------------------------------------------------------------------

    def _produce(self) -> None:
        sqs = self.endpoint.client()
        number = 0
        fifo_next = dict.fromkeys(FIFO_GROUPS, 0)
        while self._producing.is_set():
            number += 1
            self._send_one(sqs, STANDARD_QUEUES[0], f"s:{STANDARD_QUEUES[0]}:{self.seed}:{number}")
            self._send_batch(
                sqs, STANDARD_QUEUES[1], [f"s:{STANDARD_QUEUES[1]}:{self.seed}:{number}:{i}" for i in range(10)]
            )
            group = FIFO_GROUPS[number % len(FIFO_GROUPS)]
            self._send_fifo(sqs, group, fifo_next[group])
            fifo_next[group] += 1

    def _send_one(self, sqs: Any, queue: str, body: str) -> None:
        outcome, _ = self._call(lambda: sqs.send_message(QueueUrl=self.urls[queue], MessageBody=body))
        self.records.sent.append(Sent(body, queue, outcome))

    def _send_batch(self, sqs: Any, queue: str, bodies: list[str]) -> None:
        entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)]
        outcome, answer = self._call(lambda: sqs.send_message_batch(QueueUrl=self.urls[queue], Entries=entries))
        succeeded = {entry["Id"] for entry in answer.get("Successful", [])} if answer else set()
        for i, body in enumerate(bodies):
            state = outcome if outcome != "ok" else ("ok" if str(i) in succeeded else "refused")
            self.records.sent.append(Sent(body, queue, state))

    def _send_fifo(self, sqs: Any, group: str, index: int) -> None:
        body = f"f:{group}:{self.seed}:{index}"
        outcome = "unknown"
        while self._running.is_set():
            outcome, _ = self._call(
                lambda: sqs.send_message(
                    QueueUrl=self.urls[FIFO_QUEUE], MessageBody=body, MessageGroupId=group, MessageDeduplicationId=body
                )
            )
            if outcome != "unknown":
                break
            time.sleep(RETRY_PAUSE)
        self.records.sent.append(Sent(body, FIFO_QUEUE, outcome, group, index))

    # The consumers -----------------------------------------------------------------------------------

    def _consume(self, number: int) -> None:
        sqs = self.endpoint.client()
        rng = random.Random(f"{self.seed}:consumer:{number}")
        names = list(self.urls)
        order = names[number % len(names) :] + names[: number % len(names)]
        while self._running.is_set():
            for queue in order:
                received = self._receive(sqs, queue)
                if received is None:
                    time.sleep(RETRY_PAUSE)
                    continue
                # While the producer runs, leave one message in ten undeleted, as a crashed consumer would.
                keep = [item for item in received if not (self._producing.is_set() and rng.random() < 0.1)]
                if keep and rng.random() < 0.5:
                    self._delete_batch(sqs, queue, keep)
                else:
                    for item in keep:
                        self._delete_one(sqs, queue, item)

    def _receive(self, sqs: Any, queue: str) -> list[tuple[Received, str]] | None:
        with self._calls_lock:
            call = next(self._calls)
        started = time.monotonic()
        outcome, answer = self._call(
            lambda: sqs.receive_message(
                QueueUrl=self.urls[queue],
                MaxNumberOfMessages=10,
                WaitTimeSeconds=self.wait,
                VisibilityTimeout=self.visibility,
                MessageSystemAttributeNames=["All"],
            )
        )
        if outcome != "ok" or answer is None:
            return None
        finished = time.monotonic()
        received = []
        for position, message in enumerate(answer.get("Messages", [])):
            attributes = message.get("Attributes", {})
            receipt = Received(
                body=message["Body"],
                queue=queue,
                message_id=message["MessageId"],
                receive_count=int(attributes.get("ApproximateReceiveCount", 0)),
                first_received_ms=int(attributes.get("ApproximateFirstReceiveTimestamp", 0)),
                sequence_number=int(attributes.get("SequenceNumber", 0)),
                group=attributes.get("MessageGroupId", ""),
                started=started,
                finished=finished,
                call=call,
                position=position,
            )
            self.records.received.append(receipt)
            received.append((receipt, message["ReceiptHandle"]))
        return received

    def _delete_one(self, sqs: Any, queue: str, item: tuple[Received, str]) -> None:
        receipt, handle = item
        started = time.monotonic()
        outcome, _ = self._call(lambda: sqs.delete_message(QueueUrl=self.urls[queue], ReceiptHandle=handle))
        self.records.deleted.append(Deleted(receipt.body, receipt.receive_count, outcome, started, time.monotonic()))

    def _delete_batch(self, sqs: Any, queue: str, items: list[tuple[Received, str]]) -> None:
        entries = [{"Id": str(i), "ReceiptHandle": handle} for i, (_, handle) in enumerate(items)]
        started = time.monotonic()
        outcome, answer = self._call(lambda: sqs.delete_message_batch(QueueUrl=self.urls[queue], Entries=entries))
        finished = time.monotonic()
        succeeded = {entry["Id"] for entry in answer.get("Successful", [])} if answer else set()
        for failure in answer.get("Failed", []) if answer else []:
            self.records.errors[failure.get("Code", "?")] += 1
        for i, (receipt, _) in enumerate(items):
            state = outcome if outcome != "ok" else ("ok" if str(i) in succeeded else "refused")
            self.records.deleted.append(Deleted(receipt.body, receipt.receive_count, state, started, finished))

    # Calls -------------------------------------------------------------------------------------------

    def _call(self, call: Callable[[], dict[str, Any]]) -> tuple[str, dict[str, Any] | None]:
        """("ok", answer), ("refused", None) for an AWS error, ("unknown", None) when the connection
        failed or the server answered 5xx (which is also recorded as a violation)."""
        try:
            return "ok", call()
        except CONNECTION_ERRORS as error:
            self.records.errors[type(error).__name__] += 1
            return "unknown", None
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "?")
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            self.records.errors[code] += 1
            if status >= 500:
                self.records.server_errors.append(f"{status} {code}: {error}")
                return "unknown", None
            return "refused", None


# --- the checks ---------------------------------------------------------------------------------------


def check(records: Records) -> Findings:
    """What the records say about the server; see the module docstring for each kind of violation."""
    sent = {item.body: item for item in records.sent}
    outcomes = Counter(item.outcome for item in records.sent)
    by_body: dict[str, list[Received]] = defaultdict(list)
    for receipt in records.received:
        by_body[receipt.body].append(receipt)
    deletes = Counter(item.outcome for item in records.deleted)
    resurrected, stale = _resurrections(records.deleted, by_body)
    return Findings(
        sent_ok=outcomes["ok"],
        sent_unknown=outcomes["unknown"],
        sent_refused=outcomes["refused"],
        unknown_sends_received=sum(1 for body, item in sent.items() if item.outcome == "unknown" and body in by_body),
        receives=len(records.received),
        distinct_received=len(by_body),
        redeliveries=len(records.received) - len(by_body),
        deletes_ok=deletes["ok"],
        deletes_unknown=deletes["unknown"],
        deletes_refused=deletes["refused"],
        stale_deletes_redelivered=stale,
        lost=sorted(body for body, item in sent.items() if item.outcome == "ok" and body not in by_body),
        resurrected=resurrected,
        split=sorted(body for body, got in by_body.items() if len({r.message_id for r in got}) > 1),
        phantom=sorted(body for body in by_body if body not in sent),
        disorder=list(_disorder(sent, by_body, records.deleted)),
        server_errors=list(records.server_errors),
    )


def _resurrections(deleted: list[Deleted], by_body: dict[str, list[Received]]) -> tuple[list[str], int]:
    """Messages received again after an acknowledged delete with their newest handle, and how many
    acknowledged deletes with an older handle were followed by a redelivery (allowed)."""
    resurrected: list[str] = []
    stale = 0
    for delete in deleted:
        if delete.outcome != "ok":
            continue
        later = [r for r in by_body.get(delete.body, []) if r.started > delete.finished]
        if any(r.receive_count == delete.receive_count + 1 for r in later):
            resurrected.append(f"{delete.body} (deleted with receive #{delete.receive_count}, received again)")
        elif later:
            stale += 1
    return resurrected, stale


def _disorder(sent: dict[str, Sent], by_body: dict[str, list[Received]], deleted: list[Deleted]) -> Iterator[str]:
    """FIFO order within each group, in what was received (see the module docstring)."""
    groups: dict[str, list[tuple[int, list[Received]]]] = defaultdict(list)
    for body, receipts in by_body.items():
        item = sent.get(body)
        if item is not None and item.group:
            groups[item.group].append((item.index, receipts))
    for group, messages in groups.items():
        messages.sort(key=lambda pair: pair[0])
        for (before, earlier), (after, later) in itertools.pairwise(messages):
            if later[0].sequence_number <= earlier[0].sequence_number:
                yield f"{group}: message {after} has sequence number {later[0].sequence_number} <= message {before}'s"
            if later[0].first_received_ms < earlier[0].first_received_ms:
                yield f"{group}: message {after} was first received before message {before}"
        yield from _received_after_successor(group, messages)
    yield from _batch_disorder(sent, by_body, deleted)


def _received_after_successor(group: str, messages: list[tuple[int, list[Received]]]) -> Iterator[str]:
    """A message received again after an answer that held later messages of its group but not it:
    the group's head moved past it, so it had been deleted (a batch is contiguous from the head,
    and a group with a message in flight hands out nothing)."""
    calls: dict[int, tuple[float, int]] = {}  # call -> (finished, lowest index it returned)
    for index, receipts in messages:
        for receipt in receipts:
            finished, lowest = calls.get(receipt.call, (receipt.finished, index))
            calls[receipt.call] = (finished, min(lowest, index))
    answered = sorted(calls.values())
    finish_times = [finished for finished, _ in answered]
    highest_head = list(itertools.accumulate((lowest for _, lowest in answered), max))
    for index, receipts in messages:
        for receipt in receipts:
            before = bisect.bisect_left(finish_times, receipt.started)
            if before and highest_head[before - 1] > index:
                yield f"{group}: message {index} was received again after its group had moved past it"


def _batch_disorder(sent: dict[str, Sent], by_body: dict[str, list[Received]], deleted: list[Deleted]) -> Iterator[str]:
    """Within one ReceiveMessage answer, a group's messages come in order, and a message missing
    between two of them had been deleted (a consumer may delete a batch's messages out of order)."""
    delete_tried: dict[tuple[str, int], float] = {}  # (group, index) -> first delete that may have worked
    for delete in deleted:
        item = sent.get(delete.body)
        if item is not None and item.group and delete.outcome != "refused":
            key = (item.group, item.index)
            delete_tried[key] = min(delete_tried.get(key, delete.started), delete.started)
    calls: dict[tuple[int, str], list[tuple[int, int, float]]] = defaultdict(list)
    for body, receipts in by_body.items():
        item = sent.get(body)
        if item is None or not item.group:
            continue
        for receipt in receipts:
            calls[(receipt.call, item.group)].append((receipt.position, item.index, receipt.finished))
    for (call, group), placed in calls.items():
        placed.sort()
        indexes = [index for _, index, _ in placed]
        finished = placed[0][2]
        if indexes != sorted(indexes):
            yield f"{group}: receive call {call} returned messages {indexes} out of order"
        skipped = [
            index
            for low, high in itertools.pairwise(sorted(indexes))
            for index in range(low + 1, high)
            if delete_tried.get((group, index), finished) >= finished
        ]
        if skipped:
            yield f"{group}: receive call {call} returned messages {indexes}, skipping undeleted {skipped}"
