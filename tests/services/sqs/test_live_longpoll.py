"""Long polling: a waiting ReceiveMessage returns as soon as a message can be handed out, whether it
was just sent (by another connection), became visible on the sandbox clock, or the clock moved.

No test here measures how long anything took: a loaded machine stretches every duration, and the
wake-up latency is measured by `make bench` (bench/bench_sqs.py). They check causes instead: a poll
is seen waiting on the server (subscribed to its queue's wake-ups) before the event that should end
it, returns what that event made available, and returns while a control poll started alongside it,
with the same wait on an empty queue, is still waiting: it did not just run out of time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import redis

from tests.services.sqs.test_live_messages import counts
from tests.waiting import wait_until

pytestmark = pytest.mark.live

Advance = Callable[[float], None]
LONG = 20  # seconds: SQS's longest wait, far longer than any of these tests should take


class Waiting:
    """A ReceiveMessage running in a thread, and whether the server holds it waiting."""

    def __init__(self, client: Any, **kwargs: Any) -> None:
        self.url = kwargs["QueueUrl"]
        self.result: dict[str, Any] = {}
        self.thread = threading.Thread(target=self._run, args=(client, kwargs), daemon=True)
        self.thread.start()

    def _run(self, client: Any, kwargs: dict[str, Any]) -> None:
        self.result = client.receive_message(**kwargs)

    def waiting(self) -> bool:
        return self.thread.is_alive()

    def join(self, timeout: float = 60) -> dict[str, Any]:
        """The answer; the timeout only keeps a broken server from hanging the suite."""
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the long poll did not return"
        return self.result


@pytest.fixture
def subscribers(sqs: Any, db_access: None) -> Callable[[str], int]:
    """subscribers(queue_url) -> how many requests wait on the queue's wake-ups on Redis right now
    (a long poll subscribes once its first look found nothing: playground/live/wakeup.py)."""
    from django.conf import settings

    from playground.live.wakeup import channel_key
    from services.sqs.models import Queue

    client = redis.Redis.from_url(settings.REDIS_URL)
    keys: dict[str, str] = {}

    def count(url: str) -> int:
        if url not in keys:
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            keys[url] = channel_key(Queue.objects.get(arn=arn).wake_channel)
        answer: list[tuple[bytes, int]] = client.pubsub_numsub(keys[url])  # type: ignore[assignment]
        return int(answer[0][1])

    return count


@pytest.fixture
def held(subscribers: Callable[[str], int]) -> Callable[..., None]:
    """held(*polls): wait until the server holds each poll waiting on its queue, and check that none
    has returned meanwhile (nothing was there to return)."""

    def wait(*polls: Waiting) -> None:
        for poll in polls:

            def held_or_returned(poll: Waiting = poll) -> bool:
                return subscribers(poll.url) >= 1 or not poll.waiting()

            wait_until(held_or_returned, timeout=30)
            assert poll.waiting(), f"returned before anything arrived: {poll.result}"

    return wait


def test_long_poll_returns_as_soon_as_a_message_is_sent(
    aws: Callable[..., Any], sqs: Any, make_queue: Callable[..., str], held: Callable[..., None]
) -> None:
    url, empty = make_queue(), make_queue()
    waiting = Waiting(aws("sqs"), QueueUrl=url, WaitTimeSeconds=LONG)
    control = Waiting(aws("sqs"), QueueUrl=empty, WaitTimeSeconds=LONG)
    held(waiting, control)
    sqs.send_message(QueueUrl=url, MessageBody="wake up")
    assert [m["Body"] for m in waiting.join()["Messages"]] == ["wake up"]
    assert control.waiting()  # the same wait, still running: the message ended the first one
    sqs.send_message(QueueUrl=empty, MessageBody="you too")
    assert [m["Body"] for m in control.join()["Messages"]] == ["you too"]


def test_queue_wait_time_attribute_is_the_default_wait(
    aws: Callable[..., Any], sqs: Any, make_queue: Callable[..., str], held: Callable[..., None]
) -> None:
    url = make_queue(ReceiveMessageWaitTimeSeconds=LONG)
    waiting = Waiting(aws("sqs"), QueueUrl=url)  # no WaitTimeSeconds: a short poll would return at once
    held(waiting)
    sqs.send_message(QueueUrl=url, MessageBody="late")
    assert waiting.join()["Messages"][0]["Body"] == "late"


def test_long_poll_times_out_empty_after_its_wait(
    aws: Callable[..., Any], sqs: Any, make_queue: Callable[..., str], subscribers: Callable[[str], int]
) -> None:
    url = make_queue()
    waiting = Waiting(aws("sqs"), QueueUrl=url, WaitTimeSeconds=2)
    seen_waiting = False

    def ended() -> bool:
        nonlocal seen_waiting
        seen_waiting = seen_waiting or subscribers(url) >= 1
        return not waiting.waiting()

    wait_until(ended, timeout=60)
    assert "Messages" not in waiting.join()
    assert seen_waiting  # it waited on the queue before answering empty, rather than at once
    assert subscribers(url) == 0  # and stopped waiting when it answered


def test_long_poll_wakes_when_the_clock_is_advanced_past_a_visibility_timeout(
    aws: Callable[..., Any],
    sqs: Any,
    make_queue: Callable[..., str],
    advance: Advance,
    paused: None,
    held: Callable[..., None],
) -> None:
    """The clock is paused: only the advance can make the message visible again."""
    url, empty = make_queue(VisibilityTimeout=300), make_queue()
    sqs.send_message(QueueUrl=url, MessageBody="comes back")
    sqs.receive_message(QueueUrl=url)
    waiting = Waiting(aws("sqs"), QueueUrl=url, WaitTimeSeconds=LONG)
    control = Waiting(aws("sqs"), QueueUrl=empty, WaitTimeSeconds=LONG)
    held(waiting, control)
    advance(300)
    result = waiting.join()
    assert result["Messages"][0]["Body"] == "comes back"
    assert control.waiting()
    sqs.delete_queue(QueueUrl=empty)
    control.join()


def test_long_poll_wakes_when_a_delayed_message_becomes_visible(
    aws: Callable[..., Any], sqs: Any, make_queue: Callable[..., str]
) -> None:
    """With the clock running, nobody wakes it: the wait itself knows when the message is due, and
    hands it out then, not before (on the sandbox clock)."""
    url, empty = make_queue(), make_queue()
    sqs.send_message(QueueUrl=url, MessageBody="in a second", DelaySeconds=1)
    waiting = Waiting(aws("sqs"), QueueUrl=url, WaitTimeSeconds=LONG, MessageSystemAttributeNames=["All"])
    control = Waiting(aws("sqs"), QueueUrl=empty, WaitTimeSeconds=LONG)
    [message] = waiting.join()["Messages"]
    assert message["Body"] == "in a second"
    sent, received = (int(message["Attributes"][f"{name}Timestamp"]) for name in ("Sent", "ApproximateFirstReceive"))
    assert received - sent >= 1000  # milliseconds of sandbox time: not before its delay
    assert control.waiting()
    sqs.delete_queue(QueueUrl=empty)
    control.join()


def test_long_poll_of_a_deleted_queue_ends(
    aws: Callable[..., Any], sqs: Any, make_queue: Callable[..., str], held: Callable[..., None]
) -> None:
    url, other = make_queue(), make_queue()
    waiting = Waiting(aws("sqs"), QueueUrl=url, WaitTimeSeconds=LONG)
    control = Waiting(aws("sqs"), QueueUrl=other, WaitTimeSeconds=LONG)
    held(waiting, control)
    sqs.delete_queue(QueueUrl=url)
    assert "Messages" not in waiting.join()
    assert control.waiting()
    sqs.delete_queue(QueueUrl=other)
    control.join()


def test_a_long_poll_does_not_hold_up_other_requests(
    aws: Callable[..., Any], sqs: Any, make_queue: Callable[..., str], held: Callable[..., None]
) -> None:
    """Several polls waiting on one queue; sends and reads elsewhere are answered while they still
    wait, and each message then goes to exactly one of the waiters."""
    url = make_queue()
    other = make_queue()
    waiters = [Waiting(aws("sqs"), QueueUrl=url, WaitTimeSeconds=LONG) for _ in range(3)]
    held(*waiters)
    for index in range(5):
        sqs.send_message(QueueUrl=other, MessageBody=str(index))
    assert counts(sqs, other) == (5, 0, 0)
    assert all(waiting.waiting() for waiting in waiters)  # answered before any wait ended
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)])
    # One message at most per receive: each waiter ends with exactly one, whoever was woken first.
    received = [[m["Body"] for m in waiting.join().get("Messages", [])] for waiting in waiters]
    assert sorted(body for bodies in received for body in bodies) == ["m0", "m1", "m2"]
    assert all(len(bodies) == 1 for bodies in received)
