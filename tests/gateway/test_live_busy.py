"""A database too busy to answer in time (SQLite's write lock held past its timeout) makes a call
answer ServiceUnavailable (503), which SDKs retry, never InternalFailure; nothing is changed."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server, _start_server, _stop

pytestmark = pytest.mark.live


@pytest.fixture
def impatient_server(daphne: Server) -> Iterator[Server]:
    """A server of the test's own whose writers wait one second for SQLite's lock."""
    if not daphne.env["DATABASE_URL"].startswith("sqlite:"):
        pytest.skip("SQLite's single writer lock; PostgreSQL locks rows")
    server = _start_server("daphne-impatient", dict(daphne.env, PLAYGROUND_SQLITE_TIMEOUT="1"))
    yield server
    _stop(server.process)


def test_a_call_that_cannot_get_the_write_lock_is_service_unavailable(
    impatient_server: Server, aws: Callable[..., Any]
) -> None:
    sqs = aws("sqs", server=impatient_server)  # retries off: the 503 itself is what is checked
    holder = sqlite3.connect(impatient_server.env["DATABASE_URL"].removeprefix("sqlite:///"), timeout=30)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(ClientError) as caught:
            sqs.create_queue(QueueName="waits-for-the-lock")
    finally:
        holder.rollback()
        holder.close()
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert caught.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert "waits-for-the-lock" not in str(sqs.list_queues().get("QueueUrls", []))
    assert "Traceback" not in impatient_server.log_text()
