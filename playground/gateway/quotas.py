"""Quotas per sandbox, so that one student cannot hurt the class (settings.QUOTAS):

    requests_per_second / request_burst   AWS calls: a token bucket per sandbox, kept on Redis so
                                          that every server process draws from the same bucket
                                          (a few tokens at a time: see LEASE_SECONDS).
                                          Refused with the service's throttling error, as AWS
                                          names it: SQS RequestThrottled, SNS Throttled, json
                                          services ThrottlingException, query services Throttling,
                                          S3 SlowDown, EC2 RequestLimitExceeded. SDKs retry these.
    stored_bytes                          message bodies stored at once (SQS messages; SNS, Kinesis
                                          and S3 payloads once they exist): a call that would store
                                          more is refused with the service's over-limit error (SQS
                                          OverLimit, otherwise LimitExceededException).
    resources {"sqs.Queue": 100, ...}     rows of a model per sandbox: creating one more is refused
                                          with the service's over-limit error (SQS OverLimit, KMS
                                          LimitExceededException, SNS TopicLimitExceeded ...).
                                          Unset, a classroom (strict mode) takes the limits each
                                          service app declares (ServiceApp.quotas).

What counts as a stored payload, which calls store one and which error a model's limit raises,
each service app declares (ServiceApp.stored_payloads, storing_operations, limit_errors:
playground/catalog.py); this module names no service.

The gateway calls `check_request` before every operation (signed or console). Resource quotas are
enforced by a pre_save hook on the listed models, inside the provider's transaction, so an
idempotent create of something that exists is not refused; a service that creates rows with
bulk_create calls `check_resource_quota` itself before it does.

LIMITATIONS: when Redis does not answer, requests are not throttled (logged once). Tokens a
process has leased and not spent yet (at most a tenth of the burst, for at most LEASE_SECONDS)
are missing from the bucket other processes draw from, which may throttle them that much early. The stored
bytes are summed from the database at most once a second per server process and counted forward
from what that process admits in between, so several processes may together overshoot the quota
by about one second's worth of writes. Quota refusals are not AWS's account-level service quotas:
AWS has no per-account queue limit, for instance; these exist to protect a shared server.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from functools import cache
from typing import Any

import redis
from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Sum
from django.db.models.signals import pre_save

from playground.catalog import aws_services, service_app, service_apps
from playground.gateway.errors import AwsError
from playground.gateway.protocols._errors import modeled_error
from playground.gateway.request import RequestContext
from playground.gateway.specs import service_model

LOG = logging.getLogger(__name__)

THROTTLE_SHAPES = ("RequestThrottled", "ThrottledException", "ThrottlingException", "TooManyRequestsException")
# Where the service's model has no throttling error: the name its protocol family uses.
PROTOCOL_THROTTLES = {
    "query": ("Throttling", 400),
    "ec2": ("RequestLimitExceeded", 503),
    "rest-xml": ("SlowDown", 503),
}
DEFAULT_THROTTLE = ("ThrottlingException", 400)

LIMIT_SHAPES = ("OverLimit", "LimitExceededException")
PAYLOAD_MEMBERS = frozenset({"MessageBody", "Message", "Data", "Body"})
STORED_BYTES_REFRESH_SECONDS = 1.0


def _quotas() -> dict[str, Any]:
    quotas: dict[str, Any] = settings.QUOTAS
    return quotas


@cache
def resource_limits() -> dict[str, int]:
    """{"app_label.Model": rows per sandbox}: the setting, or in a classroom the apps' own."""
    configured: dict[str, int] | None = _quotas()["resources"]
    if configured is not None:
        return configured
    if settings.AUTH_MODE != "strict":
        return {}
    return {f"{app.label}.{model}": limit for app in service_apps() for model, limit in app.quotas.items()}


@cache
def _stored_payloads() -> dict[str, str]:
    """{"app_label.Model": size field} of every model holding stored payloads."""
    return {f"{app.label}.{model}": field for app in service_apps() for model, field in app.stored_payloads.items()}


def _stores_payload(service: str, operation: str) -> bool:
    app = aws_services().get(service)
    return app is not None and operation in app.storing_operations


# --- request rate ---------------------------------------------------------------------------------

