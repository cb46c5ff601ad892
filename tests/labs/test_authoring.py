"""A lab author's side, over HTTP: the example bundle of docs/classroom-and-api.md uploads as printed,
undefined {{variables}} are refused at upload, the dry run reports a bundle's setup, checks and
solve from a scratch sandbox it deletes, and every shipped lab's printed instructions name the
student's own values (and do each step when pasted into one terminal
running the real aws CLI)."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api, User, unique
from tests.conftest import VENV_BIN, Server
from tests.labs.test_sessions import bundle

pytestmark = pytest.mark.live

DOC = Path(__file__).resolve().parents[2] / "docs" / "classroom-and-api.md"
# What the bundles printed before the values were filled in, and an unfilled {{variable}}.
PLACEHOLDERS = re.compile(
    r"\{\{|\b(ENDPOINT|KEYID|TOPIC_ARN|QUEUE_ARN|SUBSCRIPTION_ARN|INSERTMESSAGE|HANDLE)\b|--queue-url URL\b"
)


@pytest.fixture
def author(daphne: Server, make_user: Callable[..., User], as_user: Callable[..., Api]) -> Api:
    return as_user(make_user("author", staff=True))


def documented_example() -> dict[str, Any]:
    """The first JSON block under "### Writing a bundle", exactly as the page prints it."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### Writing a bundle") :]
    block = re.search(r"```json\n(.*?)\n```", section, flags=re.DOTALL)
    assert block is not None
    document: dict[str, Any] = json.loads(block.group(1))
    return document


def test_the_documented_example_uploads_as_printed_and_runs(author: Api, daphne: Server) -> None:
    example = documented_example()
    uploaded = author.ok("PUT", f"/labs/{example['id']}/", example)
    try:
        assert (uploaded["id"], uploaded["title"], uploaded["max_score"]) == ("inbox", "Inbox", 3)
        box = author.ok("POST", "/sandboxes/", {"name": unique("docs")}, status=201)
        session = author.ok("POST", f"/sandboxes/{box['id']}/lab-sessions/", {"lab": "inbox"}, status=201)
        [step] = session["steps"]
        assert step["instructions"] == (
            "Raise the visibility timeout of `inbox` to 45 seconds:\n\n"
            f"    aws --endpoint-url {daphne.url} sqs set-queue-attributes --queue-url "
            f"{daphne.url}/{box['account_id']}/inbox --attributes VisibilityTimeout=45"
        )
        assert step["hints_total"] == 2
        assert author.ok("POST", f"/lab-sessions/{session['id']}/check/")["score"] == 0
        author.ok("POST", f"/lab-sessions/{session['id']}/solve/")
        assert author.ok("POST", f"/lab-sessions/{session['id']}/check/")["completed"] is True
        run = author.ok("POST", "/lab-dry-runs/", {"lab": "inbox"})
        assert (run["ok"], run["warnings"], run["score"], run["max_score"]) == (True, [], 3, 3)
    finally:
        author.ok("DELETE", f"/labs/{example['id']}/", status=204)


@pytest.mark.parametrize(
    ("where", "change", "message"),
    [
        ("checks", lambda doc: doc["steps"][1]["checks"][0]["select"].update(name="{{queue_nam}}"), "checks[0]"),
        ("instructions", lambda doc: doc["steps"][0].update(instructions="Use {{qeue}}."), "instructions"),
        ("hints", lambda doc: doc["steps"][1].update(hints=["Try {{nope}}"]), "hints[0]"),
        (
            "setup before save",
            lambda doc: doc["steps"][0]["setup"].reverse(),
            "step given setup[0]: {{url}} is not defined",
        ),
        (
            "another step's solve",
            lambda doc: (
                doc["steps"][0].update(solve=[{"call": "sqs:ListQueues", "save": {"first": "QueueUrls[0]"}}]),
                doc["steps"][1]["solve"].insert(
                    0, {"call": "sqs:GetQueueAttributes", "params": {"QueueUrl": "{{first}}"}}
                ),
            ),
            "step tune solve[0]: {{first}} is not defined",
        ),
    ],
)
def test_undefined_variables_are_refused_at_upload(
    author: Api, where: str, change: Callable[[dict[str, Any]], Any], message: str
) -> None:
    document = bundle(unique("vars"))
    change(document)
    refused = author.put(f"/labs/{document['id']}/", document)
    assert refused.status_code == 400, where
    body = refused.json()
    assert body["code"] == "InvalidLabBundle"
    assert message in body["message"]
    assert "is not defined" in body["message"]
    assert "account_id, endpoint" in body["message"], "the error lists what is defined there"
    assert author.get(f"/labs/{document['id']}/").status_code == 404


def _dry_run_sandboxes(django_db_blocker: Any, lab_id: str) -> int:
    from playground.sandboxes.models import Sandbox

    with django_db_blocker.unblock():
        return Sandbox.objects.filter(name=f"dry run of {lab_id}").count()


