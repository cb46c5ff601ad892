"""The beat tick: due work for every sandbox, on each sandbox's own clock."""

from __future__ import annotations

from celery import shared_task

from playground.sandboxes.services import tick_all


@shared_task(name="playground.sandboxes.tasks.tick", ignore_result=True)
def tick() -> int:
    return tick_all()
