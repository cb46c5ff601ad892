"""REST views of classrooms: the instructor's (create, students with progress, CSV import, the whole
class's clock, join code) and the student's (join with a code). Each student's own sandbox is
managed through /api/sandboxes/<id>/..., which admits the instructors of its classroom."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed, NotFound, PermissionDenied, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from playground.api import serializers as s
from playground.api.access import sandbox_or_404, taught_classroom_or_404
from playground.api.base import ApiView
from playground.api.presenters import classroom_dict, sandbox_dict
from playground.classroom.models import Classroom, Enrollment
from playground.classroom.presenters import students
from playground.classroom.services import (
    broadcast_send,
    class_clock,
    class_lab_start,
    class_reopen,
    classroom_create,
    classroom_for_code,
    classroom_join,
    hand_set,
    imported_as_csv,
    join_code_rotate,
    session_timer_set,
    student_password_reset,
    student_remove,
    students_import,
)
from playground.labs.sessions import session_summary
from playground.sandboxes.access import Role, is_instructor
from playground.sandboxes.keys import new_credential_dict
from playground.web.logins import client_address, retry_after

ERRORS = {400: s.ErrorResponse, 403: s.ErrorResponse, 404: s.ErrorResponse}


class ClassroomList(ApiView):
    @extend_schema(responses={200: s.ClassroomResponse(many=True)}, summary="The classrooms you teach or are in")
    def get(self, request: Request) -> Response:
        taught = Classroom.objects.filter(instructors=request.user).prefetch_related("instructors")
        joined = Classroom.objects.filter(enrollments__student=request.user).exclude(instructors=request.user)
        return Response(
            [classroom_dict(room, instructor=True) for room in taught]
            + [classroom_dict(room, instructor=False) for room in joined.distinct()]
        )

    @extend_schema(request=s.ClassroomRequest, responses={201: s.ClassroomResponse, **ERRORS})
    def post(self, request: Request) -> Response:
        if not is_instructor(request.user):
            raise PermissionDenied("Only staff users create classrooms.")
        data = s.ClassroomRequest(data=request.data)
        data.is_valid(raise_exception=True)
        classroom = classroom_create(name=data.validated_data["name"], instructor=request.user)
        _apply_settings(classroom, data.validated_data)
        return Response(classroom_dict(classroom, instructor=True), status=status.HTTP_201_CREATED)


def _apply_settings(classroom: Classroom, values: dict[str, Any]) -> None:
    if "ends_at" in values or "at_end" in values:
        session_timer_set(
            classroom=classroom,
            ends_at=values.get("ends_at", classroom.ends_at),
            at_end=values.get("at_end", classroom.at_end or Classroom.FREEZE),
        )
    names = (
        "name", "join_open", "lock_student_clocks", "stuck_minutes", "failing_calls", "webhook_url", "webhook_secret",
    )  # fmt: skip
    changed = [name for name in names if name in values]
    for name in changed:
        setattr(classroom, name, values[name])
    if changed:
        classroom.save(update_fields=changed)


class ClassroomDetail(ApiView):
    @extend_schema(responses={200: s.ClassroomResponse, **ERRORS})
    def get(self, request: Request, classroom_id: int) -> Response:
        return Response(classroom_dict(taught_classroom_or_404(request, classroom_id), instructor=True))

    @extend_schema(request=s.ClassroomRequest(partial=True), responses={200: s.ClassroomResponse, **ERRORS})
    def patch(self, request: Request, classroom_id: int) -> Response:
        classroom = taught_classroom_or_404(request, classroom_id)
        data = s.ClassroomRequest(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        _apply_settings(classroom, data.validated_data)
        return Response(classroom_dict(classroom, instructor=True))

    @extend_schema(responses={204: None, **ERRORS}, summary="Delete the classroom and every student sandbox in it")
    def delete(self, request: Request, classroom_id: int) -> Response:
        classroom = taught_classroom_or_404(request, classroom_id)
        for enrollment in classroom.enrollments.select_related("sandbox"):
            student_remove(enrollment=enrollment)
        classroom.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class Reopen(ApiView):
    @extend_schema(
        request=None,
        responses={200: s.ClassroomResponse, **ERRORS},
        summary="After a timed session: thaw the frozen sandboxes and clear the timer",
    )
    def post(self, request: Request, classroom_id: int) -> Response:
        classroom = taught_classroom_or_404(request, classroom_id)
        class_reopen(classroom=classroom)
        return Response(classroom_dict(classroom, instructor=True))


class JoinCode(ApiView):
    @extend_schema(request=None, responses={200: s.ClassroomResponse, **ERRORS}, summary="A new join code")
    def post(self, request: Request, classroom_id: int) -> Response:
        classroom = join_code_rotate(classroom=taught_classroom_or_404(request, classroom_id))
        return Response(classroom_dict(classroom, instructor=True))


class Students(ApiView):
    @extend_schema(
        responses={200: s.StudentResponse(many=True), **ERRORS},
        summary="Students with their sandbox, last activity and progress in each lab",
    )
    def get(self, request: Request, classroom_id: int) -> Response:
        return Response(students(taught_classroom_or_404(request, classroom_id)))

    @extend_schema(request=s.StudentRequest, responses={201: s.ImportedStudentResponse, **ERRORS})
    def post(self, request: Request, classroom_id: int) -> Response:
        classroom = taught_classroom_or_404(request, classroom_id)
        data = s.StudentRequest(data=request.data)
        data.is_valid(raise_exception=True)
        line = _csv_line(data.validated_data["username"], data.validated_data.get("password", ""))
        [student] = students_import(classroom=classroom, text=line)
        return Response(student.as_dict(), status=status.HTTP_201_CREATED)


def _csv_line(username: str, password: str) -> str:
    quote = lambda text: '"' + text.replace('"', '""') + '"'  # noqa: E731
    return f"username,password\n{quote(username)},{quote(password)}\n"


class StudentDetail(ApiView):
    @extend_schema(responses={204: None, **ERRORS}, summary="Remove a student (their classroom sandbox is deleted)")
    def delete(self, request: Request, classroom_id: int, enrollment_id: int) -> Response:
        classroom = taught_classroom_or_404(request, classroom_id)
        enrollment = Enrollment.objects.filter(classroom=classroom, pk=enrollment_id).select_related("sandbox").first()
        if enrollment is None:
            raise NotFound("There is no such student in this classroom.")
        student_remove(enrollment=enrollment)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StudentPassword(ApiView):
    @extend_schema(
        request=None,
        responses={200: s.PasswordResetResponse, **ERRORS},
        summary="A new password for the student (in this answer only); their sessions and API token end",
    )
    def post(self, request: Request, classroom_id: int, enrollment_id: int) -> Response:
        classroom = taught_classroom_or_404(request, classroom_id)
        enrollment = Enrollment.objects.filter(classroom=classroom, pk=enrollment_id).select_related("student").first()
        if enrollment is None:
            raise NotFound("There is no such student in this classroom.")
        password = student_password_reset(enrollment=enrollment)
        response = Response({"username": enrollment.student.get_username(), "password": password})
        response["Cache-Control"] = "no-store"
        return response


class StudentImport(ApiView):
    @extend_schema(
        request=s.ImportRequest,
        responses={201: s.ImportResponse, **ERRORS},
        summary="Enroll the students a CSV lists (header: username[,password,email,first_name,last_name])",
    )
    def post(self, request: Request, classroom_id: int) -> Response:
        classroom = taught_classroom_or_404(request, classroom_id)
        data = s.ImportRequest(data=request.data)
        data.is_valid(raise_exception=True)
        imported = students_import(classroom=classroom, text=data.validated_data["csv"])
        return Response(
            {"imported": [student.as_dict() for student in imported], "csv": imported_as_csv(imported)},
            status=status.HTTP_201_CREATED,
        )


class ClassLabStart(ApiView):
    @extend_schema(
        request=s.ClassLabStartRequest,
        responses={200: s.ClassLabStartResponse, **ERRORS},
        summary="Start a lab for the whole class, or for the students listed",
    )
    def post(self, request: Request, classroom_id: int) -> Response:
        classroom = taught_classroom_or_404(request, classroom_id)
        data = s.ClassLabStartRequest(data=request.data)
        data.is_valid(raise_exception=True)
        outcomes = class_lab_start(
            classroom=classroom, lab_id=data.validated_data["lab"], enrollment_ids=data.validated_data.get("students")
        )
        return Response(
            {
                "started": [
                    {
                        "student": outcome.enrollment.pk,
                        "username": outcome.enrollment.student.get_username(),
                        "session": session_summary(outcome.session) if outcome.session else None,
                        "created": outcome.created,
                        "problem": outcome.problem,
                    }
                    for outcome in outcomes
                ]
            }
        )


class Broadcasts(ApiView):
    @extend_schema(responses={200: s.BroadcastResponse(many=True), **ERRORS}, summary="Messages sent, newest first")
    def get(self, request: Request, classroom_id: int) -> Response:
        classroom = taught_classroom_or_404(request, classroom_id)
        return Response([sent.as_dict() for sent in classroom.broadcasts.all()[:100]])

    @extend_schema(
        request=s.BroadcastRequest,
        responses={201: s.BroadcastResponse, **ERRORS},
        summary="Show a message in every student's GUI, live",
    )
    def post(self, request: Request, classroom_id: int) -> Response:
        classroom = taught_classroom_or_404(request, classroom_id)
        data = s.BroadcastRequest(data=request.data)
        data.is_valid(raise_exception=True)
        sent = broadcast_send(classroom=classroom, message=data.validated_data["message"], sender=request.user)
        return Response(sent.as_dict(), status=status.HTTP_201_CREATED)


class Hand(ApiView):
    @extend_schema(
        request=s.HandRequest,
        responses={200: s.HandResponse, **ERRORS},
        summary="Raise or lower the student's hand (the student; their instructor lowers it)",
    )
    def post(self, request: Request, sandbox_id: int) -> Response:
        sandbox, role = sandbox_or_404(request, sandbox_id)
        enrollment = Enrollment.objects.filter(sandbox=sandbox).first()
        if enrollment is None:
            raise NotFound("This sandbox is in no classroom: there is no one to raise a hand to.")
        data = s.HandRequest(data=request.data)
        data.is_valid(raise_exception=True)
        raised = data.validated_data["raised"]
        if raised and role != Role.OWNER:
            raise PermissionDenied("Only the student raises their hand.")
        done = hand_set(enrollment=enrollment, raised=raised, note=data.validated_data.get("note", ""), by=request.user)
        return Response(
            {
                "raised": done.hand_raised_at is not None,
                "raised_at": done.hand_raised_at.isoformat() if done.hand_raised_at else None,
                "note": done.hand_note,
            }
        )


class ClassClock(ApiView):
    action = ""

    def post(self, request: Request, classroom_id: int) -> Response:
        classroom = taught_classroom_or_404(request, classroom_id)
        speed = seconds = 0.0
        if self.action == "speed":
            data = s.SpeedRequest(data=request.data)
            data.is_valid(raise_exception=True)
            speed = data.validated_data["speed"]
        elif self.action == "advance":
            advance = s.AdvanceRequest(data=request.data)
            advance.is_valid(raise_exception=True)
            seconds = advance.validated_data["seconds"]
        clocks = class_clock(classroom=classroom, action=self.action, speed=speed, seconds=seconds)
        return Response({"clocks": [{"sandbox": clock.sandbox_id, **clock.as_dict()} for clock in clocks]})


class ClassClockPause(ClassClock):
    action = "pause"

    @extend_schema(request=None, responses={200: s.ClassClockResponse, **ERRORS}, summary="Pause every student's clock")
    def post(self, request: Request, classroom_id: int) -> Response:
        return super().post(request, classroom_id)


class ClassClockResume(ClassClock):
    action = "resume"

    @extend_schema(request=None, responses={200: s.ClassClockResponse, **ERRORS})
    def post(self, request: Request, classroom_id: int) -> Response:
        return super().post(request, classroom_id)


class ClassClockSpeed(ClassClock):
    action = "speed"

    @extend_schema(request=s.SpeedRequest, responses={200: s.ClassClockResponse, **ERRORS})
    def post(self, request: Request, classroom_id: int) -> Response:
        return super().post(request, classroom_id)


class ClassClockAdvance(ClassClock):
    action = "advance"

    @extend_schema(request=s.AdvanceRequest, responses={200: s.ClassClockResponse, **ERRORS})
    def post(self, request: Request, classroom_id: int) -> Response:
        return super().post(request, classroom_id)


class Join(ApiView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "join"

    @extend_schema(
        request=s.JoinRequest,
        responses={200: s.EnrollmentResponse, 201: s.EnrollmentResponse, **ERRORS},
        summary="Join a classroom with its code: a sandbox of your own, its first key's secret in this answer only",
    )
    def post(self, request: Request) -> Response:
        data = s.JoinRequest(data=request.data)
        data.is_valid(raise_exception=True)
        classroom = classroom_for_code(data.validated_data["code"])
        joined = classroom_join(classroom=classroom, student=request.user)
        body: dict[str, Any] = {
            "classroom": {"id": classroom.pk, "name": classroom.name},
            "sandbox": sandbox_dict(joined.enrollment.sandbox, Role.OWNER),
            "created": joined.created,
        }
        if joined.key is not None:
            body["credentials"] = new_credential_dict(joined.key, joined.secret)
        return Response(body, status=status.HTTP_201_CREATED if joined.created else status.HTTP_200_OK)


class ObtainToken(ApiView):
    """POST username and password, get the token for `Authorization: Token <token>`."""

    # Token authentication only so that a refusal is a 401 with `WWW-Authenticate: Token`
    # (with no authenticator at all DRF answers 403), and no session means no CSRF check here.
    authentication_classes = [TokenAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        request=s.TokenRequest,
        responses={200: s.TokenResponse, 401: s.ErrorResponse, 429: s.ErrorResponse},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = s.TokenRequest(data=request.data)
        data.is_valid(raise_exception=True)
        wait = retry_after(username=data.validated_data["username"], address=client_address(request._request))
        if wait:  # the sign-in limits of the login form (playground/web/logins.py)
            raise Throttled(wait, detail="Too many failed sign-ins.")
        user = authenticate(
            request._request, username=data.validated_data["username"], password=data.validated_data["password"]
        )
        if user is None or not user.is_active:
            raise AuthenticationFailed("Wrong user name or password.")
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
