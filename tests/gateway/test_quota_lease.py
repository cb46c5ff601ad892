"""The request-rate bucket on the real Redis: a process takes a lease of tokens in one round trip
and spends it without asking again; what it did not spend goes back with its next request."""

from __future__ import annotations

import time
import uuid

import pytest
import redis
from django.conf import settings

from playground.gateway import quotas


@pytest.fixture
def sandbox_id() -> int:
    return uuid.uuid4().int % 10**9 + 10**9  # a bucket no other test touches


def _bucket(sandbox_id: int) -> dict[bytes, bytes]:
    client = redis.Redis.from_url(settings.REDIS_URL)
    return client.hgetall(f"{quotas._prefix()}:quota:rate:{sandbox_id}")  # type: ignore[return-value]


def test_a_lease_is_spent_without_asking_redis_again(sandbox_id: int) -> None:
    rate, burst = 0.001, 100  # no refill worth counting while the test runs
    lease = quotas.lease_size(rate=rate, burst=burst)
    assert lease == 1  # a slow rate keeps the exact count: every call asks the bucket
    rate = 20.0
    lease = quotas.lease_size(rate=rate, burst=burst)
    assert lease == 10
    assert quotas.take_request_token(sandbox_id, rate=rate, burst=burst)
    after_first = _bucket(sandbox_id)
    assert float(after_first[b"tokens"]) <= burst - lease + 1
    for _ in range(lease - 1):
        assert quotas.take_request_token(sandbox_id, rate=rate, burst=burst)
    assert _bucket(sandbox_id) == after_first  # the lease's calls never reached Redis


def test_an_empty_bucket_refuses_and_unspent_tokens_go_back(sandbox_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rate, burst = 0.01, 20  # a lease of 1: the bucket's own count decides
    taken = 0
    while quotas.take_request_token(sandbox_id, rate=rate, burst=burst):
        taken += 1
        assert taken <= burst
    assert taken == burst
    other = sandbox_id + 1
    rate, burst = 20.0, 1000  # a lease of 10
    redis.Redis.from_url(settings.REDIS_URL).hset(
        f"{quotas._prefix()}:quota:rate:{other}", mapping={"tokens": "500", "at": str(time.time())}
    )
    assert quotas.take_request_token(other, rate=rate, burst=burst)  # leases 10, spends 1
    first = _bucket(other)
    later = time.monotonic() + quotas.LEASE_SECONDS + 0.05
    monkeypatch.setattr(quotas, "monotonic", lambda: later)  # the lease ends with 9 unspent
    assert quotas.take_request_token(other, rate=rate, burst=burst)  # gives the 9 back, leases 10
    second = _bucket(other)
    refill = (float(second[b"at"]) - float(first[b"at"])) * rate
    # (Redis keeps the times to 14 digits: a tenth of a millisecond of refill either way.)
    assert float(second[b"tokens"]) == pytest.approx(float(first[b"tokens"]) + refill + 9 - 10, abs=0.05)
