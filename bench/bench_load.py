"""A classroom under load: many students, each in a sandbox of their own, working at once.

An instructor (a staff user) creates a classroom through the REST API and imports the students
from a CSV, as a teacher does; each student signs in on the login page and keeps the diagram's
WebSocket open for the whole run (/ws/sandboxes/<id>/, with the session cookie, as the browser
does). Each student's sandbox gets a lab's resources through boto3 with the student's own keys: an
SNS topic fanning out to two SQS queues (queue policies allowing the topic) and a KMS key. Then
every student runs a lab-like mix, paced open-loop at a fixed rate: the calls are started on a
schedule, not after the previous one returns, so a slow server shows as latency, not as a lower
request rate hiding it.

    the mix, per student, in a loop: SendMessage, Publish (to both queues), ReceiveMessage,
    DeleteMessage x2, Encrypt, SendMessage, ReceiveMessage, DeleteMessage x2, Decrypt
    (messages in = messages deleted; a DeleteMessage with no receipt handle at hand receives instead)

Knobs (environment, since the shared --seconds means seconds per target for the other benches):
    BENCH_LOAD_SANDBOXES  students / sandboxes (default 50)
    BENCH_LOAD_RATE       requests per second per sandbox (default 5)
    BENCH_LOAD_SECONDS    measured seconds (default 60)
    BENCH_LOAD_SERVERS    Daphne processes on the same database, the students spread over them (default 1)

Figures: calls, errors (must be 0) and latency p50/p99/max per operation and overall, measured
from each call's scheduled start (client-side queueing included); the achieved rate against the
target; the api.call events each student's WebSocket received for the calls it made; peak RSS and
CPU of Daphne, the Celery worker, Redis, the PostgreSQL backends and this client; the load average.
The client (boto3 signing and parsing every call) runs on the same machine and takes its share of
the cores: its CPU is reported so that it is not mistaken for the server's.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import boto3
import botocore.session
import psutil
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from bench.harness import BenchError, Harness, Options, Ratio, Report, Server, bench, ratio
from bench.timing import _ms, _status_kib, cpu_seconds, peak_rss, percentile

INSTRUCTOR = "load-instructor"
IMPORT_CHUNK = 25  # students per import request (each new account hashes a password)
SETUP_THREADS = 4
DRAIN_SECONDS = 90.0  # how long the WebSockets may take to deliver the run's last events
QUIET_SECONDS = 20.0  # ... and how long they may stay silent meanwhile (events come in bursts)
MIX = (
    "SendMessage", "Publish", "ReceiveMessage", "DeleteMessage", "DeleteMessage", "Encrypt",
    "SendMessage", "ReceiveMessage", "DeleteMessage", "DeleteMessage", "Decrypt",
)  # fmt: skip
_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _env_number(name: str, default: float) -> float:
    value = float(os.environ.get(name, default))
    if value <= 0:
        raise BenchError(f"{name} must be more than 0")
    return value


@dataclass
class Student:
    """One student: their login, their sandbox's keys and resources, and what happened to them."""

    username: str
    password: str
    sandbox_id: int
    access_key_id: str
    secret_access_key: str
    url: str = ""  # the server (Daphne process) this student's browser and SDK talk to
    cookie: str = ""
    clients: dict[str, Any] = field(default_factory=dict)
    topic_arn: str = ""
    queue_urls: list[str] = field(default_factory=list)
    key_id: str = ""
    handles: collections.deque[tuple[str, str]] = field(default_factory=collections.deque)
    ciphertexts: collections.deque[bytes] = field(default_factory=collections.deque)
    receives: int = 0
    answered: dict[str, float] = field(default_factory=dict)  # request id -> when its answer came
    events: collections.Counter[str] = field(default_factory=collections.Counter)
    seen: dict[str, float] = field(default_factory=dict)  # request id -> when its api.call event came
    socket_problem: str = ""


@dataclass
class Outcome:
    operation: str
    latency: float  # seconds from the scheduled start to the answer
    lag: float  # seconds the call started after its scheduled time (the client falling behind)
    finished: float  # perf_counter when the answer came
    error: str = ""