# KEYS[1] bucket; ARGV rate, burst, now (seconds), tokens wanted, unused tokens given back.
# Returns how many tokens were taken: as many as wanted while the bucket has them, else all it has.
_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local wanted = tonumber(ARGV[4])
local returned = tonumber(ARGV[5])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate + returned)
local taken = math.min(wanted, math.floor(tokens))
if taken < 0 then
  taken = 0
end
tokens = tokens - taken
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 2)
return taken
"""

# A process takes tokens from the shared bucket a few at a time (a lease) and spends them on the
# sandbox's next calls without asking Redis again; what a lease has not spent within LEASE_SECONDS
# goes back with the next request to Redis. A lease is a tenth of the burst at most, and at most
# LEASE_SECONDS of the rate, so that a small quota (a few calls a second) keeps its exact count,
# and MAX_LEASE at most (a classroom's default quota, 50 calls a second, leases 20).
LEASE_SECONDS = 0.5
MAX_LEASE = 20
# The real-time clock of the leases and of the stored-bytes sums (a test moves it, never sleeps).
monotonic = time.monotonic
_leases: dict[int, tuple[float, int]] = {}  # sandbox id -> (monotonic end, tokens left)
_leases_lock = threading.Lock()

_lock = threading.Lock()
_client: redis.Redis | None = None
_script: Any = None
_warned = False


def _bucket_script() -> Any:
    global _client, _script
    if _script is None:
        with _lock:
            if _script is None:
                _client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
                _script = _client.register_script(_BUCKET_SCRIPT)
    return _script


def _prefix() -> str:
    layers: dict[str, Any] = getattr(settings, "CHANNEL_LAYERS", {})
    return str(layers.get("default", {}).get("CONFIG", {}).get("prefix", "asgi"))


def lease_size(*, rate: float, burst: int) -> int:
    return max(1, min(burst // 10, int(rate * LEASE_SECONDS), MAX_LEASE))


def take_request_token(sandbox_id: int, *, rate: float, burst: int) -> bool:
    """Take one call from the sandbox's bucket; False when it is empty. True when Redis is away."""
    global _warned
    moment = monotonic()
    with _leases_lock:
        end, left = _leases.pop(sandbox_id, (0.0, 0))
        if left > 0 and end > moment:
            _leases[sandbox_id] = (end, left - 1)
            return True
    want = lease_size(rate=rate, burst=burst)
    try:
        taken = int(
            _bucket_script()(keys=[f"{_prefix()}:quota:rate:{sandbox_id}"], args=[rate, burst, time.time(), want, left])
        )
    except redis.RedisError as problem:
        if not _warned:
            _warned = True
            LOG.warning("request-rate quotas are off: Redis is unavailable (%s)", problem)
        return True
    if taken > 1:
        with _leases_lock:
            if len(_leases) > 10_000:
                _leases.clear()
            _leases[sandbox_id] = (moment + LEASE_SECONDS, taken - 1)
    return taken > 0


@cache
def _throttle_error(service: str, protocol: str) -> tuple[str, int]:
    model = service_model(service)
    for name in THROTTLE_SHAPES:
        found = modeled_error(model, name)
        if found is not None:
            return name, found.status or 400
    family = "json" if protocol in ("console", "smithy-rpc-v2-cbor", "rest-json") else protocol
    return PROTOCOL_THROTTLES.get(family, DEFAULT_THROTTLE)


def throttled(service: str, protocol: str, *, rate: float) -> AwsError:
    code, status = _throttle_error(service, protocol)
    return AwsError(f"Rate exceeded: this sandbox may make {rate:g} calls a second.", code=code, status=status)


# --- stored bytes ---------------------------------------------------------------------------------

_stored: dict[int, tuple[float, int]] = {}  # sandbox id -> (monotonic expiry, bytes)


def _payload_bytes(value: Any, name: str = "") -> int:
    if isinstance(value, dict):
        if name == "MessageAttributes":  # name, type and value of each attribute count too
            return sum(len(key) + _payload_bytes(item, "attribute") for key, item in value.items())
        return sum(_payload_bytes(item, key) for key, item in value.items())
    if isinstance(value, list):
        return sum(_payload_bytes(item, name) for item in value)
    if name in PAYLOAD_MEMBERS and hasattr(value, "read"):  # a large body, on disk (a file or a reader of one)
        return _file_size(value)
    if name in PAYLOAD_MEMBERS or name in ("attribute", "StringValue", "BinaryValue", "DataType"):
        if isinstance(value, str):
            return len(value.encode())
        if isinstance(value, bytes):
            return len(value)
    return 0


