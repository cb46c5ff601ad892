"""Celery tasks of the labs: webhook delivery with retries."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from playground.labs.webhooks import post

LOG = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=3, ignore_result=True)
def deliver_webhook(self: Any, *, url: str, secret: str, event: str, payload: dict[str, Any]) -> None:
    try:
        status = post(url, secret=secret, event=event, payload=payload)
    except OSError as problem:
        LOG.info("webhook %s to %s failed: %s", event, url, problem)
        raise self.retry(countdown=5 ** (self.request.retries + 1)) from None
    if status >= 500 or status == 429:
        LOG.info("webhook %s to %s answered %s", event, url, status)
        raise self.retry(countdown=5 ** (self.request.retries + 1))
