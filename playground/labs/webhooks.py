"""Webhooks of lab sessions: session.started, step.checked, lab.completed, POSTed as JSON to the
session's webhook URL and to its classroom's, by a Celery task once the transaction commits.

Each request carries `X-Playground-Event` (the event name) and, when a secret is set,
`X-Playground-Signature: sha256=<hex HMAC-SHA256 of the body under the secret>` so the receiver can
tell the request came from this server. A delivery that fails is retried three times, 5, 25 and
125 seconds apart.

LIMITATION: the URL is whatever an instructor or lab author set (students cannot set one): a
server that must not reach some internal address should not give staff accounts to people it
does not trust.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from typing import Any

from django.db import transaction

LOG = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(url: str, *, secret: str, event: str, payload: dict[str, Any]) -> int:
    """POST one webhook now; returns the HTTP status (raises OSError when it cannot be sent)."""
    body = json.dumps(payload, separators=(",", ":"), default=str).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "playground-webhooks", "X-Playground-Event": event}
    if secret:
        headers["X-Playground-Signature"] = signature(body, secret)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310  (http(s) only: URLField)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def send_on_commit(targets: list[tuple[str, str]], *, event: str, payload: dict[str, Any]) -> None:
    """Queue a webhook to each (url, secret) once the current transaction commits."""
    from playground.labs.tasks import deliver_webhook

    def queue(url: str, secret: str) -> None:
        transaction.on_commit(lambda: deliver_webhook.delay(url=url, secret=secret, event=event, payload=payload))

    for url, secret in targets:
        if url:
            queue(url, secret)
