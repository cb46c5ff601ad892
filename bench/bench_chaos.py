"""The chaos bench: kill -9 our Daphne and the Celery worker (with beat) at seeded random moments
while a producer and consumers work two standard SQS queues and a FIFO queue (bench/chaos.py),
restarting each on the same port; then, with everything running again, drain the queues and check
that nothing acknowledged was lost or came back after its delete, that FIFO groups kept their
order, and that the database is intact.

Bounded by `--seconds` (the wall time of the fault phase, restarts included: one under way at the
end is finished) and by CHAOS_KILLS (default 12) kills; CHAOS_SEED (default 1) fixes the moments,
the targets and the consumers' choices. The messages' interleaving still depends on the machine's
timing, so two runs with one seed kill at the same moments but not necessarily in the same calls.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import requests

from bench.chaos import FIFO_QUEUE, STANDARD_QUEUES, Endpoint, Findings, Workload, check
from bench.harness import Harness, Options, Report, bench, kill_hard, manage, restart_celery, restart_ours

DRAIN_PATIENCE = 30.0  # seconds without a receive after which the drain gives up (bodies left count as lost)
TARGETS = ("daphne", "celery", "both")


@bench("chaos", "kill -9 Daphne and Celery under SQS load, restart, drain: acknowledged messages lost (must be 0)")
def run(harness: Harness, options: Options) -> Report:
    seed = int(os.environ.get("CHAOS_SEED", "1"))
    kill_limit = int(os.environ.get("CHAOS_KILLS", "12"))
    server = harness.ours(celery=True)
    workload = Workload(
        Endpoint(server.url, server.keys.access_key_id, server.keys.secret_access_key, server.keys.region), seed=seed
    )
    workload.create_queues()
    began = time.monotonic()
    workload.start()
    kills = _inflict(harness, random.Random(seed), seconds=options.seconds, limit=kill_limit)
    fault_seconds = time.monotonic() - began
    workload.stop_producing()
    drain_began = time.monotonic()
    drained = workload.drain(advance=_clock_advancer(harness), patience=DRAIN_PATIENCE)
    drain_seconds = time.monotonic() - drain_began
    workload.stop()
    findings = check(workload.records)
    database = _database_check(harness, workload)
    return _report(options, seed, kills, fault_seconds, drain_seconds, drained, findings, database, workload)


def _inflict(harness: Harness, rng: random.Random, *, seconds: float, limit: int) -> Counter[str]:
    """Kill and restart at random moments until `limit` kills or `seconds` have passed; every
    process is running again when this returns."""
    kills: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    while sum(kills.values()) < limit:
        pause = rng.uniform(0.5, 3.0)
        if time.monotonic() + pause >= deadline:
            break
        time.sleep(pause)
        target = rng.choice(TARGETS)
        down = rng.uniform(0.0, 1.0)  # how long the killed processes stay dead
        if target in ("daphne", "both"):
            kill_hard(harness.ours().process)
            kills["daphne"] += 1
        if target in ("celery", "both") and harness.celery is not None:
            kill_hard(harness.celery)
            kills["celery"] += 1
        time.sleep(down)
        if target in ("daphne", "both"):
            restart_ours(harness)
        if target in ("celery", "both"):
            restart_celery(harness)
    return kills


def _clock_advancer(harness: Harness) -> Callable[[float], None]:
    """Moves the demo sandbox's clock through the REST API, signed in as the demo user."""
    server = harness.ours()
    login = json.loads(manage(harness, "demo_setup", "--json"))
    session = requests.Session()
    answer = session.post(f"{server.url}/api/token/", json={k: login[k] for k in ("username", "password")}, timeout=10)
    answer.raise_for_status()
    session.headers["Authorization"] = f"Token {answer.json()['token']}"
    sandboxes = session.get(f"{server.url}/api/sandboxes/", timeout=10).json()
    sandbox_id = next(box["id"] for box in sandboxes if box["account_id"] == server.keys.account_id)

    def advance(seconds: float) -> None:
        url = f"{harness.ours().url}/api/sandboxes/{sandbox_id}/clock/advance/"
        session.post(url, json={"seconds": seconds}, timeout=30).raise_for_status()

    return advance


# --- the database ------------------------------------------------------------------------------------


