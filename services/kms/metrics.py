"""KMS's AWS/KMS metric, published through CloudWatch's public door with the KeyId dimension, on
the sandbox clock: SecondsUntilKeyMaterialExpiration (Seconds), for each key whose imported key
material expires (ExpirationModel KEY_MATERIAL_EXPIRES). It is published when the material is
imported, then once a minute for as long as the key has it (a lasting gauge), so that an alarm
can warn before the key becomes unusable.

AWS/KMS's other metrics concern external key stores (ExternalKeyStoreThrottle, XksProxy...),
which the emulator has not; AWS counts KMS API requests in AWS/Usage, not AWS/KMS.
"""

from __future__ import annotations

import datetime as dt

from playground.sandboxes.models import Sandbox
from services.cloudwatch.public import Gauge, gauges, metric_put
from services.kms.models import Key

NAMESPACE = "AWS/KMS"
NAME = "SecondsUntilKeyMaterialExpiration"


def _seconds_left(key: Key, now: dt.datetime) -> float:
    assert key.valid_to is not None
    return float(max(int((key.valid_to - now).total_seconds()), 0))


def material_imported(key: Key, *, now: dt.datetime) -> None:
    """The first datapoint of an expiring import (which also starts CloudWatch's gauge rounds)."""
    if key.valid_to is None:
        return
    metric_put(sandbox=key.sandbox, region=key.region, namespace=NAMESPACE, name=NAME, value=_seconds_left(key, now),
               unit="Seconds", dimensions={"KeyId": key.key_id}, now=now)  # fmt: skip


@gauges("kms")
def material_expirations(sandbox: Sandbox, now: dt.datetime) -> list[Gauge]:
    keys = Key.objects.filter(sandbox=sandbox, valid_to__gt=now).only("key_id", "region", "valid_to")
    return [
        Gauge(NAMESPACE, NAME, _seconds_left(key, now), {"KeyId": key.key_id}, "Seconds", key.region, lasting=True)
        for key in keys
    ]
