"""Concurrency across server processes: the invocations running now, counted in Redis, so that a
function's reserved concurrency and the account's limit hold whether an invocation runs in
Daphne (Invoke) or in the Celery worker (mappings, queued invocations).

Each running invocation holds a lease: a member of a sorted set scored by the time (Redis's clock) it
lapses (the function's timeout plus a margin), so a process that dies mid-invocation frees its
leases by itself. A function with reserved concurrency counts in its own set against that number
(0 stops it); the others share the account's set against the account limit less what is reserved
(AWS's unreserved pool). One Lua script checks and takes a lease atomically.

The leases are real time, not sandbox time: they follow processes that really run. They are timed
by Redis's own clock (TIME, in the script), one clock for every process; nothing here reads the
wall clock. When Redis
cannot be reached, invocations are not counted (each process's pool of environments still caps
a function at runtime.MAX_ENVIRONMENTS).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from playground import redisconn
from playground.env import env_int
from services.awslambda.exceptions import InvalidParameterValueException, TooManyRequestsException
from services.awslambda.models import Function

LOG = logging.getLogger(__name__)

# AWS's default concurrent executions quota for an account and region is 1,000.
ACCOUNT_LIMIT = env_int("PLAYGROUND_LAMBDA_CONCURRENCY", 1000, minimum=1)
UNRESERVED_MINIMUM = 100  # what reservations must leave to the other functions (AWS's rule)
MARGIN_SECONDS = 30

# KEYS[1] the pool; ARGV lapse (seconds a lease lives), member, limit, the pool's own expiry.
_TAKE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local running = redis.call('ZCARD', KEYS[1])
if running >= tonumber(ARGV[3]) then return -1 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return running + 1
"""


@dataclass
class Lease:
    key: str
    member: str
    running: int  # the invocations running in its pool with this one


def _key(function: Function) -> str:
    if function.reserved_concurrency is not None:
        return redisconn.key("lambda", "running", function.sandbox_id, function.region, function.name)
    return redisconn.key("lambda", "running", function.sandbox_id, function.region)


def _reserved(*, sandbox_id: int, region: str, other_than: int | None = None) -> int:
    rows = Function.objects.filter(sandbox_id=sandbox_id, region=region, reserved_concurrency__isnull=False)
    if other_than is not None:
        rows = rows.exclude(pk=other_than)
    return sum(value or 0 for value in rows.values_list("reserved_concurrency", flat=True))


def unreserved(*, sandbox_id: int, region: str) -> int:
    """What the reservations leave to the other functions: the unreserved pool's limit, and
    GetAccountSettings' UnreservedConcurrentExecutions."""
    return max(ACCOUNT_LIMIT - _reserved(sandbox_id=sandbox_id, region=region), 0)


def check_reservation(function: Function, *, wanted: int) -> None:
    """PutFunctionConcurrency: what the reservations leave to the others may not fall below 100."""
    others = _reserved(sandbox_id=function.sandbox_id, region=function.region, other_than=function.pk)
    if ACCOUNT_LIMIT - others - wanted < min(UNRESERVED_MINIMUM, ACCOUNT_LIMIT):
        raise InvalidParameterValueException(
            "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
            f"below its minimum value of [{min(UNRESERVED_MINIMUM, ACCOUNT_LIMIT)}]."
        )


def take(function: Function) -> Lease | None:
    """A lease for one invocation, or TooManyRequestsException (the Reason AWS gives); None when
    Redis is out of reach (not counted)."""
    reserved = function.reserved_concurrency
    # The unreserved pool never falls below UNRESERVED_MINIMUM (check_reservation): the sum of the
    # reservations is read only when more than that many run at once.
    limit = reserved if reserved is not None else ACCOUNT_LIMIT
    key, member = _key(function), uuid.uuid4().hex
    lapse = function.timeout + MARGIN_SECONDS
    try:
        answer: Any = redisconn.client().eval(_TAKE, 1, key, lapse, member, limit, lapse + 60)
        running = int(answer)
    except Exception:
        LOG.warning("Lambda concurrency not counted: Redis unreachable", exc_info=True)
        return None
    if (
        running > min(UNRESERVED_MINIMUM, ACCOUNT_LIMIT)
        and reserved is None
        and running > unreserved(sandbox_id=function.sandbox_id, region=function.region)
    ):
        give_back(Lease(key=key, member=member, running=running))
        running = -1
    if running < 0:
        reason = (
            "ReservedFunctionConcurrentInvocationLimitExceeded" if reserved is not None
            else "ConcurrentInvocationLimitExceeded"
        )  # fmt: skip
        raise TooManyRequestsException("Rate Exceeded.", fields={"Reason": reason})
    return Lease(key=key, member=member, running=running)


def give_back(lease: Lease | None) -> None:
    if lease is None:
        return
    try:
        redisconn.client().zrem(lease.key, lease.member)
    except Exception:
        LOG.warning("Lambda concurrency lease not returned (it lapses by itself)", exc_info=True)
