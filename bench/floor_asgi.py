"""The floor of the batch calls: what the least durable server can do under Daphne (bench/floor.py).

A bare ASGI application, no Django, answering the batch operations as botocore expects them:
Logs PutLogEvents, Kinesis PutRecords, Firehose PutRecordBatch, and Kinesis GetRecords (below); and
SQS SendMessage, the classroom's per-call target (issue 22), as one small row and its body's MD5.
A put reads the body, decodes the JSON, makes the per-item checks AWS makes (an event's size and
order, a record's base64, with ours' decoder, and its hash key), stores the whole batch as ONE SQLite row (WAL,
synchronous=NORMAL, the pragmas ours uses) in a transaction of its own, and answers with as many
entries as the batch had.

Daphne's request handling is adapted as ours is (playground/streaming.py: a body up to 1 MiB in
memory, handed over in one message). It emulates nothing else: no accounts, limits, metrics, live
events, readers' iterators or read limits. What it costs per call is below what any server of
ours, built on Daphne and SQLite, could cost; its calls/s against moto's is about the highest
ratio such a server could show in the same bench.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
import uuid
from typing import Any

import pybase64

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")

from playground import streaming

streaming.install()
_connections = threading.local()
DATABASE = os.environ.get("BENCH_FLOOR_DATABASE", "floor.sqlite3")
EVENT_OVERHEAD = 26


def _database() -> sqlite3.Connection:
    connection: sqlite3.Connection | None = getattr(_connections, "connection", None)
    if connection is None:
        connection = sqlite3.connect(DATABASE, isolation_level=None, check_same_thread=False, timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS batch (id INTEGER PRIMARY KEY, kind TEXT, at INTEGER, body BLOB)"
        )
        connection.execute(
            "CREATE TABLE IF NOT EXISTS record (counter INTEGER PRIMARY KEY, key TEXT, data BLOB, arrived REAL)"
        )
        connection.execute(
            "CREATE TABLE IF NOT EXISTS message (id TEXT PRIMARY KEY, queue TEXT, body TEXT, md5 TEXT, sent REAL)"
        )
        _connections.connection = connection
    return connection


def _store(kind: str, body: bytes) -> None:
    connection = _database()
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO batch (kind, at, body) VALUES (?, ?, ?)", (kind, int(time.time()), body))
    connection.execute("COMMIT")


def _put_log_events(document: dict[str, Any], body: bytes) -> dict[str, Any]:
    total, previous = 0, None
    for event in document["logEvents"]:
        message, stamp = event["message"], int(event["timestamp"])
        if not isinstance(message, str) or (previous is not None and stamp < previous):
            raise ValueError("a bad event")
        total += (len(message) if message.isascii() else len(message.encode())) + EVENT_OVERHEAD
        previous = stamp
    _store("logs", body)
    return {"nextSequenceToken": "1"}


def _put_records(document: dict[str, Any], body: bytes) -> dict[str, Any]:
    answered = []
    for number, record in enumerate(document["Records"]):
        pybase64.b64decode(record["Data"], validate=True)
        hashlib.md5(record["PartitionKey"].encode(), usedforsecurity=False).digest()
        answered.append({"ShardId": "shardId-000000000000", "SequenceNumber": f"{49600000000000000000 + number}"})
    _store("kinesis", body)
    return {"FailedRecordCount": 0, "Records": answered}


def _get_records(document: dict[str, Any], body: bytes) -> dict[str, Any]:
    """Up to Limit of the records a table of its own holds (filled with 1 KiB records at first use),
    read and answered: no iterator is opened and no read limit counted, so this is below any
    GetRecords that emulates those."""
    connection = _database()
    if connection.execute("SELECT COUNT(*) FROM record").fetchone()[0] == 0:
        rows = [(number, f"key-{number}", os.urandom(1024), time.time()) for number in range(1, 1001)]
        connection.executemany("INSERT INTO record (counter, key, data, arrived) VALUES (?, ?, ?, ?)", rows)
    rows = connection.execute(
        "SELECT counter, key, data, arrived FROM record ORDER BY counter LIMIT ?", (int(document.get("Limit", 100)),)
    ).fetchall()
    return {
        "Records": [
            {
                "SequenceNumber": f"{49600000000000000000 + counter}",
                "ApproximateArrivalTimestamp": arrived,
                "Data": pybase64.b64encode_as_string(data),
                "PartitionKey": key,
            }
            for counter, key, data, arrived in rows
        ],
        "NextShardIterator": document["ShardIterator"],
        "MillisBehindLatest": 0,
    }


def _put_record_batch(document: dict[str, Any], body: bytes) -> dict[str, Any]:
    answered = []
    for record in document["Records"]:
        pybase64.b64decode(record["Data"], validate=True)
        answered.append({"RecordId": "0" * 112})
    _store("firehose", body)
    return {"FailedPutCount": 0, "Encrypted": False, "RequestResponses": answered}


def _send_message(document: dict[str, Any], body: bytes) -> dict[str, Any]:
    """One message row, in a transaction of its own, and the answer botocore checks (the body's MD5):
    no queue, attributes, delay, metric or event."""
    text = document["MessageBody"]
    if not isinstance(text, str) or not text:
        raise ValueError("a bad message")
    digest = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
    message_id = str(uuid.uuid4())
    connection = _database()
    connection.execute("BEGIN IMMEDIATE")
    connection.execute(
        "INSERT INTO message (id, queue, body, md5, sent) VALUES (?, ?, ?, ?, ?)",
        (message_id, document["QueueUrl"], text, digest, time.time()),
    )
    connection.execute("COMMIT")
    return {"MD5OfMessageBody": digest, "MessageId": message_id}


OPERATIONS = {
    "Logs_20140328.PutLogEvents": _put_log_events,
    "Kinesis_20131202.PutRecords": _put_records,
    "Kinesis_20131202.GetRecords": _get_records,
    "Firehose_20150804.PutRecordBatch": _put_record_batch,
    "AmazonSQS.SendMessage": _send_message,
}


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    operation = OPERATIONS.get(dict(scope["headers"]).get(b"x-amz-target", b"").decode())
    answer = json.dumps(operation(json.loads(body), body) if operation else {}).encode()
    headers = [(b"content-type", b"application/x-amz-json-1.1"), (b"content-length", str(len(answer)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": answer})