def test_dry_run_reports_setup_checks_and_solve_from_a_scratch_sandbox(
    author: Api, as_user: Callable[..., Api], make_user: Callable[..., User], django_db_blocker: Any
) -> None:
    good = bundle(unique("dry"))
    run = author.ok("POST", "/lab-dry-runs/", {"bundle": good})
    assert (run["ok"], run["setup"], run["warnings"]) == (True, {"ok": True, "error": ""}, [])
    assert [(s["id"], s["passed_before_solve"], s["solve"]["ran"], s["passed"]) for s in run["steps"]] == [
        ("given", True, False, True),
        ("tune", False, True, True),
    ]
    assert (run["score"], run["max_score"]) == (4, 4)
    assert author.get(f"/labs/{good['id']}/").status_code == 404, "a dry run stores nothing"
    assert _dry_run_sandboxes(django_db_blocker, good["id"]) == 0, "the scratch sandbox is gone"

    wrong = bundle(unique("wrong"))
    wrong["steps"][1]["checks"][0]["where"] = {"attributes": {"VisibilityTimeout": 60}}
    run = author.ok("POST", "/lab-dry-runs/", {"bundle": wrong})
    assert run["ok"] is False
    tune = run["steps"][1]
    assert (tune["solve"]["ok"], tune["passed"], tune["score"]) == (True, False, 1)
    assert tune["failed_checks"] == [
        {"id": "check-1", "kind": "resource", "message": "VisibilityTimeout is not 45 yet."}
    ]

    failing_setup = bundle(unique("setup"))
    failing_setup["steps"][0]["setup"][0]["params"]["QueueName"] = "no spaces allowed"
    run = author.ok("POST", "/lab-dry-runs/", {"bundle": failing_setup})
    assert (run["ok"], run["setup"]["ok"], run["steps"]) == (False, False, [])
    assert "CreateQueue" in run["setup"]["error"]
    assert _dry_run_sandboxes(django_db_blocker, failing_setup["id"]) == 0

    free_points = bundle(unique("free"))
    free_points["steps"][0]["solve"] = [{"call": "sqs:ListQueues"}]
    run = author.ok("POST", "/lab-dry-runs/", {"bundle": free_points})
    assert run["ok"] is True
    assert run["warnings"] == ["step given passes before its solve: a student gets its points without doing it."]

    invalid = author.post("/lab-dry-runs/", {"bundle": {**good, "steps": []}})
    assert (invalid.status_code, invalid.json()["code"]) == (400, "InvalidLabBundle")
    assert author.post("/lab-dry-runs/", {}).status_code == 400
    assert author.post("/lab-dry-runs/", {"lab": "no-such-lab"}).status_code == 404
    assert as_user(make_user("pupil")).post("/lab-dry-runs/", {"bundle": good}).status_code == 403


@pytest.mark.parametrize("lab_id", ["sqs-decouple", "kms-envelope", "sns-fanout"])
def test_every_shipped_lab_dry_runs_clean_and_names_the_students_values(
    author: Api, daphne: Server, lab_id: str
) -> None:
    run = author.ok("POST", "/lab-dry-runs/", {"lab": lab_id})
    assert run["ok"], run
    assert run["warnings"] == []
    assert run["score"] == run["max_score"]
    box = author.ok("POST", "/sandboxes/", {"name": unique("reader")}, status=201)
    session = author.ok("POST", f"/sandboxes/{box['id']}/lab-sessions/", {"lab": lab_id}, status=201)
    for step in session["steps"]:
        assert not PLACEHOLDERS.search(step["instructions"]), (step["id"], step["instructions"])
        for line in step["instructions"].splitlines():
            if re.match(r"^\s*(\w+=\$\()?aws ", line):
                assert f"--endpoint-url {daphne.url} " in line, (step["id"], line)


class Terminal:
    """One bash, as the student's terminal: shell variables set by one step's commands are there
    for the next step's. A block failed when any command in it failed (a trap on ERR)."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd,
        )  # fmt: skip
        self.run("set -o pipefail; failed=0; trap 'failed=1' ERR")

    def run(self, block: str) -> tuple[bool, str]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        marker = f"__done_{secrets.token_hex(4)}__"
        self.process.stdin.write(f"{block}\necho {marker} $failed; failed=0\n")
        self.process.stdin.flush()
        lines: list[str] = []
        for line in self.process.stdout:
            if line.startswith(marker):
                return line.split()[1] == "0", "".join(lines)
            lines.append(line)
        raise AssertionError(f"the shell ended: {''.join(lines)}")

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.mark.parametrize("lab_id", ["sqs-decouple", "sns-fanout", "kms-envelope"])
def test_the_printed_commands_of_a_lab_do_it_in_one_terminal(
    author: Api, daphne: Server, tmp_path: Path, lab_id: str
) -> None:
    """The student copies each step's code blocks into one terminal, and each step then passes."""
    lab = author.ok("GET", f"/labs/{lab_id}/")
    assert lab["available"] is True
    assert not re.search(r"draft|wait", lab["summary"], flags=re.IGNORECASE), lab["summary"]
    box = author.ok("POST", "/sandboxes/", {"name": unique("terminal")}, status=201)
    session = author.ok("POST", f"/sandboxes/{box['id']}/lab-sessions/", {"lab": lab_id}, status=201)
    env = {
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": box["credentials"]["access_key_id"],
        "AWS_SECRET_ACCESS_KEY": box["credentials"]["secret_access_key"],
        "AWS_DEFAULT_REGION": box["region"],
        "AWS_PAGER": "",
    }
    terminal = Terminal(env, tmp_path)
    try:
        for step in session["steps"]:
            blocks = re.findall(r"```\n(.*?)```", step["instructions"], flags=re.DOTALL)
            assert blocks, f"{lab_id}/{step['id']} prints no command"
            for block in blocks:
                ok, output = terminal.run(block)
                assert ok, (step["id"], block, output)
            report = author.ok("POST", f"/lab-sessions/{session['id']}/check/", {"step": step["id"]})
            assert report["passed"], (step["id"], report["messages"])
    finally:
        terminal.close()
    final = author.ok("POST", f"/lab-sessions/{session['id']}/check/")
    assert (final["completed"], final["score"]) == (True, final["max_score"])
    assert author.ok("GET", f"/lab-sessions/{session['id']}/")["solved_by_solve"] is False
