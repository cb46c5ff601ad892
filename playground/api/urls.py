"""The REST API under /api/. OpenAPI 3 schema at /api/schema/, Swagger UI at /api/docs/; every
endpoint is also browsable in DRF's own HTML view."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from playground.api import classrooms, labs, sandboxes

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("token/", classrooms.ObtainToken.as_view(), name="api-token"),
    # sandboxes
    path("sandboxes/", sandboxes.SandboxList.as_view(), name="api-sandboxes"),
    path("sandboxes/<int:sandbox_id>/", sandboxes.SandboxDetail.as_view(), name="api-sandbox"),
    path("sandboxes/<int:sandbox_id>/reset/", sandboxes.SandboxReset.as_view(), name="api-sandbox-reset"),
    path("sandboxes/<int:sandbox_id>/credentials/", sandboxes.CredentialList.as_view(), name="api-credentials"),
    path(
        "sandboxes/<int:sandbox_id>/credentials/<str:access_key_id>/",
        sandboxes.CredentialDetail.as_view(),
        name="api-credential",
    ),
    path(
        "sandboxes/<int:sandbox_id>/credentials/<str:access_key_id>/rotate/",
        sandboxes.CredentialRotate.as_view(),
        name="api-credential-rotate",
    ),
    path("sandboxes/<int:sandbox_id>/clock/", sandboxes.ClockDetail.as_view(), name="api-clock"),
    path("sandboxes/<int:sandbox_id>/clock/pause/", sandboxes.ClockPause.as_view(), name="api-clock-pause"),
    path("sandboxes/<int:sandbox_id>/clock/resume/", sandboxes.ClockResume.as_view(), name="api-clock-resume"),
    path("sandboxes/<int:sandbox_id>/clock/speed/", sandboxes.ClockSpeed.as_view(), name="api-clock-speed"),
    path("sandboxes/<int:sandbox_id>/clock/advance/", sandboxes.ClockAdvance.as_view(), name="api-clock-advance"),
    path("sandboxes/<int:sandbox_id>/graph/", sandboxes.Graph.as_view(), name="api-graph"),
    path("sandboxes/<int:sandbox_id>/resources/", sandboxes.Resource.as_view(), name="api-resource"),
    path("sandboxes/<int:sandbox_id>/events/", sandboxes.Events.as_view(), name="api-events"),
    path("sandboxes/<int:sandbox_id>/calls/", sandboxes.Calls.as_view(), name="api-calls"),
    path("sandboxes/<int:sandbox_id>/aws/<str:service>/<str:operation>/", sandboxes.AwsCall.as_view(), name="api-aws"),
    path("sandboxes/<int:sandbox_id>/lab-sessions/", labs.SandboxSessions.as_view(), name="api-sandbox-sessions"),
    # labs and lab sessions
    path("labs/", labs.LabList.as_view(), name="api-labs"),
    path("lab-dry-runs/", labs.LabDryRun.as_view(), name="api-lab-dry-run"),
    path("labs/<str:lab_id>/", labs.LabDetail.as_view(), name="api-lab"),
    path("lab-sessions/<int:session_id>/", labs.SessionDetail.as_view(), name="api-session"),
    path("lab-sessions/<int:session_id>/check/", labs.SessionCheck.as_view(), name="api-session-check"),
    path("lab-sessions/<int:session_id>/solve/", labs.SessionSolve.as_view(), name="api-session-solve"),
    path("lab-sessions/<int:session_id>/reset/", labs.SessionReset.as_view(), name="api-session-reset"),
    path("lab-sessions/<int:session_id>/stop/", labs.SessionStop.as_view(), name="api-session-stop"),
    path("lab-sessions/<int:session_id>/hint/", labs.SessionHint.as_view(), name="api-session-hint"),
    path("classrooms/<int:classroom_id>/grades.csv", labs.ClassroomGrades.as_view(), name="api-class-grades"),
    path(
        "classrooms/<int:classroom_id>/lab-settings/",
        labs.ClassroomLabSettingsView.as_view(),
        name="api-class-lab-settings",
    ),
    # classrooms
    path("classrooms/", classrooms.ClassroomList.as_view(), name="api-classrooms"),
    path("classrooms/join/", classrooms.Join.as_view(), name="api-join"),
    path("classrooms/<int:classroom_id>/", classrooms.ClassroomDetail.as_view(), name="api-classroom"),
    path("classrooms/<int:classroom_id>/reopen/", classrooms.Reopen.as_view(), name="api-class-reopen"),
    path("classrooms/<int:classroom_id>/join-code/", classrooms.JoinCode.as_view(), name="api-join-code"),
    path("classrooms/<int:classroom_id>/students/", classrooms.Students.as_view(), name="api-students"),
    path(
        "classrooms/<int:classroom_id>/students/import/", classrooms.StudentImport.as_view(), name="api-students-import"
    ),
    path(
        "classrooms/<int:classroom_id>/students/<int:enrollment_id>/",
        classrooms.StudentDetail.as_view(),
        name="api-student",
    ),
    path(
        "classrooms/<int:classroom_id>/students/<int:enrollment_id>/password/",
        classrooms.StudentPassword.as_view(),
        name="api-student-password",
    ),
    path("sandboxes/<int:sandbox_id>/hand/", classrooms.Hand.as_view(), name="api-hand"),
    path("classrooms/<int:classroom_id>/broadcasts/", classrooms.Broadcasts.as_view(), name="api-broadcasts"),
    path("classrooms/<int:classroom_id>/lab-sessions/", classrooms.ClassLabStart.as_view(), name="api-class-lab-start"),
    path("classrooms/<int:classroom_id>/clock/pause/", classrooms.ClassClockPause.as_view(), name="api-class-pause"),
    path("classrooms/<int:classroom_id>/clock/resume/", classrooms.ClassClockResume.as_view(), name="api-class-resume"),
    path("classrooms/<int:classroom_id>/clock/speed/", classrooms.ClassClockSpeed.as_view(), name="api-class-speed"),
    path(
        "classrooms/<int:classroom_id>/clock/advance/", classrooms.ClassClockAdvance.as_view(), name="api-class-advance"
    ),
]
