"""REST views of labs (the bundles) and lab sessions (start, check, solve, reset, stop)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from playground.api import serializers as s
from playground.api.access import sandbox_or_404, session_or_404
from playground.api.base import ApiView
from playground.api.presenters import lab_dict, lab_summary
from playground.labs.bundles import all_labs, bundle_delete, bundle_save, get_lab
from playground.labs.models import LabSession
from playground.labs.sessions import (
    session_check,
    session_detail,
    session_reset,
    session_solve,
    session_start,
    session_stop,
    session_summary,
)
from playground.sandboxes.access import is_instructor

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
        session, created = session_start(
            sandbox=sandbox,
            lab_id=data.validated_data["lab"],
            user=request.user,
            webhook_url=webhook_url,
            webhook_secret=data.validated_data.get("webhook_secret", ""),
        )
        return Response(session_detail(session), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class SessionDetail(ApiView):
    @extend_schema(responses={200: s.SessionResponse, **ERRORS})
    def get(self, request: Request, session_id: int) -> Response:
        session, _ = session_or_404(request, session_id)
        return Response(session_detail(session))


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
        summary="Do one step for the student, or every step not passed yet",
    )
    def post(self, request: Request, session_id: int) -> Response:
        session, _ = session_or_404(request, session_id, owner_only=True)
        data = s.StepRequest(data=request.data)
        data.is_valid(raise_exception=True)
        solved = session_solve(session=session, step_id=data.validated_data.get("step") or None)
        return Response({"solved": solved, "session": session_detail(session)})


class SessionReset(ApiView):
    @extend_schema(
        request=None,
        responses={200: s.SessionResponse, **ERRORS},
        summary="Empty the sandbox, forget the progress, run the setup again",
    )
    def post(self, request: Request, session_id: int) -> Response:
        session, _ = session_or_404(request, session_id)
        return Response(session_detail(session_reset(session=session)))


class SessionStop(ApiView):
    @extend_schema(request=None, responses={200: s.SessionResponse, **ERRORS}, summary="Close the lab's side panel")
    def post(self, request: Request, session_id: int) -> Response:
        session, _ = session_or_404(request, session_id, owner_only=True)
        session_stop(session=session)
        return Response(session_detail(session))
