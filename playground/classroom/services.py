"""Domain functions for classrooms: create, join with a code, sign up, import students from CSV,
remove a student, and drive every student's clock at once. The REST API and the GUI call these."""

from __future__ import annotations

import csv
import io
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from playground.classroom.exceptions import ImportProblem, JoinRefused
from playground.classroom.models import Classroom, Enrollment, new_join_code, normalize_join_code
from playground.sandboxes.models import AccessKey, Clock, Sandbox
from playground.sandboxes.services import (
    clock_advance,
    clock_pause,
    clock_resume,
    clock_set_speed,
    sandbox_create,
)

LOG = logging.getLogger(__name__)

MAX_IMPORT_ROWS = 1000
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105  (an alphabet)


def new_password() -> str:
    """A password a student can type from a printed sheet: three groups of four."""
    return "-".join("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3))


@transaction.atomic
def classroom_create(*, name: str, instructor: Any) -> Classroom:
    classroom = Classroom.objects.create(name=name.strip() or "Classroom")
    classroom.instructors.add(instructor)
    return classroom


def join_code_rotate(*, classroom: Classroom) -> Classroom:
    """A new join code; the old one stops working (students already in stay in)."""
    for _ in range(5):
        classroom.join_code = new_join_code()
        try:
            with transaction.atomic():
                classroom.save(update_fields=["join_code"])
            return classroom
        except IntegrityError:  # 31^8 codes: a clash is rare, but possible
            continue
    raise JoinRefused("Could not make a unique join code; try again.")


def classroom_for_code(code: str) -> Classroom:
    classroom = Classroom.objects.filter(join_code=normalize_join_code(code)).first()
    if classroom is None or not classroom.join_open:
        raise JoinRefused("That join code is not valid, or the classroom is not taking students now.")
    return classroom


def _sandbox_name(classroom: Classroom, username: str) -> str:
    return f"{classroom.name} · {username}"[:100]


@dataclass(frozen=True)
class Joined:
    """An enrollment; when it is new, with its sandbox's first key and that key's secret, which
    the student is shown this once (as IAM shows a secret only when it creates the key)."""

    enrollment: Enrollment
    key: AccessKey | None = None
    secret: str = ""

    @property
    def created(self) -> bool:
        return self.key is not None


@transaction.atomic
def classroom_join(*, classroom: Classroom, student: Any) -> Joined:
    """Enroll the user, with a new sandbox of their own. Joining twice returns the first
    enrollment, without a key: its secret was shown the first time."""
    existing = Enrollment.objects.filter(classroom=classroom, student=student).select_related("sandbox").first()
    if existing is not None:
        return Joined(existing)
    sandbox, key, secret = sandbox_create(name=_sandbox_name(classroom, student.get_username()), owner=student)
    return Joined(Enrollment.objects.create(classroom=classroom, student=student, sandbox=sandbox), key, secret)


def _check_username(username: str) -> None:
    if not username or len(username) > 150:
        raise ValidationError("A user name has 1 to 150 characters.")
    UnicodeUsernameValidator()(username)


@transaction.atomic
def student_signup(*, code: str, username: str, password: str) -> Joined:
    """A new user account made with a join code, enrolled with its own sandbox."""
    classroom = classroom_for_code(code)
    User = get_user_model()
    try:
        _check_username(username)
        validate_password(password)
    except ValidationError as problem:
        raise JoinRefused(" ".join(problem.messages)) from None
    if User.objects.filter(username=username).exists():
        raise JoinRefused("That user name is taken; choose another, or sign in and join with the code.")
    user = User.objects.create_user(username=username, password=password)
    return classroom_join(classroom=classroom, student=user)


def student_remove(*, enrollment: Enrollment) -> None:
    """Take a student out of a classroom: their classroom sandbox goes with everything in it."""
    enrollment.sandbox.delete()


# --- CSV import -----------------------------------------------------------------------------------


@dataclass
class ImportedStudent:
    username: str
    password: str  # the password set now ("" for a user who already had an account)
    created_user: bool
    newly_enrolled: bool
    sandbox: Sandbox
    access_key_id: str
    secret_access_key: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "password": self.password,
            "created_user": self.created_user,
            "newly_enrolled": self.newly_enrolled,
            "sandbox_id": self.sandbox.pk,
            "account_id": self.sandbox.account_id,
            "region": self.sandbox.default_region,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
        }


@dataclass
class _Row:
    line: int
    username: str
    password: str
    email: str
    first_name: str
    last_name: str


