"""REST views of labs (the bundles) and lab sessions (start, check, solve, reset, stop)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from playground.api import serializers as s
from playground.api.access import sandbox_or_404, session_or_404, taught_classroom_or_404
from playground.api.base import ApiView
from playground.api.presenters import lab_dict, lab_summary
from playground.errors import PlaygroundError
from playground.labs.bundles import all_labs, bundle_delete, bundle_save, get_lab, parse_bundle
from playground.labs.dryrun import dry_run
from playground.labs.exports import GRADE_COLUMNS, grades_csv, grades_filename
from playground.labs.models import ClassroomLabSettings, LabSession
from playground.labs.sessions import (
    session_check,
    session_detail,
    session_hint,
    session_reset,
    session_set_deadline,
    session_solve,
    session_start,
    session_stop,
    session_summary,
    solve_permitted,
)
from playground.sandboxes.access import Role, is_instructor


def _endpoint(request: Request) -> str:
    """The address the student reached us on: what their aws CLI's --endpoint-url is."""
    return request.build_absolute_uri("/").rstrip("/")


def _detail(request: Request, session: LabSession) -> dict[str, Any]:
    """The session as the caller sees it, with `may_solve`: whether solve is theirs to use here."""
    detail = session_detail(session, endpoint=_endpoint(request))
    may_solve = False
    if session.sandbox.owner_id == request.user.pk:
        try:
            solve_permitted(session, request.user)
            may_solve = True
        except PlaygroundError:
            pass
    return {**detail, "may_solve": may_solve}


ERRORS = {400: s.ErrorResponse, 403: s.ErrorResponse, 404: s.ErrorResponse, 409: s.ErrorResponse}


class LabList(ApiView):
    @extend_schema(responses={200: s.LabSummaryResponse(many=True)}, summary="Every lab this server has")
    def get(self, request: Request) -> Response:
        return Response([lab_summary(lab) for lab in sorted(all_labs().values(), key=lambda lab: lab.title)])