# --- the classroom ----------------------------------------------------------------------------------


def _enroll(server: Server, harness: Harness, count: int) -> list[Student]:
    """A staff user, a classroom and `count` students imported from a CSV, through the REST API."""
    password = secrets.token_urlsafe(16)
    harness._manage(harness.ours_env(), "create_user", INSTRUCTOR, "--password", password, "--staff")
    api = requests.Session()
    answer = api.post(f"{server.url}/api/token/", json={"username": INSTRUCTOR, "password": password}, timeout=60)
    answer.raise_for_status()
    api.headers["Authorization"] = f"Token {answer.json()['token']}"
    classroom = api.post(f"{server.url}/api/classrooms/", json={"name": "Load"}, timeout=60)
    classroom.raise_for_status()
    url = f"{server.url}/api/classrooms/{classroom.json()['id']}/students/import/"
    students: list[Student] = []
    for first in range(0, count, IMPORT_CHUNK):
        rows = [
            (f"student{index:04d}", secrets.token_urlsafe(12))
            for index in range(first, min(count, first + IMPORT_CHUNK))
        ]
        text = "username,password\n" + "".join(f"{name},{secret}\n" for name, secret in rows)
        answer = api.post(url, json={"csv": text}, timeout=600)
        if answer.status_code != 201:
            raise BenchError(f"the student import answered {answer.status_code}: {answer.text[:500]}")
        students += [
            Student(row["username"], row["password"], row["sandbox_id"], row["access_key_id"], row["secret_access_key"])
            for row in answer.json()["imported"]
        ]
    return students


def _sign_in(student: Student) -> None:
    """The login page's form, as a browser submits it; keeps the session cookie the WebSocket needs."""
    session = requests.Session()
    page = session.get(f"{student.url}/login/", timeout=60)
    found = _CSRF_FIELD.search(page.text)
    if found is None:
        raise BenchError("the login page has no CSRF token")
    form = {"username": student.username, "password": student.password, "csrfmiddlewaretoken": found.group(1)}
    session.post(f"{student.url}/login/", data=form, headers={"Referer": f"{student.url}/login/"}, timeout=60)
    student.cookie = session.cookies.get("sessionid") or ""
    if not student.cookie:
        raise BenchError(f"{student.username} could not sign in")


def _queue_policy(queue_arn: str, topic_arn: str) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _make_clients(students: list[Student], pool: int) -> None:
    """boto3 clients with each student's keys, from one botocore session (clients built from one
    session share its loaded service models; one session per client would cost megabytes each)."""
    session = boto3.session.Session(botocore_session=botocore.session.get_session())
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=120, max_pool_connections=pool)
    for student in students:
        for service in ("sqs", "sns", "kms"):
            student.clients[service] = session.client(
                service,
                endpoint_url=student.url,
                region_name="us-east-1",
                aws_access_key_id=student.access_key_id,
                aws_secret_access_key=student.secret_access_key,
                config=config,
            )


def _build_lab(student: Student) -> None:
    """The lab's resources: a topic fanning out to two queues, and a KMS key."""
    sqs, sns, kms = student.clients["sqs"], student.clients["sns"], student.clients["kms"]
    student.topic_arn = sns.create_topic(Name="orders")["TopicArn"]
    for name in ("orders-billing", "orders-shipping"):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": _queue_policy(arn, student.topic_arn)})
        sns.subscribe(TopicArn=student.topic_arn, Protocol="sqs", Endpoint=arn)
        student.queue_urls.append(url)
    student.key_id = kms.create_key(Description="lab key")["KeyMetadata"]["KeyId"]


# --- the WebSockets -----------------------------------------------------------------------------------


