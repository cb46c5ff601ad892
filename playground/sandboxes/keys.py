"""A sandbox's long-term access keys: list, create, rotate, delete (what IAM's access-key calls do
for a user). The REST API and the GUI call these.

A sandbox has at most settings.MAX_ACCESS_KEYS long-term keys, active or not (IAM allows two per
user: one in use, one being rotated in). Rotating a key issues a new one and deactivates the old
one, which stays listed as Inactive until the next rotation deletes it.

Temporary keys (STS) stop working at their expiry on the sandbox clock: a call signed with one
is refused with ExpiredToken. A day of sandbox time after that the key is deleted (due work on the
clock), after which a call signed with it is refused as an unknown key, as AWS forgets them too.

Server processes keep a key they verified in memory (gateway/handler.py); deactivating, rotating
or deleting it is seen by the very next call signed with it (sandboxes/generations.py).
LIMITATION: a server process on another machine (no shared var folder) sees it within
gateway.handler.BACKSTOP_SECONDS, as IAM's own changes take a few seconds to be seen everywhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from playground.errors import LimitReached, PlaygroundError
from playground.sandboxes.duework import due_work
from playground.sandboxes.models import AccessKey, Clock, Sandbox

# How long an expired temporary key is kept (answering ExpiredToken) before it is deleted.
EXPIRED_KEYS_KEPT = dt.timedelta(days=1)


class NoSuchKey(PlaygroundError):
    code = "NoSuchEntity"
    status = 404


def long_term_keys(sandbox: Sandbox) -> QuerySet[AccessKey]:
    return AccessKey.objects.filter(sandbox=sandbox, expires_at__isnull=True).exclude(access_key_id__startswith="ASIA")


@transaction.atomic
def key_create(*, sandbox: Sandbox) -> tuple[AccessKey, str]:
    """A new active key; returns it with its secret."""
    Sandbox.objects.select_for_update().filter(pk=sandbox.pk).first()  # one key change at a time
    count = long_term_keys(sandbox).count()
    if count >= settings.MAX_ACCESS_KEYS:
        raise LimitReached(
            f"Cannot exceed quota for AccessKeysPerUser: {settings.MAX_ACCESS_KEYS}. Delete an inactive key first."
        )
    return AccessKey.issue(sandbox=sandbox, now=Clock.current(sandbox.pk).now())


def _key(sandbox: Sandbox, access_key_id: str) -> AccessKey:
    key = long_term_keys(sandbox).select_for_update().filter(access_key_id=access_key_id).first()
    if key is None:
        raise NoSuchKey(f"The Access Key with id {access_key_id} cannot be found.")
    return key


@transaction.atomic
def key_rotate(*, sandbox: Sandbox, access_key_id: str) -> tuple[AccessKey, str]:
    """Replace a key: a new active key, the old one inactive, keys inactive before deleted."""
    Sandbox.objects.select_for_update().filter(pk=sandbox.pk).first()
    old = _key(sandbox, access_key_id)
    long_term_keys(sandbox).filter(active=False).exclude(pk=old.pk).delete()
    old.active = False
    old.save(update_fields=["active"])
    return AccessKey.issue(sandbox=sandbox, now=Clock.current(sandbox.pk).now())


@transaction.atomic
def key_set_active(*, sandbox: Sandbox, access_key_id: str, active: bool) -> AccessKey:
    key = _key(sandbox, access_key_id)
    key.active = active
    key.save(update_fields=["active"])
    return key


@transaction.atomic
def key_delete(*, sandbox: Sandbox, access_key_id: str) -> None:
    _key(sandbox, access_key_id).delete()


def credential_dict(key: AccessKey) -> dict[str, Any]:
    """A key as IAM lists it. Never its secret: that is in the answer that creates the key only
    (new_credential_dict), as IAM returns a secret in CreateAccessKey's answer and nowhere else."""
    return {
        "access_key_id": key.access_key_id,
        "status": "Active" if key.active else "Inactive",
        "created_at": key.created_at.isoformat(),
    }


def new_credential_dict(key: AccessKey, secret: str) -> dict[str, Any]:
    """A key just made, with the plaintext secret its maker returned (not read back from the key)."""
    return {**credential_dict(key), "secret_access_key": secret}


@due_work(
    "platform.expired-keys", rows=AccessKey.objects.all, at="expires_at", cutoff=lambda now: now - EXPIRED_KEYS_KEPT
)
def expired_keys_delete(sandbox: Sandbox, now: dt.datetime) -> None:
    """Delete the sandbox's temporary keys that expired more than EXPIRED_KEYS_KEPT ago."""
    AccessKey.objects.filter(sandbox=sandbox, expires_at__lte=now - EXPIRED_KEYS_KEPT).delete()