class LabDetail(ApiView):
    @extend_schema(responses={200: s.LabResponse, **ERRORS})
    def get(self, request: Request, lab_id: str) -> Response:
        return Response(lab_dict(get_lab(lab_id), with_document=is_instructor(request.user)))

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: s.LabResponse, **ERRORS},
        summary="Upload or replace a lab bundle (staff)",
    )
    def put(self, request: Request, lab_id: str) -> Response:
        if not is_instructor(request.user):
            raise PermissionDenied("Only staff upload labs.")
        lab = bundle_save(document=request.data, lab_id=lab_id, user=request.user)
        return Response(lab_dict(lab, with_document=True))

    @extend_schema(responses={204: None, **ERRORS}, summary="Delete an uploaded lab bundle (staff)")
    def delete(self, request: Request, lab_id: str) -> Response:
        if not is_instructor(request.user):
            raise PermissionDenied("Only staff delete labs.")
        bundle_delete(lab_id=lab_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LabDryRun(ApiView):
    @extend_schema(
        request=s.DryRunRequest,
        responses={200: s.DryRunResponse, **ERRORS},
        summary="Run a bundle's setup, checks and solve in a scratch sandbox and report (staff)",
    )
    def post(self, request: Request) -> Response:
        if not is_instructor(request.user):
            raise PermissionDenied("Only staff dry-run labs.")
        data = s.DryRunRequest(data=request.data)
        data.is_valid(raise_exception=True)
        document, lab_id = data.validated_data.get("bundle"), data.validated_data.get("lab")
        lab = parse_bundle(document, source="api") if document is not None else get_lab(str(lab_id))
        return Response(dry_run(lab, user=request.user))


class SandboxSessions(ApiView):
    @extend_schema(responses={200: s.SessionResponse(many=True), **ERRORS}, summary="The sandbox's lab sessions")
    def get(self, request: Request, sandbox_id: int) -> Response:
        sandbox, _ = sandbox_or_404(request, sandbox_id)
        return Response([session_summary(session) for session in LabSession.objects.filter(sandbox=sandbox)])

    @extend_schema(
        request=s.LabStartRequest,
        responses={200: s.SessionResponse, 201: s.SessionResponse, **ERRORS},
        summary="Start a lab (runs its setup; starting the active lab again returns its session)",
    )
    def post(self, request: Request, sandbox_id: int) -> Response:
        sandbox, _ = sandbox_or_404(request, sandbox_id, owner_only=True)
        data = s.LabStartRequest(data=request.data)
        data.is_valid(raise_exception=True)
        webhook_url = data.validated_data.get("webhook_url", "")
        if webhook_url and not is_instructor(request.user):
            raise PermissionDenied("Only staff set webhooks.")
        deadline = data.validated_data.get("deadline")
        if deadline is not None and not is_instructor(request.user):
            raise PermissionDenied("Only staff time a session.")
        session, created = session_start(
            sandbox=sandbox,
            lab_id=data.validated_data["lab"],
            user=request.user,
            webhook_url=webhook_url,
            webhook_secret=data.validated_data.get("webhook_secret", ""),
            deadline=deadline,
        )
        return Response(
            _detail(request, session),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class SessionDetail(ApiView):
    @extend_schema(responses={200: s.SessionResponse, **ERRORS})
    def get(self, request: Request, session_id: int) -> Response:
        session, _ = session_or_404(request, session_id)
        return Response(_detail(request, session))

    @extend_schema(
        request=s.SessionUpdateRequest,
        responses={200: s.SessionResponse, **ERRORS},
        summary="Time the session: a deadline (or null), or minutes from now (the student's instructor, or staff)",
    )
    def patch(self, request: Request, session_id: int) -> Response:
        session, role = session_or_404(request, session_id)
        if role != Role.INSTRUCTOR and not is_instructor(request.user):
            raise PermissionDenied("Only the student's instructor (or staff, in their own sandbox) times a session.")
        data = s.SessionUpdateRequest(data=request.data)
        data.is_valid(raise_exception=True)
        if "deadline" in data.validated_data:
            session_set_deadline(session=session, deadline=data.validated_data["deadline"])
        return Response(_detail(request, session))


class SessionCheck(ApiView):
    @extend_schema(
        request=s.StepRequest,
        responses={200: s.CheckReportResponse, **ERRORS},
        summary="Check one step or all (reads the sandbox, changes nothing in it)",
    )
    def post(self, request: Request, session_id: int) -> Response:
        session, _ = session_or_404(request, session_id)
        data = s.StepRequest(data=request.data)
        data.is_valid(raise_exception=True)
        report = session_check(session=session, step_id=data.validated_data.get("step") or None)
        return Response(report.as_dict())


class SessionSolve(ApiView):
    @extend_schema(
        request=s.StepRequest,
        responses={200: s.SolveResponse, **ERRORS},
        summary="Do one step, or every step not passed yet (staff; students when the lab and classroom allow it)",
    )
    def post(self, request: Request, session_id: int) -> Response:
        session, _ = session_or_404(request, session_id, owner_only=True)
        data = s.StepRequest(data=request.data)
        data.is_valid(raise_exception=True)
        solve_permitted(session, request.user)
        solved = session_solve(session=session, step_id=data.validated_data.get("step") or None, user=request.user)
        return Response({"solved": solved, "session": _detail(request, session)})


class SessionHint(ApiView):
    @extend_schema(
        request=s.HintRequest,
        responses={200: s.HintResponse, **ERRORS},
        summary="Reveal the step's next hint (its cost comes off the step's points)",
    )
    def post(self, request: Request, session_id: int) -> Response:
        session, _ = session_or_404(request, session_id, owner_only=True)
        data = s.HintRequest(data=request.data)
        data.is_valid(raise_exception=True)
        hint = session_hint(session=session, step_id=data.validated_data["step"], endpoint=_endpoint(request))
        return Response({**hint, "session": _detail(request, session)})


class SessionReset(ApiView):
    @extend_schema(
        request=None,
        responses={200: s.SessionResponse, **ERRORS},
        summary="Empty the sandbox, forget the progress, run the setup again",
    )
    def post(self, request: Request, session_id: int) -> Response:
        session, _ = session_or_404(request, session_id)
        return Response(_detail(request, session_reset(session=session)))


class SessionStop(ApiView):
    @extend_schema(request=None, responses={200: s.SessionResponse, **ERRORS}, summary="Close the lab's side panel")
    def post(self, request: Request, session_id: int) -> Response:
        session, _ = session_or_404(request, session_id, owner_only=True)
        session_stop(session=session)
        return Response(_detail(request, session))


def _lab_settings(classroom_id: int) -> dict[str, Any]:
    found = ClassroomLabSettings.objects.filter(classroom_id=classroom_id).first()
    return {"student_solve": bool(found and found.student_solve)}


class ClassroomLabSettingsView(ApiView):
    @extend_schema(responses={200: s.LabSettingsResponse, **ERRORS}, summary="A classroom's lab settings")
    def get(self, request: Request, classroom_id: int) -> Response:
        classroom = taught_classroom_or_404(request, classroom_id)
        return Response(_lab_settings(classroom.pk))

    @extend_schema(
        request=s.LabSettingsRequest,
        responses={200: s.LabSettingsResponse, **ERRORS},
        summary="Change a classroom's lab settings (its instructors)",
    )
    def patch(self, request: Request, classroom_id: int) -> Response:
        classroom = taught_classroom_or_404(request, classroom_id)
        data = s.LabSettingsRequest(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data:
            ClassroomLabSettings.objects.update_or_create(classroom=classroom, defaults=data.validated_data)
        return Response(_lab_settings(classroom.pk))


class ClassroomGrades(ApiView):
    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.STR, 404: s.ErrorResponse},
        summary="The classroom's grades as CSV (its instructors)",
        description="Columns: " + ", ".join(GRADE_COLUMNS) + ". See docs/classroom-and-api.md.",
    )
    def get(self, request: Request, classroom_id: int) -> HttpResponse:
        classroom = taught_classroom_or_404(request, classroom_id)
        response = HttpResponse(grades_csv(classroom), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{grades_filename(classroom)}"'
        response["Cache-Control"] = "no-store"
        return response