def _database_check(harness: Harness, workload: Workload) -> dict[str, Any]:
    """`manage.py check`; the engine's own integrity checks; a full count of every table (every
    row read); no row of an SQS table naming a missing queue; and the queues' message rows agreeing
    with what GetQueueAttributes counts."""
    manage(harness, "check")
    url = harness.database_url()
    found: dict[str, Any] = {}
    if url.startswith("sqlite"):
        connection: Any = sqlite3.connect(f"file:{url.removeprefix('sqlite:///')}?mode=ro", uri=True)
        cursor = connection.cursor()
        found["integrity_check"] = ", ".join(row[0] for row in cursor.execute("PRAGMA integrity_check"))
        found["foreign_key_violations"] = len(cursor.execute("PRAGMA foreign_key_check").fetchall())
        tables = [row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        with_queue = [table for table in tables if _sqlite_has_column(cursor, table, "queue_id")]
    else:
        import psycopg

        connection = psycopg.connect(url, autocommit=True)
        cursor = connection.cursor()
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        tables = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'queue_id'"
        )
        with_queue = [row[0] for row in cursor.fetchall()]
        found["amcheck"] = _amcheck(cursor, tables)
    try:
        found["rows"] = sum(_count(cursor, f'"{table}"') for table in tables)
        orphaned = "LEFT JOIN sqs_queue q ON q.id = t.queue_id WHERE t.queue_id IS NOT NULL AND q.id IS NULL"
        found["orphans"] = {
            table: orphans
            for table in with_queue
            if table.startswith("sqs_") and (orphans := _count(cursor, f'"{table}" t {orphaned}'))
        }
        names = ", ".join(f"'{name}'" for name in (*STANDARD_QUEUES, FIFO_QUEUE))
        found["message_rows_left"] = _count(
            cursor, f"sqs_message m JOIN sqs_queue q ON q.id = m.queue_id WHERE q.name IN ({names})"
        )
    finally:
        connection.close()
    counts = workload.counts()
    found["messages_counted_by_sqs"] = sum(counts) if counts is not None else None
    return found


def _sqlite_has_column(cursor: Any, table: str, column: str) -> bool:
    return any(row[1] == column for row in cursor.execute(f'PRAGMA table_info("{table}")'))


def _count(cursor: Any, source: str) -> int:
    """SELECT count(*) FROM source, where source is built here from constants and the names the
    database's own catalog lists."""
    cursor.execute(f"SELECT count(*) FROM {source}")  # noqa: S608 (no outside input)
    return int(cursor.fetchone()[0])


def _amcheck(cursor: Any, tables: list[str]) -> str:
    """PostgreSQL's own corruption checks: every B-tree index against its table, every table's
    heap. "ok", the problems found, or why it could not run (amcheck needs a superuser once)."""
    import psycopg

    try:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
    except psycopg.Error as error:
        return f"not run: {error}".strip()
    problems: list[str] = []
    cursor.execute(
        "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE a.amname = 'btree' AND n.nspname = 'public'"
    )
    for (index,) in cursor.fetchall():
        try:
            cursor.execute("SELECT bt_index_check(%s::regclass, true)", [index])
        except psycopg.Error as error:
            problems.append(f"{index}: {error}")
    for table in tables:
        cursor.execute("SELECT count(*) FROM verify_heapam(%s::regclass)", [f'"{table}"'])
        if corrupt := int(cursor.fetchone()[0]):
            problems.append(f"{table}: {corrupt} corrupt heap tuples")
    return "; ".join(problems) or "ok"


# --- the report --------------------------------------------------------------------------------------


def _report(
    options: Options,
    seed: int,
    kills: Counter[str],
    fault_seconds: float,
    drain_seconds: float,
    drained: bool,
    findings: Findings,
    database: dict[str, Any],
    workload: Workload,
) -> Report:
    column = options.database
    report = Report("chaos", f"chaos: kill -9 under SQS load, {column}, seed {seed}", columns=[column])
    figures: dict[str, float | None] = {
        "kills of Daphne": kills["daphne"],
        "kills of Celery": kills["celery"],
        "fault phase s": fault_seconds,
        "drain s": drain_seconds,
    }
    summary = findings.summary()
    figures.update({name.replace("_", " "): value for name, value in summary.items() if isinstance(value, int)})
    figures["database rows"] = database["rows"]
    report.rows = {label: {column: value} for label, value in figures.items()}
    database_ok = (
        database.get("integrity_check", "ok") == "ok"
        and not database.get("foreign_key_violations")
        and database.get("amcheck", "ok") in ("ok",)
        and not database["orphans"]
        and database["message_rows_left"] == database["messages_counted_by_sqs"]
    )
    verdict = "PASS" if findings.violations == 0 and drained and database_ok else "FAIL"
    report.notes.append(
        f"{verdict}: {findings.violations} violations; queues drained: {drained}; database: "
        + ", ".join(f"{name} {value}" for name, value in database.items() if name != "rows")
    )
    report.notes += [f"{name}: {value}" for name, value in summary.items() if not isinstance(value, int)]
    report.notes.append(f"client errors (unknown outcomes and AWS errors): {dict(workload.records.errors)}")
    report.details = {"seed": seed, "kills": dict(kills), "findings": summary, "database": database, "drained": drained}
    return report
