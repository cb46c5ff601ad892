"""Domain functions for classrooms: create, join with a code, sign up, import students from CSV,
remove a student, and drive every student's clock at once. The REST API and the GUI call these."""

from __future__ import annotations

import csv
import datetime as dt
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
from rest_framework.authtoken.models import Token

from playground.classroom.events import BROADCAST, ENDED, HAND, ROSTER, tell_dashboards
from playground.classroom.exceptions import (
    BroadcastRefused,
    ClockHeld,
    ImportProblem,
    JoinRefused,
    NoSuchStudent,
    PasswordRefused,
    SandboxFrozen,
    SessionTimerRefused,
)
from playground.classroom.models import Broadcast, Classroom, Enrollment, new_join_code, normalize_join_code
from playground.errors import PlaygroundError
from playground.labs.bundles import get_lab
from playground.labs.models import LabSession
from playground.labs.sessions import LabUnavailable, session_start
from playground.live.bus import publish
from playground.sandboxes.access import Role
from playground.sandboxes.models import AccessKey, Clock, Sandbox, wall_now
from playground.sandboxes.services import (
    clock_advance,
    clock_pause,
    clock_resume,
    clock_set_speed,
    sandbox_create,
    sandbox_delete,
    sandbox_reset,
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
    enrollment = Enrollment.objects.create(classroom=classroom, student=student, sandbox=sandbox)
    tell_dashboards(classroom, ROSTER)
    return Joined(enrollment, key, secret)


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
    classroom = enrollment.classroom
    sandbox_delete(sandbox=enrollment.sandbox)  # the enrollment goes with it
    tell_dashboards(classroom, ROSTER)


def student_password_reset(*, enrollment: Enrollment) -> str:
    """A new made-up password for the student, returned once for the instructor to hand over. Their
    sessions end (Django's session hash follows the password) and their API token is revoked. An
    instructor cannot reset another staff user's password this way."""
    student = enrollment.student
    if student.is_staff or student.is_superuser:
        raise PasswordRefused("A staff user's password is not reset from a classroom.")
    password = new_password()
    with transaction.atomic():
        student.set_password(password)
        student.save(update_fields=["password"])
        Token.objects.filter(user=student).delete()
    return password


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


# --- broadcasts and the help queue ----------------------------------------------------------------

MAX_BROADCAST = 500
MAX_HAND_NOTE = 200


def broadcast_send(*, classroom: Classroom, message: str, sender: Any) -> Broadcast:
    """Show a message in every student's GUI now (a live event in each student's sandbox); it
    stays on as the classroom's latest message for a student who opens the GUI later."""
    text = " ".join(message.split())
    if not text:
        raise BroadcastRefused("Write the message to send.")
    if len(text) > MAX_BROADCAST:
        raise BroadcastRefused(f"A message has at most {MAX_BROADCAST} characters.")
    with transaction.atomic():
        sent = Broadcast.objects.create(classroom=classroom, message=text, sender=sender.get_username())
        for enrollment in classroom.enrollments.select_related("sandbox"):
            sandbox = enrollment.sandbox
            publish(sandbox, BROADCAST.name, at=Clock.current(sandbox.pk).now().isoformat(), **sent.as_dict())
    return sent


def latest_broadcast(classroom: Classroom) -> Broadcast | None:
    return classroom.broadcasts.first()


def hand_set(*, enrollment: Enrollment, raised: bool, note: str = "", by: Any) -> Enrollment:
    """Raise the student's hand (again: it keeps its place in the queue) or lower it (the student,
    or their instructor who saw to it). Announced live to the student's GUI and the dashboards."""
    note = " ".join(note.split())
    if len(note) > MAX_HAND_NOTE:
        raise BroadcastRefused(f"A note has at most {MAX_HAND_NOTE} characters.")
    with transaction.atomic():
        locked = Enrollment.objects.select_for_update().select_related("sandbox").get(pk=enrollment.pk)
        if raised:
            locked.hand_raised_at = locked.hand_raised_at or wall_now()
            locked.hand_note = note or locked.hand_note
        else:
            locked.hand_raised_at = None
            locked.hand_note = ""
        locked.save(update_fields=["hand_raised_at", "hand_note"])
        sandbox = locked.sandbox
        publish(
            sandbox, HAND.name, at=Clock.current(sandbox.pk).now().isoformat(),
            raised=raised, raised_at=locked.hand_raised_at.isoformat() if locked.hand_raised_at else None,
            note=locked.hand_note, by=by.get_username(),
        )  # fmt: skip
    return locked


# --- timed sessions ------------------------------------------------------------------------------

FROZEN_MESSAGE = "The class session has ended: your sandbox is frozen as it was, for grading."


def refuse_if_frozen(sandbox: Sandbox) -> None:
    """For the owner's changes (AWS calls from the GUI, keys, reset): refused while frozen."""
    if Enrollment.objects.filter(sandbox=sandbox, frozen=True).exists():
        raise SandboxFrozen(FROZEN_MESSAGE)


def session_timer_set(*, classroom: Classroom, ends_at: dt.datetime | None, at_end: str) -> Classroom:
    """Set (or, with ends_at None, cancel) the class session's end and what happens then."""
    if at_end not in dict(Classroom.AT_END_CHOICES):
        raise SessionTimerRefused(f"At the end: one of {', '.join(repr(k) for k in dict(Classroom.AT_END_CHOICES))}.")
    classroom.ends_at = ends_at
    classroom.at_end = at_end if ends_at is not None else Classroom.NOTHING
    classroom.ended_at = None
    classroom.save(update_fields=["ends_at", "at_end", "ended_at"])
    tell_dashboards(classroom, ROSTER)
    return classroom


def end_due_sessions(now: dt.datetime | None = None) -> int:
    """Apply the end of every class session due by `now` (wall time) and not applied yet: freeze
    or reset each student's sandbox, and tell the students. Returns how many classrooms ended.
    Celery beat runs this (classroom/tasks.py)."""
    now = now or wall_now()
    ended = 0
    due = Classroom.objects.filter(ends_at__lte=now, ended_at__isnull=True).exclude(at_end=Classroom.NOTHING)
    for classroom in due:
        with transaction.atomic():
            locked = Classroom.objects.select_for_update().filter(pk=classroom.pk, ended_at__isnull=True).first()
            if locked is None:
                continue  # another worker ended it just now
            locked.ended_at = now
            locked.save(update_fields=["ended_at"])
        for enrollment in locked.enrollments.select_related("sandbox"):
            try:
                if locked.at_end == Classroom.FREEZE:
                    _freeze(enrollment)
                else:
                    sandbox = enrollment.sandbox
                    sandbox.clock = Clock.current(sandbox.pk)
                    sandbox_reset(sandbox=sandbox)
            except Exception:  # one student's sandbox must not keep the others from ending
                LOG.exception("could not end the session of enrollment %s", enrollment.pk)
        what = "frozen as it is, for grading" if locked.at_end == Classroom.FREEZE else "reset: every resource deleted"
        broadcast_send(classroom=locked, message=f"Time is up: the class session has ended. Your sandbox is {what}.",
                       sender=_Timer())  # fmt: skip
        tell_dashboards(locked, ENDED)
        ended += 1
    return ended


class _Timer:
    """The sender of the message that ends a timed session."""

    @staticmethod
    def get_username() -> str:
        return "The class timer"


def _freeze(enrollment: Enrollment) -> None:
    sandbox = enrollment.sandbox
    with transaction.atomic():
        active = list(AccessKey.objects.filter(sandbox=sandbox, active=True).values_list("access_key_id", flat=True))
        AccessKey.objects.filter(sandbox=sandbox, access_key_id__in=active).update(active=False)
        Enrollment.objects.filter(pk=enrollment.pk).update(frozen=True, frozen_keys=active)
    sandbox_clock(sandbox=sandbox, action="pause", role=Role.INSTRUCTOR)


def class_reopen(*, classroom: Classroom) -> int:
    """After a timed session: thaw the frozen sandboxes (their keys active again, clocks resumed)
    and clear the timer. Returns how many sandboxes were thawed."""
    thawed = 0
    for enrollment in classroom.enrollments.select_related("sandbox").filter(frozen=True):
        with transaction.atomic():
            AccessKey.objects.filter(sandbox=enrollment.sandbox, access_key_id__in=enrollment.frozen_keys).update(
                active=True
            )
            Enrollment.objects.filter(pk=enrollment.pk).update(frozen=False, frozen_keys=[])
        sandbox_clock(sandbox=enrollment.sandbox, action="resume", role=Role.INSTRUCTOR)
        thawed += 1
    session_timer_set(classroom=classroom, ends_at=None, at_end=Classroom.NOTHING)
    return thawed


# --- labs for the class ---------------------------------------------------------------------------


@dataclass
class LabStarted:
    """One student's outcome of an instructor's start: their session, or why it did not start."""

    enrollment: Enrollment
    session: LabSession | None
    created: bool = False
    problem: str = ""


def class_lab_start(*, classroom: Classroom, lab_id: str, enrollment_ids: list[int] | None = None) -> list[LabStarted]:
    """Start the lab in the sandboxes of the class's students (or of those enrollments only), as if
    each student had started it: their session, their sandbox's setup. A student already in this
    lab keeps their session and progress; another lab they had active is stopped. A student whose
    setup fails is reported, and the others still start. Raises only when the lab itself cannot
    run here (unknown, or its services not emulated)."""
    lab = get_lab(lab_id)
    if not lab.available:
        raise LabUnavailable(f"Lab {lab.id} needs {', '.join(lab.services)}, which this server does not emulate yet.")
    enrollments = Enrollment.objects.filter(classroom=classroom).select_related("student", "sandbox")
    if enrollment_ids is not None:
        enrollments = enrollments.filter(pk__in=enrollment_ids)
        if enrollments.count() != len(set(enrollment_ids)):
            raise NoSuchStudent("There is no such student in this classroom.")
    outcomes = []
    for enrollment in enrollments.order_by("student__username"):
        try:
            session, created = session_start(sandbox=enrollment.sandbox, lab_id=lab.id, user=enrollment.student)
        except PlaygroundError as problem:
            outcomes.append(LabStarted(enrollment, None, problem=problem.message))
        else:
            outcomes.append(LabStarted(enrollment, session, created))
    return outcomes


# --- the whole class's clocks ---------------------------------------------------------------------

CLOCK_ACTIONS = ("pause", "resume", "speed", "advance")


def class_clock(*, classroom: Classroom, action: str, speed: float = 0.0, seconds: float = 0.0) -> list[Clock]:
    """Pause, resume, set the speed of or advance every student's clock, as their instructor;
    returns the clocks."""
    if action not in CLOCK_ACTIONS:
        raise ValueError(f"unknown clock action {action!r}")
    sandboxes = Sandbox.objects.filter(enrollment__classroom=classroom).order_by("pk")
    clocks = []
    for sandbox in sandboxes:
        clocks.append(sandbox_clock(sandbox=sandbox, action=action, speed=speed, seconds=seconds, role=Role.INSTRUCTOR))
    return clocks


def clock_hold(sandbox: Sandbox) -> str:
    """Why the sandbox's owner may not change its clock now ("" when they may): their sandbox is
    frozen, or their instructor holds the class clock (paused it, or set a speed other than 1x)
    and the classroom says students' clocks follow the instructor's."""
    enrollment = Enrollment.objects.filter(sandbox=sandbox).select_related("classroom").first()
    if enrollment is not None and enrollment.frozen:
        return FROZEN_MESSAGE
    if enrollment is None or not enrollment.clock_held or not enrollment.classroom.lock_student_clocks:
        return ""
    clock = Clock.current(sandbox.pk)
    how = "paused the class clock" if clock.paused else f"set the class clock to {clock.speed:g}x"
    return f"Your instructor has {how}; it stays so until they let it go (resume at 1x)."


def sandbox_clock(
    *, sandbox: Sandbox, action: str, speed: float = 0.0, seconds: float = 0.0, role: Role = Role.OWNER
) -> Clock:
    """One clock action by name (the REST API's /clock/<action>/ and the dashboard's buttons).

    The owner's action is refused while their instructor holds the class clock (ClockHeld). An
    instructor's action holds the clock when it leaves it paused or at a speed other than 1x, and
    lets it go otherwise."""
    if role == Role.OWNER:
        refusal = clock_hold(sandbox)
        if refusal:
            raise ClockHeld(refusal)
    clock = _clock_action(sandbox, action, speed, seconds)
    if role == Role.INSTRUCTOR:
        held = clock.paused or clock.speed != 1
        Enrollment.objects.filter(sandbox=sandbox).exclude(clock_held=held).update(clock_held=held)
    return clock


def _clock_action(sandbox: Sandbox, action: str, speed: float, seconds: float) -> Clock:
    if action == "pause":
        return clock_pause(sandbox=sandbox)
    if action == "resume":
        return clock_resume(sandbox=sandbox)
    if action == "speed":
        return clock_set_speed(sandbox=sandbox, speed=speed)
    if action == "advance":
        return clock_advance(sandbox=sandbox, seconds=seconds)
    raise ValueError(f"unknown clock action {action!r}")
