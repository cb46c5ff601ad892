"""The sandbox clock: advance, speed and pause, and due work that runs when the clock passes it."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest

from playground.sandboxes import duework
from playground.sandboxes.models import Clock, DueTimer
from playground.sandboxes.services import (
    clock_advance,
    clock_pause,
    clock_resume,
    clock_set_speed,
    sandbox_create,
    tick_all,
)

# Committed, never flushed: the live servers share this database (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("db_access")


@pytest.fixture
def box() -> Any:
    sandbox, _, _ = sandbox_create(name="clock")
    return sandbox


def test_advance_moves_now_by_exactly_that_many_seconds(box: Any) -> None:
    clock_pause(sandbox=box)
    before = Clock.objects.get(sandbox=box).now()
    clock_advance(sandbox=box, seconds=90)
    assert Clock.objects.get(sandbox=box).now() - before == dt.timedelta(seconds=90)


def test_speed_ten_runs_ten_times_faster_than_the_wall(box: Any) -> None:
    clock = clock_set_speed(sandbox=box, speed=10)
    wall = clock.wall_base
    assert clock.now(wall + dt.timedelta(seconds=3)) - clock.now(wall) == dt.timedelta(seconds=30)


def test_pause_freezes_time_and_resume_continues_without_a_jump(box: Any) -> None:
    clock = clock_pause(sandbox=box)
    frozen = clock.now()
    assert clock.now(clock.wall_base + dt.timedelta(hours=1)) == frozen
    clock = clock_resume(sandbox=box)
    assert clock.now(clock.wall_base) == frozen


def test_speed_change_keeps_the_current_time(box: Any) -> None:
    clock = Clock.objects.get(sandbox=box)
    before = Clock(base_time=clock.base_time, wall_base=clock.wall_base, speed=clock.speed, paused=clock.paused)
    clock.set_speed(60)
    switched_at = clock.wall_base  # the wall moment of the change: both clocks read the same there
    assert clock.now(switched_at) == before.now(switched_at)
    assert clock.now(switched_at + dt.timedelta(seconds=1)) == before.now(switched_at) + dt.timedelta(minutes=1)
    assert clock.speed == 60


def test_the_clock_refuses_going_backwards_and_silly_speeds(box: Any) -> None:
    clock = Clock.objects.get(sandbox=box)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="speed"):
        clock.set_speed(0)


ran: list[dict[str, Any]] = []


@duework.timer_handler("test.remember")
def _remember(sandbox: Any, now: dt.datetime, payload: dict[str, Any]) -> None:
    ran.append({"account": sandbox.account_id, "now": now, **payload})


def test_due_work_runs_when_advance_passes_its_time(box: Any) -> None:
    ran.clear()
    clock_pause(sandbox=box)
    start = Clock.objects.get(sandbox=box).now()
    duework.schedule_timer(sandbox=box, due_at=start + dt.timedelta(minutes=5), kind="test.remember", payload={"n": 1})
    clock_advance(sandbox=box, seconds=299)
    assert ran == []
    clock_advance(sandbox=box, seconds=1)
    assert [entry["n"] for entry in ran] == [1]
    assert ran[0]["now"] >= start + dt.timedelta(minutes=5)
    assert not DueTimer.objects.filter(sandbox=box).exists()


def test_due_work_runs_on_the_tick_once_its_time_has_come(box: Any) -> None:
    ran.clear()
    now = Clock.objects.get(sandbox=box).now()
    duework.schedule_timer(sandbox=box, due_at=now - dt.timedelta(seconds=1), kind="test.remember", payload={"n": 2})
    duework.schedule_timer(sandbox=box, due_at=now + dt.timedelta(days=1), kind="test.remember", payload={"n": 3})
    tick_all()
    assert [entry["n"] for entry in ran] == [2]
    tick_all()
    assert [entry["n"] for entry in ran] == [2], "a timer runs once"


def test_the_tick_asks_each_sandbox_its_own_clock_not_the_latest_of_all(box: Any) -> None:
    """A sandbox fast-forwarded by a day does not make the tick run another sandbox's handlers
    for work that sandbox's own clock has not reached."""
    ahead, _, _ = sandbox_create(name="ahead")
    for sandbox in (box, ahead):
        clock_pause(sandbox=sandbox)
        now = Clock.objects.get(sandbox=sandbox).now()
        DueTimer.objects.create(sandbox=sandbox, due_at=now + dt.timedelta(hours=1), kind="test.remember", payload={})
    clock_advance(sandbox=ahead, seconds=86400)  # its timer runs here; the next one is due later
    DueTimer.objects.create(
        sandbox=ahead, due_at=Clock.objects.get(sandbox=ahead).now(), kind="test.remember", payload={}
    )  # fmt: skip
    clocks = {sandbox.pk: (sandbox, Clock.objects.get(sandbox=sandbox).now()) for sandbox in (box, ahead)}
    assert duework._handlers["platform.timers"].due_sandboxes(clocks) == {ahead.pk}


def test_scheduling_an_unknown_kind_is_refused(box: Any) -> None:
    with pytest.raises(LookupError):
        duework.schedule_timer(sandbox=box, due_at=dt.datetime.now(dt.UTC), kind="nobody.handles", payload={})


def test_a_timer_of_an_unknown_kind_waits_an_hour_for_a_process_that_knows_it(box: Any) -> None:
    clock_pause(sandbox=box)
    now = Clock.objects.get(sandbox=box).now()
    timer = DueTimer.objects.create(sandbox=box, due_at=now, kind="a.newer.release", payload={})
    tick_all()
    assert DueTimer.objects.filter(pk=timer.pk).exists()
    clock_advance(sandbox=box, seconds=duework.UNKNOWN_KIND_GRACE.total_seconds())
    assert not DueTimer.objects.filter(pk=timer.pk).exists()


class LockHolder:
    """Another process running the sandbox's due work: a thread holding its due-work lock until
    `release()`."""

    def __init__(self, sandbox_id: int) -> None:
        self.holding = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.hold, args=(sandbox_id,))
        self.thread.start()
        assert self.holding.wait(30)

    def hold(self, sandbox_id: int) -> None:
        with duework.sandbox_lock(sandbox_id, wait=True) as mine:
            assert mine
            self.holding.set()
            self.done.wait(60)

    def release(self) -> None:
        self.done.set()
        self.thread.join()


def test_the_tick_skips_a_sandbox_whose_due_work_another_process_runs(box: Any) -> None:
    ran.clear()
    now = Clock.objects.get(sandbox=box).now()
    duework.schedule_timer(sandbox=box, due_at=now - dt.timedelta(seconds=1), kind="test.remember", payload={"n": 4})
    holder = LockHolder(box.pk)
    try:
        tick_all()
        assert ran == []
    finally:
        holder.release()
    tick_all()
    assert [entry["n"] for entry in ran] == [4]


def test_advancing_waits_for_due_work_another_process_is_running(box: Any) -> None:
    ran.clear()
    clock_pause(sandbox=box)
    start = Clock.objects.get(sandbox=box).now()
    duework.schedule_timer(sandbox=box, due_at=start + dt.timedelta(minutes=1), kind="test.remember", payload={"n": 5})
    holder = LockHolder(box.pk)
    advancing = threading.Thread(target=clock_advance, kwargs={"sandbox": box, "seconds": 60})
    try:
        advancing.start()
        advancing.join(0.5)
        assert advancing.is_alive(), "the advance ran its due work while another process held the sandbox"
        assert ran == []
    finally:
        holder.release()
    advancing.join()
    assert [entry["n"] for entry in ran] == [5]
