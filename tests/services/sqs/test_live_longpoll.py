"""Long polling: a waiting ReceiveMessage returns as soon as a message can be handed out, whether it
was just sent (by another connection), became visible on the sandbox clock, or the clock moved."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.services.sqs.test_live_messages import counts

pytestmark = pytest.mark.live

Advance = Callable[[float], None]


class Waiting:
    """A ReceiveMessage running in a thread, timed from when it was started."""

    def __init__(self, client: Any, **kwargs: Any) -> None:
        self.result: dict[str, Any] = {}
        self.returned_at = 0.0
        self.started_at = time.monotonic()
        self.thread = threading.Thread(target=self._run, args=(client, kwargs), daemon=True)
        self.thread.start()

    def _run(self, client: Any, kwargs: dict[str, Any]) -> None:
        self.result = client.receive_message(**kwargs)
        self.returned_at = time.monotonic()

    def join(self, timeout: float = 30) -> dict[str, Any]:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the long poll did not return"
        return self.result


def test_long_poll_returns_as_soon_as_a_message_is_sent(
    aws: Callable[..., Any], sqs: Any, make_queue: Callable[..., str]
) -> None:
    url = make_queue()
    waiting = Waiting(aws("sqs"), QueueUrl=url, WaitTimeSeconds=10)
    time.sleep(0.5)
    assert waiting.thread.is_alive()
    sent_at = time.monotonic()
    sqs.send_message(QueueUrl=url, MessageBody="wake up")
    result = waiting.join()
    assert result["Messages"][0]["Body"] == "wake up"
    assert waiting.returned_at - sent_at < 0.75  # not at the next tick (about a second)


def test_queue_wait_time_attribute_is_the_default_wait(
    aws: Callable[..., Any], sqs: Any, make_queue: Callable[..., str]
) -> None:
    url = make_queue(ReceiveMessageWaitTimeSeconds=10)
    waiting = Waiting(aws("sqs"), QueueUrl=url)
    time.sleep(0.4)
    assert waiting.thread.is_alive()
    sqs.send_message(QueueUrl=url, MessageBody="late")
    assert waiting.join()["Messages"][0]["Body"] == "late"


def test_long_poll_times_out_empty_after_its_wait(sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue()
    started = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    assert 1.0 <= time.monotonic() - started < 2.0


def test_long_poll_wakes_when_the_clock_is_advanced_past_a_visibility_timeout(
    aws: Callable[..., Any], sqs: Any, make_queue: Callable[..., str], advance: Advance, paused: None
) -> None:
    url = make_queue(VisibilityTimeout=300)
    sqs.send_message(QueueUrl=url, MessageBody="comes back")
    sqs.receive_message(QueueUrl=url)
    waiting = Waiting(aws("sqs"), QueueUrl=url, WaitTimeSeconds=10)
    time.sleep(0.5)
    assert waiting.thread.is_alive()
    advanced_at = time.monotonic()
    advance(300)
    result = waiting.join()
    assert result["Messages"][0]["Body"] == "comes back"
    assert waiting.returned_at - advanced_at < 0.75


def test_long_poll_wakes_when_a_delayed_message_becomes_visible(sqs: Any, make_queue: Callable[..., str]) -> None:
    """With the clock running, nobody wakes it: the wait itself knows when the message is due."""
    url = make_queue()
    sqs.send_message(QueueUrl=url, MessageBody="in a second", DelaySeconds=1)
    started = time.monotonic()
    result = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)
    assert result["Messages"][0]["Body"] == "in a second"
    assert 0.9 <= time.monotonic() - started < 2.5


def test_long_poll_of_a_deleted_queue_ends(aws: Callable[..., Any], sqs: Any, make_queue: Callable[..., str]) -> None:
    url = make_queue()
    waiting = Waiting(aws("sqs"), QueueUrl=url, WaitTimeSeconds=10)
    time.sleep(0.4)
    deleted_at = time.monotonic()
    sqs.delete_queue(QueueUrl=url)
    assert "Messages" not in waiting.join()
    assert waiting.returned_at - deleted_at < 1.0


def test_a_long_poll_does_not_hold_up_other_requests(
    aws: Callable[..., Any], sqs: Any, make_queue: Callable[..., str]
) -> None:
    """Several polls waiting on one queue; sends and reads elsewhere go on meanwhile, each message
    goes to exactly one of the waiters."""
    url = make_queue()
    other = make_queue()
    waiters = [Waiting(aws("sqs"), QueueUrl=url, WaitTimeSeconds=5) for _ in range(3)]
    time.sleep(0.4)
    started = time.monotonic()
    for index in range(5):
        sqs.send_message(QueueUrl=other, MessageBody=str(index))
    assert counts(sqs, other) == (5, 0, 0)
    assert time.monotonic() - started < 2.0
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)])
    received = [m["Body"] for waiting in waiters for m in waiting.join().get("Messages", [])]
    leftovers = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert sorted(received + [m["Body"] for m in leftovers]) == ["m0", "m1", "m2"]