class Sockets:
    """Every student's diagram WebSocket, open in one asyncio loop on a thread of its own."""

    def __init__(self, students: list[Student]) -> None:
        self.students = students
        self._ready = 0  # sockets that said hello or failed; counted on the loop's thread
        self._all_ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._main(),), daemon=True)

    def open(self) -> None:
        self._thread.start()
        if not self._all_ready.wait(timeout=300):
            raise BenchError("the WebSockets did not all open within 300 s")

    def close(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        await asyncio.gather(*(self._follow(student) for student in self.students))

    async def _follow(self, student: Student) -> None:
        from websockets.asyncio.client import connect

        address = urlparse(student.url)._replace(scheme="ws", path=f"/ws/sandboxes/{student.sandbox_id}/").geturl()
        headers = {"Cookie": f"sessionid={student.cookie}", "Origin": student.url}
        assert self._stop is not None
        counted = False
        try:
            async with connect(address, additional_headers=headers, max_size=None, open_timeout=120) as socket:
                hello = json.loads(await socket.recv())
                if hello.get("type") != "hello":
                    student.socket_problem = f"first message was not hello: {hello}"
                counted = self._count_ready()
                stop = asyncio.ensure_future(self._stop.wait())
                while not stop.done():
                    receive = asyncio.ensure_future(socket.recv())
                    await asyncio.wait({receive, stop}, return_when=asyncio.FIRST_COMPLETED)
                    if not receive.done():
                        receive.cancel()
                        break
                    event = json.loads(receive.result())
                    student.events[event.get("type", "?")] += 1
                    if event.get("type") == "api.call":
                        student.seen[event.get("request_id", "")] = time.perf_counter()
        except Exception as exc:  # a socket that fails or closes early is a figure, not a crash
            student.socket_problem = student.socket_problem or f"{type(exc).__name__}: {exc}"[:300]
            if not counted:
                self._count_ready()

    def _count_ready(self) -> bool:
        self._ready += 1
        if self._ready == len(self.students):
            self._all_ready.set()
        return True


# --- the mix ---------------------------------------------------------------------------------------------


def _call(student: Student, operation: str) -> tuple[str, dict[str, Any]]:
    """One operation of the mix against the student's sandbox; (the operation done, its answer)."""
    sqs, sns, kms = student.clients["sqs"], student.clients["sns"], student.clients["kms"]
    if operation == "DeleteMessage" and not student.handles:
        operation = "ReceiveMessage"
    if operation == "Decrypt" and not student.ciphertexts:
        operation = "Encrypt"
    body = secrets.token_hex(32)
    if operation == "SendMessage":
        return operation, sqs.send_message(QueueUrl=student.queue_urls[0], MessageBody=body)
    if operation == "Publish":
        return operation, sns.publish(TopicArn=student.topic_arn, Message=body)
    if operation == "ReceiveMessage":
        student.receives += 1
        url = student.queue_urls[student.receives % 2]
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300)
        student.handles.extend((url, message["ReceiptHandle"]) for message in answer.get("Messages", []))
        return operation, answer
    if operation == "DeleteMessage":
        url, handle = student.handles.popleft()
        return operation, sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    if operation == "Encrypt":
        answer = kms.encrypt(KeyId=student.key_id, Plaintext=body.encode())
        student.ciphertexts.append(answer["CiphertextBlob"])
        return operation, answer
    return operation, kms.decrypt(CiphertextBlob=student.ciphertexts.popleft())


def _timed(student: Student, operation: str, due: float) -> Outcome:
    started = time.perf_counter()
    try:
        done, answer = _call(student, operation)
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return _outcome(operation, due, started, f"{operation}: HTTP {status} {exc}")
    except Exception as exc:
        return _outcome(operation, due, started, f"{operation}: {type(exc).__name__}: {exc}")
    outcome = _outcome(done, due, started)
    student.answered[answer["ResponseMetadata"]["RequestId"]] = outcome.finished
    return outcome


def _outcome(operation: str, due: float, started: float, error: str = "") -> Outcome:
    finished = time.perf_counter()
    return Outcome(operation, finished - due, started - due, finished, error[:300])


