"""Time-based KMS work, run by the beat tick on each sandbox's clock (and at once when a clock is
advanced): keys whose deletion window has ended are deleted, keys due for automatic rotation
rotate, imported key material past its ValidTo is deleted. Thin: the work is in management.py,
rotation.py and imports.py."""

from __future__ import annotations

import datetime as dt

from playground.sandboxes.duework import due_work
from playground.sandboxes.models import Sandbox
from services.kms.imports import expire_due_material
from services.kms.management import delete_due_keys
from services.kms.models import ENABLED, PENDING_DELETION, Key
from services.kms.rotation import rotate_due_keys


@due_work("kms.deletion", rows=lambda: Key.objects.filter(state=PENDING_DELETION), at="deletion_at")
def delete_keys(sandbox: Sandbox, now: dt.datetime) -> None:
    delete_due_keys(sandbox=sandbox, now=now)


@due_work(
    "kms.rotation",
    rows=lambda: Key.objects.filter(rotation_enabled=True, state=ENABLED),
    at="next_rotation_at",
)
def rotate_keys(sandbox: Sandbox, now: dt.datetime) -> None:
    rotate_due_keys(sandbox=sandbox, now=now)


@due_work("kms.import-expiry", rows=Key.objects.all, at="valid_to")
def expire_imported_material(sandbox: Sandbox, now: dt.datetime) -> None:
    expire_due_material(sandbox=sandbox, now=now)
