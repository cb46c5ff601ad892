"""Honest grades over the REST API: who may use solve (staff always; students when the lab's bundle
and, in a classroom, the classroom's lab settings allow it), the session's record of every solve,
and what the instructor sees of it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import Api, Classroom, User, unique
from tests.conftest import Server
from tests.labs.test_sessions import bundle

pytestmark = pytest.mark.live


@pytest.fixture
def author(daphne: Server, make_user: Callable[..., User], as_user: Callable[..., Api]) -> Api:
    return as_user(make_user("author", staff=True))


def upload(author: Api, **fields: Any) -> str:
    lab_id = unique("inbox")
    author.ok("PUT", f"/labs/{lab_id}/", {**bundle(lab_id), **fields})
    return lab_id


def test_a_student_outside_a_classroom_may_solve_unless_the_bundle_says_no(
    author: Api, as_user: Callable[..., Api], make_user: Callable[..., User]
) -> None:
    open_lab, closed_lab = upload(author), upload(author, student_solve=False)
    assert author.ok("GET", f"/labs/{closed_lab}/")["student_solve"] is False
    user = make_user("self-taught")
    student = as_user(user)
    box = student.ok("POST", "/sandboxes/", {"name": unique("mine")}, status=201)
    session = student.ok("POST", f"/sandboxes/{box['id']}/lab-sessions/", {"lab": open_lab}, status=201)
    assert (session["solved_by_solve"], session["solves"]) == (False, [])
    assert session["may_solve"] is True
    student.ok("POST", f"/lab-sessions/{session['id']}/solve/", {"step": "tune"})
    assert student.ok("POST", f"/lab-sessions/{session['id']}/check/")["completed"] is True
    after = student.ok("GET", f"/lab-sessions/{session['id']}/")
    assert after["solved_by_solve"] is True
    assert after["solved_steps"] == ["tune"]
    [record] = after["solves"]
    assert (record["step"], record["by"]) == ("tune", user.username)
    assert record["at"]
    assert record["clock"]

    closed = student.ok("POST", f"/sandboxes/{box['id']}/lab-sessions/", {"lab": closed_lab}, status=201)
    assert closed["may_solve"] is False
    refused = student.post(f"/lab-sessions/{closed['id']}/solve/")
    assert refused.status_code == 403
    assert refused.json()["code"] == "SolveNotAllowed"
    assert "does not let students use solve" in refused.json()["message"]
    assert student.ok("GET", f"/lab-sessions/{closed['id']}/")["solves"] == []
    again = student.ok("POST", f"/sandboxes/{box['id']}/lab-sessions/", {"lab": open_lab}, status=201)
    assert again["id"] != session["id"]
    assert again["solved_steps"] == ["tune"], "starting the lab again does not forget the solve"
    assert (again["score"], again["completed"]) == (4, True), "nor the points and the completion"

    # The author (staff) solves in their own sandbox whatever the bundle says.
    own = author.ok("POST", "/sandboxes/", {"name": unique("authoring")}, status=201)
    mine = author.ok("POST", f"/sandboxes/{own['id']}/lab-sessions/", {"lab": closed_lab}, status=201)
    assert author.ok("POST", f"/lab-sessions/{mine['id']}/solve/")["solved"] == ["given", "tune"]
    assert author.ok("GET", f"/lab-sessions/{mine['id']}/")["solved_steps"] == ["given", "tune"]


def test_in_a_classroom_solve_is_refused_until_the_instructor_allows_it(
    daphne: Server,
    author: Api,
    make_classroom: Callable[..., Classroom],
    enroll: Callable[..., tuple[User, Api, dict[str, Any]]],
) -> None:
    lab_id = upload(author)
    classroom = make_classroom(daphne)
    user, student, sandbox = enroll(daphne, classroom)
    session = student.ok("POST", f"/sandboxes/{sandbox['id']}/lab-sessions/", {"lab": lab_id}, status=201)
    assert session["may_solve"] is False
    refused = student.post(f"/lab-sessions/{session['id']}/solve/", {"step": "tune"})
    assert (refused.status_code, refused.json()["code"]) == (403, "SolveNotAllowed")
    assert "classroom does not let students use solve" in refused.json()["message"]
    settings = f"/classrooms/{classroom.id}/lab-settings/"
    assert classroom.api.ok("GET", settings) == {"student_solve": False}
    assert student.get(settings).status_code == 404  # a student does not manage the class

    # The instructor looks read-only: solve in a student's sandbox is not theirs to do either.
    assert classroom.api.post(f"/lab-sessions/{session['id']}/solve/").status_code == 403

    assert classroom.api.ok("PATCH", settings, {"student_solve": True}) == {"student_solve": True}
    assert student.ok("GET", f"/lab-sessions/{session['id']}/")["may_solve"] is True
    assert classroom.api.ok("GET", f"/lab-sessions/{session['id']}/")["may_solve"] is False  # read-only
    student.ok("POST", f"/lab-sessions/{session['id']}/solve/", {"step": "tune"})
    student.ok("POST", f"/lab-sessions/{session['id']}/check/")

    watched = classroom.api.ok("GET", f"/lab-sessions/{session['id']}/")
    assert (watched["solved_by_solve"], watched["solved_steps"]) == (True, ["tune"])
    assert watched["solves"][0]["by"] == user.username
    [row] = classroom.api.ok("GET", f"/classrooms/{classroom.id}/students/")
    [progress] = row["labs"]
    assert (progress["lab"], progress["solved_by_solve"], progress["solved_steps"]) == (lab_id, True, ["tune"])

    # A reset forgets the progress, not the record of the solve.
    student.ok("POST", f"/lab-sessions/{session['id']}/reset/")
    assert student.ok("GET", f"/lab-sessions/{session['id']}/")["solved_steps"] == ["tune"]

    assert classroom.api.ok("PATCH", settings, {"student_solve": False}) == {"student_solve": False}
    assert student.post(f"/lab-sessions/{session['id']}/solve/").status_code == 403


def _grades(api: Api, classroom_id: int) -> list[dict[str, str]]:
    response = api.get(f"/classrooms/{classroom_id}/grades.csv")
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="grades-')
    return list(csv.DictReader(io.StringIO(response.text)))


def test_hints_are_revealed_one_at_a_time_and_cost_what_the_bundle_says(
    author: Api, as_user: Callable[..., Api], make_user: Callable[..., User]
) -> None:
    document = bundle(unique("hinted"))
    document["hint_cost"] = 1
    document["steps"][1]["hints"] = [{"text": "Raise it on `{{inbox}}`.", "cost": 2}, "Then receive."]
    author.ok("PUT", f"/labs/{document['id']}/", document)
    assert author.ok("GET", f"/labs/{document['id']}/")["steps"][1]["hints"][0] == "Raise it on `{{inbox}}`."
    student = as_user(make_user("hinted"))
    assert student.ok("GET", f"/labs/{document['id']}/")["steps"][1]["hints"] == [], "no peeking at the lab"
    box = student.ok("POST", "/sandboxes/", {"name": unique("mine")}, status=201)
    session = student.ok("POST", f"/sandboxes/{box['id']}/lab-sessions/", {"lab": document["id"]}, status=201)
    tune = session["steps"][1]
    assert (tune["hints"], tune["hints_total"], tune["next_hint_cost"]) == ([], 2, 2)

    first = student.ok("POST", f"/lab-sessions/{session['id']}/hint/", {"step": "tune"})
    assert (first["number"], first["text"], first["cost"], first["remaining"]) == (1, "Raise it on `inbox`.", 2, 1)
    assert first["session"]["steps"][1]["hints"] == ["Raise it on `inbox`."]
    assert first["session"]["steps"][1]["next_hint_cost"] == 1
    second = student.ok("POST", f"/lab-sessions/{session['id']}/hint/", {"step": "tune"})
    assert (second["number"], second["cost"], second["remaining"]) == (2, 1, 0)
    refused = student.post(f"/lab-sessions/{session['id']}/hint/", {"step": "tune"})
    assert (refused.status_code, refused.json()["code"]) == (409, "NoMoreHints")
    assert student.post(f"/lab-sessions/{session['id']}/hint/", {"step": "nope"}).status_code == 404

    student.ok("POST", f"/lab-sessions/{session['id']}/solve/")
    report = student.ok("POST", f"/lab-sessions/{session['id']}/check/")
    assert (report["completed"], report["score"], report["max_score"]) == (True, 1 + 0, 4)  # tune: 3 - 3 = 0
    assert [step["score"] for step in report["steps"]] == [1, 0]
    detail = student.ok("GET", f"/lab-sessions/{session['id']}/")
    assert (detail["hints_used"], detail["steps"][1]["hint_penalty"]) == (2, 3)


def test_grades_export_names_points_times_solves_and_hints(
    daphne: Server,
    author: Api,
    make_classroom: Callable[..., Classroom],
    enroll: Callable[..., tuple[User, Api, dict[str, Any]]],
) -> None:
    lab_id = upload(author, hint_cost=1)
    classroom = make_classroom(daphne)
    classroom.api.ok("PATCH", f"/classrooms/{classroom.id}/lab-settings/", {"student_solve": True})
    solver, solver_api, solver_box = enroll(daphne, classroom)
    worker, worker_api, worker_box = enroll(daphne, classroom)
    idle, _, idle_box = enroll(daphne, classroom)

    # The solver reveals a hint, moves their clock on an hour, lets solve do "tune", and checks.
    mine = solver_api.ok("POST", f"/sandboxes/{solver_box['id']}/lab-sessions/", {"lab": lab_id}, status=201)
    solver_api.ok("POST", f"/lab-sessions/{mine['id']}/hint/", {"step": "tune"})
    solver_api.ok("POST", f"/sandboxes/{solver_box['id']}/clock/advance/", {"seconds": 3600})
    solver_api.ok("POST", f"/lab-sessions/{mine['id']}/solve/", {"step": "tune"})
    assert solver_api.ok("POST", f"/lab-sessions/{mine['id']}/check/")["completed"] is True

    # The worker does the step by hand, with boto3-shaped calls through the API: no solve.
    theirs = worker_api.ok("POST", f"/sandboxes/{worker_box['id']}/lab-sessions/", {"lab": lab_id}, status=201)
    aws = f"/sandboxes/{worker_box['id']}/aws/sqs"
    url = worker_api.ok("POST", f"{aws}/GetQueueUrl/", {"QueueName": "inbox"})["QueueUrl"]
    worker_api.ok("POST", f"{aws}/SetQueueAttributes/", {"QueueUrl": url, "Attributes": {"VisibilityTimeout": "45"}})
    worker_api.ok("POST", f"{aws}/ReceiveMessage/", {"QueueUrl": url})
    assert worker_api.ok("POST", f"/lab-sessions/{theirs['id']}/check/")["completed"] is True

    assert solver_api.get(f"/classrooms/{classroom.id}/grades.csv").status_code == 404
    rows = {row["student"]: row for row in _grades(classroom.api, classroom.id)}
    assert set(rows) == {solver.username, worker.username, idle.username}
    assert list(rows[solver.username]) == [
        "student", "account_id", "lab_id", "lab_title", "status", "points", "max_points", "steps_passed",
        "steps_total", "started_at", "completed_at", "completed_at_sandbox", "deadline", "late", "late_steps",
        "solved_by_solve", "solved_steps", "solved_by", "hints_used", "hint_points",
    ]  # fmt: skip
    solved = rows[solver.username]
    assert (solved["account_id"], solved["lab_id"], solved["lab_title"]) == (solver_box["account_id"], lab_id, "Inbox")
    assert (solved["status"], solved["points"], solved["max_points"]) == ("completed", "3", "4")
    assert (solved["steps_passed"], solved["steps_total"]) == ("2", "2")
    assert (solved["solved_by_solve"], solved["solved_steps"], solved["solved_by"]) == ("yes", "tune", solver.username)
    assert (solved["hints_used"], solved["hint_points"]) == ("1", "1")
    wall = dt.datetime.fromisoformat(solved["completed_at"])
    sandbox_time = dt.datetime.fromisoformat(solved["completed_at_sandbox"])
    assert sandbox_time - wall > dt.timedelta(minutes=59), "the sandbox clock was an hour ahead"
    assert wall.utcoffset() == dt.timedelta(0)
    worked = rows[worker.username]
    assert (worked["points"], worked["solved_by_solve"], worked["solved_steps"], worked["hints_used"]) == (
        "4",
        "no",
        "",
        "0",
    )
    assert worked["late"] == "no"
    assert rows[idle.username]["account_id"] == idle_box["account_id"]
    assert rows[idle.username]["lab_id"] == ""


def test_a_timed_session_records_steps_passed_after_its_deadline_as_late(
    daphne: Server,
    author: Api,
    make_classroom: Callable[..., Classroom],
    enroll: Callable[..., tuple[User, Api, dict[str, Any]]],
) -> None:
    lab_id = upload(author)
    classroom = make_classroom(daphne)
    _, student, box = enroll(daphne, classroom)
    refused = student.post(f"/sandboxes/{box['id']}/lab-sessions/", {"lab": lab_id, "minutes": 30})
    assert refused.status_code == 403, "a student does not time their own session"
    session = student.ok("POST", f"/sandboxes/{box['id']}/lab-sessions/", {"lab": lab_id}, status=201)
    assert (session["deadline"], session["late"]) == (None, False)
    first = student.ok("POST", f"/lab-sessions/{session['id']}/check/")
    assert [(step["id"], step["passed"], step["late"]) for step in first["steps"]] == [
        ("given", True, False),
        ("tune", False, False),
    ]

    path = f"/lab-sessions/{session['id']}/"
    assert student.patch(path, {"minutes": 5}).status_code == 403
    naive = classroom.api.ok("PATCH", path, {"deadline": "2026-01-01T10:00:00"})
    assert naive["deadline"] == "2026-01-01T10:00:00+00:00", "a time without a zone is UTC"
    both = classroom.api.patch(path, {"deadline": "2026-01-01T10:00:00Z", "minutes": 5})
    assert both.status_code == 400
    # The deadline passed a minute ago (wall time: no waiting, it is set in the past).
    passed = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    timed = classroom.api.ok("PATCH", path, {"deadline": passed.isoformat()})
    assert dt.datetime.fromisoformat(timed["deadline"]) == passed

    aws = f"/sandboxes/{box['id']}/aws/sqs"
    url = student.ok("POST", f"{aws}/GetQueueUrl/", {"QueueName": "inbox"})["QueueUrl"]
    student.ok("POST", f"{aws}/SetQueueAttributes/", {"QueueUrl": url, "Attributes": {"VisibilityTimeout": "45"}})
    student.ok("POST", f"{aws}/ReceiveMessage/", {"QueueUrl": url})
    report = student.ok("POST", f"/lab-sessions/{session['id']}/check/")
    assert report["completed"] is True
    assert [(step["id"], step["late"]) for step in report["steps"]] == [("given", False), ("tune", True)]
    assert report["score"] == 4, "a late step keeps its points; the grades say it was late"
    detail = student.ok("GET", path)
    assert (detail["late"], detail["late_steps"]) == (True, ["tune"])
    events = student.ok("GET", f"/sandboxes/{box['id']}/events/?type=lab.checked&limit=100")["results"]
    assert [(event["step"], event["late"]) for event in events][-1] == ("tune", True)

    [row] = _grades(classroom.api, classroom.id)
    assert (row["late"], row["late_steps"]) == ("yes", "tune")
    assert dt.datetime.fromisoformat(row["deadline"]) == passed

    # A session timed an hour ahead is on time; null untimes it.
    other = upload(author)
    ahead = student.ok("POST", f"/sandboxes/{box['id']}/lab-sessions/", {"lab": other}, status=201)
    back = student.ok("POST", f"/sandboxes/{box['id']}/lab-sessions/", {"lab": lab_id}, status=201)
    assert (back["deadline"], back["late_steps"]) == (timed["deadline"], ["tune"]), "switching labs sheds nothing"
    ahead = student.ok("POST", f"/sandboxes/{box['id']}/lab-sessions/", {"lab": other}, status=201)
    classroom.api.ok("PATCH", f"/lab-sessions/{ahead['id']}/", {"minutes": 60})
    assert not any(step["late"] for step in student.ok("POST", f"/lab-sessions/{ahead['id']}/check/")["steps"])
    assert classroom.api.ok("PATCH", f"/lab-sessions/{ahead['id']}/", {"deadline": None})["deadline"] is None