def _file_size(value: Any) -> int:
    """The size of a body streamed from disk: its file's, or the file under a decoding reader."""
    for candidate in (value, getattr(value, "raw", None)):
        fileno = getattr(candidate, "fileno", None)
        if fileno is not None:
            try:
                return os.fstat(fileno()).st_size
            except (OSError, ValueError):
                return 0
    return 0


def stored_bytes(sandbox_id: int) -> int:
    """What the sandbox stores now, summed over every model holding payloads."""
    total = 0
    for label, field in _stored_payloads().items():
        model = apps.get_model(label)
        total += model._default_manager.filter(sandbox_id=sandbox_id).aggregate(total=Sum(field))["total"] or 0
    return int(total)


def _check_stored_bytes(ctx: RequestContext, params: dict[str, Any], limit: int) -> None:
    incoming = _payload_bytes(params)
    moment = monotonic()
    sandbox_id = ctx.sandbox.pk
    hit = _stored.get(sandbox_id)
    if hit is None or hit[0] <= moment:
        hit = (moment + STORED_BYTES_REFRESH_SECONDS, stored_bytes(sandbox_id))
    expiry, current = hit
    if current + incoming > limit:
        _stored[sandbox_id] = hit
        raise over_limit(
            ctx.service,
            f"This sandbox stores {current} bytes of messages; its quota is {limit} bytes. "
            "Delete or purge messages before sending more.",
        )
    if len(_stored) > 10_000:
        _stored.clear()
    _stored[sandbox_id] = (expiry, current + incoming)


# --- resources ------------------------------------------------------------------------------------


@cache
def _limit_error(service: str, label: str) -> tuple[str, int]:
    app = service_app(service)
    if app is None or not app.aws_services:
        return "LimitExceededException", 400
    model = service_model(app.aws_services[0])
    specific = app.limit_errors.get(label.partition(".")[2], "")
    for name in (specific, *LIMIT_SHAPES):
        found = modeled_error(model, name) if name else None
        if found is not None:
            return name, found.status or 400
    return "LimitExceededException", 400


def over_limit(service: str, message: str, *, label: str = "") -> AwsError:
    code, status = _limit_error(service, label)
    return AwsError(message, code=code, status=status)


def check_resource_quota(*, sandbox_id: int, model: type[models.Model], adding: int = 1) -> None:
    """Refuse (with the service's over-limit error) when the sandbox already has its quota of rows
    of `model`. Services that create rows without Model.save() call this themselves."""
    label = model._meta.label
    limit = resource_limits().get(label, 0)
    if not limit:
        return
    count = model._default_manager.filter(sandbox_id=sandbox_id).count()
    if count + adding > limit:
        noun = model._meta.verbose_name_plural
        raise over_limit(
            model._meta.app_label,
            f"This sandbox may have at most {limit} {noun} (the server's quota); it has {count}.",
            label=label,
        )


def _before_save(sender: type[models.Model], instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw or not instance._state.adding:
        return
    check_resource_quota(sandbox_id=instance.sandbox_id, model=sender)


def connect_resource_quotas() -> list[str]:
    """Enforce resource_limits() on every listed model that exists; returns their labels."""
    connected = []
    for label in resource_limits():
        try:
            model = apps.get_model(label)
        except LookupError:
            LOG.warning("PLAYGROUND_QUOTA_RESOURCES names %s, which no installed app has", label)
            continue
        pre_save.connect(_before_save, sender=model, dispatch_uid=f"playground-quota-{label}")
        connected.append(label)
    return connected


# --- the gateway's one call -----------------------------------------------------------------------


def check_request(ctx: RequestContext, params: dict[str, Any]) -> None:
    """Before an AWS operation runs: refuse it when the sandbox is over its request rate, or when
    it would store more than the sandbox's quota of bytes."""
    quotas = _quotas()
    rate = quotas["requests_per_second"]
    if rate > 0 and not take_request_token(ctx.sandbox.pk, rate=rate, burst=quotas["request_burst"]):
        raise throttled(ctx.service, ctx.protocol, rate=rate)
    limit = quotas["stored_bytes"]
    if limit > 0 and _stores_payload(ctx.service, ctx.operation):
        _check_stored_bytes(ctx, params, limit)
