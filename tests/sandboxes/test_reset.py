"""Resetting a sandbox deletes its service state and nothing of any other sandbox; its call history
stays (an instructor grades from it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from playground.gateway.models import ApiCall
from playground.sandboxes.models import AccessKey, Clock, DueTimer
from playground.sandboxes.services import sandbox_create, sandbox_reset, service_state_models

# Committed, never flushed: the live servers share this database (see tests/conftest.py).
pytestmark = pytest.mark.usefixtures("db_access")


def _state(sandbox: Any) -> None:
    now = dt.datetime.now(dt.UTC)
    ApiCall.objects.create(sandbox=sandbox, at=now, request_id="r", service="sqs", operation="ListQueues", region="x")
    # Due far ahead: the live Celery worker's tick must not take it meanwhile.
    DueTimer.objects.create(sandbox=sandbox, due_at=now + dt.timedelta(days=365), kind="k", payload={})


def test_reset_deletes_service_state_but_keeps_keys_clock_and_calls() -> None:
    mine, key, _ = sandbox_create(name="mine")
    theirs, _, _ = sandbox_create(name="theirs")
    _state(mine)
    _state(theirs)

    sandbox_reset(sandbox=mine)

    assert ApiCall.objects.filter(sandbox=mine).count() == 1
    assert not DueTimer.objects.filter(sandbox=mine).exists()
    assert AccessKey.objects.filter(pk=key.pk).exists()
    assert Clock.objects.filter(sandbox=mine).exists()
    assert ApiCall.objects.filter(sandbox=theirs).count() == 1
    assert DueTimer.objects.filter(sandbox=theirs).count() == 1


def test_every_service_model_with_a_sandbox_is_part_of_the_reset() -> None:
    assert DueTimer in service_state_models()
    assert AccessKey not in service_state_models()
    assert ApiCall not in service_state_models()
