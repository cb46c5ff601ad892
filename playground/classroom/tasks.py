"""The end of timed class sessions, run by Celery beat (settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from playground.classroom.services import end_due_sessions


@shared_task(name="playground.classroom.tasks.end_sessions", ignore_result=True)
def end_sessions() -> int:
    return end_due_sessions()
