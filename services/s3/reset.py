"""What resetting a sandbox does for S3 besides deleting its rows: delete the object bytes."""

from __future__ import annotations

from playground.sandboxes.models import Sandbox
from services.s3 import storage
from services.s3.models import ObjectVersion, Part


def reset(*, sandbox: Sandbox) -> None:
    names = list(ObjectVersion.objects.filter(sandbox=sandbox).values_list("storage_name", flat=True))
    names += list(Part.objects.filter(sandbox=sandbox).values_list("storage_name", flat=True))
    storage.discard_on_commit(names)