def _parse_csv(text: str) -> list[_Row]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = [name.strip().lower() for name in (reader.fieldnames or [])]
    if "username" not in columns:
        raise ImportProblem("The CSV needs a header line with a `username` column (optional: password, email, "
                            "first_name, last_name).")  # fmt: skip
    rows: list[_Row] = []
    problems: list[str] = []
    seen: set[str] = set()
    for record in reader:
        fields = {(key or "").strip().lower(): (value or "").strip() for key, value in record.items() if key}
        if not any(fields.values()):
            continue
        line = reader.line_num
        row = _Row(
            line=line,
            username=fields.get("username", ""),
            password=fields.get("password", ""),
            email=fields.get("email", ""),
            first_name=fields.get("first_name", "")[:150],
            last_name=fields.get("last_name", "")[:150],
        )
        try:
            _check_username(row.username)
            if row.password:
                validate_password(row.password)
        except ValidationError as problem:
            problems.append(f"line {line}: {' '.join(problem.messages)}")
        if row.username in seen:
            problems.append(f"line {line}: {row.username} appears twice")
        seen.add(row.username)
        rows.append(row)
        if len(rows) > MAX_IMPORT_ROWS:
            raise ImportProblem(f"At most {MAX_IMPORT_ROWS} students can be imported at once.")
    if problems:
        raise ImportProblem("Nothing was imported: " + "; ".join(problems[:20]))
    if not rows:
        raise ImportProblem("The CSV has no students.")
    return rows


@transaction.atomic
def students_import(*, classroom: Classroom, text: str) -> list[ImportedStudent]:
    """Enroll every student the CSV lists, making accounts for new user names (with the CSV's
    password, or a generated one). All or nothing: a bad line imports no one."""
    rows = _parse_csv(text)
    User = get_user_model()
    existing = {user.get_username(): user for user in User.objects.filter(username__in=[row.username for row in rows])}
    imported: list[ImportedStudent] = []
    for row in rows:
        user = existing.get(row.username)
        password = ""
        if user is None:
            password = row.password or new_password()
            user = User.objects.create_user(
                username=row.username,
                password=password,
                email=row.email,
                first_name=row.first_name,
                last_name=row.last_name,
            )
        joined = classroom_join(classroom=classroom, student=user)
        created_user = row.username not in existing
        # The hand-out sheet carries the keys of accounts made now; a student who already had an
        # account makes a key of their own in the GUI (an instructor never sees a student's own secrets).
        key = joined.key if created_user else None
        imported.append(
            ImportedStudent(
                username=row.username,
                password=password,
                created_user=created_user,
                newly_enrolled=joined.created,
                sandbox=joined.enrollment.sandbox,
                access_key_id=key.access_key_id if key else "",
                secret_access_key=joined.secret if key else "",
            )
        )
    return imported


def imported_as_csv(imported: list[ImportedStudent]) -> str:
    """The import's result as a CSV to hand out (passwords and keys of each student)."""
    out = io.StringIO()
    columns = ["username", "password", "account_id", "region", "access_key_id", "secret_access_key"]
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for student in imported:
        writer.writerow(student.as_dict())
    return out.getvalue()


# --- the whole class's clocks ---------------------------------------------------------------------

CLOCK_ACTIONS = ("pause", "resume", "speed", "advance")


def class_clock(*, classroom: Classroom, action: str, speed: float = 0.0, seconds: float = 0.0) -> list[Clock]:
    """Pause, resume, set the speed of or advance every student's clock; returns the clocks."""
    if action not in CLOCK_ACTIONS:
        raise ValueError(f"unknown clock action {action!r}")
    sandboxes = Sandbox.objects.filter(enrollment__classroom=classroom).order_by("pk")
    clocks = []
    for sandbox in sandboxes:
        clocks.append(sandbox_clock(sandbox=sandbox, action=action, speed=speed, seconds=seconds))
    return clocks


def sandbox_clock(*, sandbox: Sandbox, action: str, speed: float = 0.0, seconds: float = 0.0) -> Clock:
    """One clock action by name (the REST API's /clock/<action>/ and the dashboard's buttons)."""
    if action == "pause":
        return clock_pause(sandbox=sandbox)
    if action == "resume":
        return clock_resume(sandbox=sandbox)
    if action == "speed":
        return clock_set_speed(sandbox=sandbox, speed=speed)
    if action == "advance":
        return clock_advance(sandbox=sandbox, seconds=seconds)
    raise ValueError(f"unknown clock action {action!r}")