def _run_mix(
    students: list[Student], rate: float, seconds: float, pool: ThreadPoolExecutor
) -> tuple[float, list[Outcome]]:
    """Start each student's next call at its scheduled time, whatever the earlier calls are doing.

    Students are spread evenly over the first 1/rate seconds, so the calls arrive smoothly.
    Returns the scheduled start and every call's outcome."""
    start = time.perf_counter() + 0.5
    end = start + seconds
    interval = 1 / rate
    schedule = [(start + index * interval / len(students), index, 0) for index in range(len(students))]
    heapq.heapify(schedule)
    futures = []
    while schedule:
        due, index, step = heapq.heappop(schedule)
        if due >= end:
            continue
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        futures.append(pool.submit(_timed, students[index], MIX[step % len(MIX)], due))
        heapq.heappush(schedule, (due + interval, index, step + 1))
    return start, [future.result() for future in futures]


# --- processes ------------------------------------------------------------------------------------------


class Watch:
    """Samples the processes serving the run every second: CPU, peak memory, the load average."""

    def __init__(self, pids: dict[str, int], postgres: Callable[[], list[int]] | None) -> None:
        self.pids = pids
        self.postgres = postgres
        self.load_max = 0.0
        self.postgres_private_peak = 0  # bytes: the sum of the backends' private memory (RssAnon)
        self.postgres_backends = 0
        self._postgres_cpu: dict[int, tuple[float, float]] = {}  # pid -> (first seen, last seen)
        self._cpu_before = {name: self._cpu(name) for name in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_until_stopped, daemon=True)
        self.started = time.perf_counter()
        # Each server process's resident memory at every whole minute of the run (VmRSS, MiB): a
        # long run shows whether it stays flat.
        self.rss_by_minute: dict[str, list[float]] = {name: [] for name in pids if name != "client"}
        psutil.cpu_percent()
        self._sample_postgres(first=True)
        self._thread.start()

    def _cpu(self, name: str) -> float:
        # The client is the parent of the servers the harness started: its children are not its CPU.
        return cpu_seconds(self.pids[name], children=name != "client") or 0.0

    def _sample_until_stopped(self) -> None:
        while not self._stop.wait(1.0):
            self.load_max = max(self.load_max, os.getloadavg()[0])
            self._sample_postgres(first=False)
            minutes = int((time.perf_counter() - self.started) // 60)
            for name, samples in self.rss_by_minute.items():
                if len(samples) < minutes:
                    samples.append((_status_kib(self.pids[name], "VmRSS") or 0) / 1024)

    def _sample_postgres(self, *, first: bool) -> None:
        if self.postgres is None:
            return
        private = 0
        backends = self.postgres()
        for pid in backends:
            cpu = cpu_seconds(pid, children=False)
            if cpu is None:
                continue  # it ended meanwhile
            private += (_status_kib(pid, "RssAnon") or 0) * 1024
            before = self._postgres_cpu.get(pid, (cpu if first else 0.0, cpu))[0]
            self._postgres_cpu[pid] = (before, cpu)
        self.postgres_private_peak = max(self.postgres_private_peak, private)
        self.postgres_backends = max(self.postgres_backends, len(backends))

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join(timeout=10)
        self._sample_postgres(first=False)
        elapsed = time.perf_counter() - self.started
        cpu = {name: (self._cpu(name) - self._cpu_before[name]) / elapsed * 100 for name in self.pids}
        if self.postgres is not None:
            cpu["postgres backends"] = sum(last - first for first, last in self._postgres_cpu.values()) / elapsed * 100
        return {
            "cpu_percent_of_one_core": {name: round(value, 1) for name, value in cpu.items()},
            "machine_cpu_percent": psutil.cpu_percent(),
            "load_average_max_1min": round(max(self.load_max, os.getloadavg()[0]), 2),
            "postgres_backends_max": self.postgres_backends,
            "rss_mib_by_minute": {name: [round(value, 1) for value in got] for name, got in self.rss_by_minute.items()},
        }


def _redis_pid(url: str) -> int | None:
    import redis

    try:
        info: dict[str, Any] = redis.Redis.from_url(url).info("server")  # type: ignore[assignment]
        return int(info["process_id"])
    except (redis.RedisError, KeyError, ValueError):
        return None


class PostgresBackends:
    """The PostgreSQL server processes serving our database now (one per connection)."""

    def __init__(self, database_url: str) -> None:
        import psycopg

        self.name = urlparse(database_url).path.lstrip("/")
        self.connection = psycopg.connect(database_url, autocommit=True)

    def __call__(self) -> list[int]:
        query = "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
        return [row[0] for row in self.connection.execute(query, [self.name]).fetchall()]

    def close(self) -> None:
        self.connection.close()


# --- the bench ------------------------------------------------------------------------------------------------


@bench("load", "a classroom: N students' sandboxes, each with a WebSocket open, running a lab mix at R req/s")
def run(harness: Harness, options: Options) -> Report:
    count = int(_env_number("BENCH_LOAD_SANDBOXES", 50))
    rate = _env_number("BENCH_LOAD_RATE", 5)
    seconds = _env_number("BENCH_LOAD_SECONDS", 60)
    server_count = int(_env_number("BENCH_LOAD_SERVERS", 1))
    servers = [harness.ours(celery=True)]
    servers += [harness.start_ours(f"ours-{number}") for number in range(2, server_count + 1)]
    celery = harness.celery
    assert celery is not None
    load_before = os.getloadavg()
    setup_started = time.perf_counter()
    students, sockets = _open_classroom(harness, servers, count)
    setup_seconds = time.perf_counter() - setup_started
    threads = min(256, max(32, count * 2))

    pids = {"daphne" if len(servers) == 1 else f"daphne {n}": s.pid for n, s in enumerate(servers, 1)}
    pids |= {"celery": celery.pid, "client": os.getpid()}
    redis_pid = _redis_pid(harness.redis_url())
    if redis_pid is not None:
        pids["redis"] = redis_pid
    postgres = PostgresBackends(harness.database_url()) if options.database == "postgres" else None
    watch = Watch(pids, postgres)
    with ThreadPoolExecutor(threads) as pool:
        started, outcomes = _run_mix(students, rate, seconds, pool)
    elapsed = max(outcome.finished for outcome in outcomes) - started
    usage = watch.stop()
    if postgres is not None:
        postgres.close()
    _wait_for_events(students, DRAIN_SECONDS)
    sockets.close()

    report = Report(
        bench="load",
        title=(
            f"load: {count} sandboxes x {rate:g} req/s for {seconds:g} s, each with its WebSocket open, "
            f"{server_count} Daphne process(es) "
            f"(our database: {options.database}, auth: {options.auth})"
        ),
        columns=["calls", "errors", "p50 ms", "p99 ms", "max ms"],
    )
    by_operation: dict[str, list[Outcome]] = collections.defaultdict(list)
    for outcome in outcomes:
        by_operation[outcome.operation].append(outcome)
    for name, group in [*sorted(by_operation.items()), ("all", outcomes)]:
        report.rows[name] = _row(group)
    errors = [outcome.error for outcome in outcomes if outcome.error]
    achieved = len(outcomes) / elapsed
    made = sum(len(student.answered) for student in students)
    event_lags = sorted(
        max(0.0, student.seen[request] - answered)
        for student in students
        for request, answered in student.answered.items()
        if request in student.seen
    )
    seen = len(event_lags)
    lags = sorted(outcome.lag for outcome in outcomes)
    memory = {name: (peak_rss(pid) or 0) / 2**20 for name, pid in pids.items() if name != "client"}
    memory["client"] = (peak_rss(os.getpid(), children=False) or 0) / 2**20
    if postgres is not None:
        memory["postgres backends (sum of private)"] = watch.postgres_private_peak / 2**20
    problems = [student.socket_problem for student in students if student.socket_problem]
    report.ratios = [
        Ratio("achieved/target rate", ratio(achieved, count * rate), 0.95),
        Ratio("api.call events/calls", ratio(seen, made), 1.0),
    ]
    report.notes += [
        f"error rate {len(errors) / max(1, len(outcomes)):.4%} ({len(errors)} of {len(outcomes)})"
        + (f"; first: {errors[0]}" if errors else ""),
        f"achieved {achieved:.1f} req/s of {count * rate:g}; client start lag p99 {_ms(percentile(lags, 99))} ms",
        f"WebSockets: {count - len(problems)} of {count} open throughout; {seen} of {made} calls' api.call events "
        f"received, {_ms(percentile(event_lags, 50))} / {_ms(percentile(event_lags, 99))} ms p50 / p99 after the "
        f"call's answer; events per socket {_spread([sum(s.events.values()) for s in students])}"
        + (f"; first problem: {problems[0]}" if problems else ""),
        "peak RSS MiB: " + ", ".join(f"{name} {value:.0f}" for name, value in memory.items()),
        "CPU % of one core during the run: "
        + ", ".join(f"{name} {value:.0f}" for name, value in usage["cpu_percent_of_one_core"].items())
        + f"; whole machine {usage['machine_cpu_percent']:.0f}% of {os.cpu_count()} cores",
        f"load average: {load_before[0]:.2f} before, {usage['load_average_max_1min']:.2f} at most during the run "
        "(the machine is shared: other runs count in it)",
        f"setup (classroom, {count} sign-ins, WebSockets, resources): {setup_seconds:.0f} s",
    ]
    by_minute = usage["rss_mib_by_minute"]
    if any(len(samples) > 1 for samples in by_minute.values()):
        report.notes.append(
            "RSS MiB at each minute: "
            + "; ".join(f"{name} " + " ".join(f"{mib:.0f}" for mib in got) for name, got in by_minute.items())
        )
    report.details = {
        "sandboxes": count,
        "rate_per_sandbox": rate,
        "seconds": seconds,
        "achieved_rate": round(achieved, 2),
        "errors": errors[:20],
        "error_count": len(errors),
        "peak_rss_mib": {name: round(value, 1) for name, value in memory.items()},
        "usage": usage,
        "load_average_before": load_before,
        "api_call_events": {
            "calls": made,
            "seen": seen,
            "lag_after_answer_ms": {q: _ms(percentile(event_lags, q)) for q in (50, 90, 99, 100)},
        },
        "events_by_type": dict(sum((student.events for student in students), collections.Counter())),
        "socket_problems": problems[:20],
        "setup_seconds": round(setup_seconds, 1),
    }
    return report


def _open_classroom(harness: Harness, servers: list[Server], count: int) -> tuple[list[Student], Sockets]:
    """The students enrolled and signed in, their WebSockets open and their labs built."""
    students = _enroll(servers[0], harness, count)
    for index, student in enumerate(students):
        student.url = servers[index % len(servers)].url  # as a proxy would spread the class
    with ThreadPoolExecutor(SETUP_THREADS) as setup:
        list(setup.map(_sign_in, students))
    sockets = Sockets(students)
    sockets.open()
    _make_clients(students, pool=10)
    with ThreadPoolExecutor(SETUP_THREADS) as setup:
        list(setup.map(_build_lab, students))
    return students, sockets


def _wait_for_events(students: list[Student], seconds: float) -> None:
    """Until every call's api.call event has arrived, or the events stop coming for two seconds."""
    deadline = time.monotonic() + seconds
    last, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        missing = sum(1 for student in students for request in student.answered if request not in student.seen)
        if missing == 0:
            return
        if missing != last:
            last, quiet_since = missing, time.monotonic()
        elif time.monotonic() - quiet_since > QUIET_SECONDS:
            return
        time.sleep(0.2)


def _row(outcomes: list[Outcome]) -> dict[str, float | None]:
    latencies = sorted(outcome.latency for outcome in outcomes if not outcome.error)
    return {
        "calls": len(outcomes),
        "errors": sum(1 for outcome in outcomes if outcome.error),
        "p50 ms": _ms(percentile(latencies, 50)),
        "p99 ms": _ms(percentile(latencies, 99)),
        "max ms": _ms(latencies[-1] if latencies else None),
    }


def _spread(values: list[int]) -> str:
    ordered = sorted(values)
    return f"min {ordered[0]}, median {ordered[len(ordered) // 2]}, max {ordered[-1]}" if ordered else "none"
