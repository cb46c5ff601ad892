"""The clock as the gateway reads it (one plain SELECT) equals the clock the ORM reads."""

from __future__ import annotations

import pytest

from playground.sandboxes.models import Clock
from playground.sandboxes.services import clock_advance, clock_pause, clock_set_speed, sandbox_create

# Committed, never flushed: the live servers share this database (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("db_access")


def test_current_reads_the_same_clock_as_the_orm() -> None:
    sandbox, _, _ = sandbox_create(name="raw")
    clock_set_speed(sandbox=sandbox, speed=7.5)
    clock_pause(sandbox=sandbox)
    clock_advance(sandbox=sandbox, seconds=123.25)
    orm = Clock.objects.get(sandbox=sandbox)
    raw = Clock.current(sandbox.pk)
    assert (raw.pk, raw.speed, raw.paused) == (orm.pk, 7.5, True)
    assert raw.base_time == orm.base_time
    assert raw.wall_base == orm.wall_base
    assert raw.now() == orm.now()


def test_current_of_a_missing_sandbox_raises_does_not_exist() -> None:
    with pytest.raises(Clock.DoesNotExist):
        Clock.current(987654321)
