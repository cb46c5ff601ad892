"""What the REST API reads (request serializers: they check input) and writes (response serializers:
they document the output in the OpenAPI schema; views build the output from domain objects)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from playground.sandboxes.models import Clock

# --- requests -------------------------------------------------------------------------------------


class SandboxCreateRequest(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    region = serializers.RegexField(r"^[a-z]{2}(-[a-z]+)+-\d$", max_length=32, required=False)


class CredentialStatusRequest(serializers.Serializer):
    status = serializers.ChoiceField(choices=["Active", "Inactive"])


class SpeedRequest(serializers.Serializer):
    speed = serializers.FloatField(min_value=0.001, max_value=Clock.MAX_SPEED)


class AdvanceRequest(serializers.Serializer):
    # At most a year at a time: advancing runs every piece of work that falls due before returning.
    seconds = serializers.FloatField(min_value=0, max_value=366 * 86400)


class DeadlineFields(serializers.Serializer):
    deadline = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Wall time (with a zone) after which passing steps are late."
    )
    minutes = serializers.IntegerField(
        required=False, min_value=1, max_value=60 * 24 * 366, help_text="Or: a deadline this many minutes from now."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "minutes" in attrs and attrs.get("deadline") is not None:
            raise serializers.ValidationError("Give a deadline or minutes, not both.")
        if "minutes" in attrs:
            attrs["deadline"] = timezone.now() + dt.timedelta(minutes=attrs.pop("minutes"))
        return attrs


class LabStartRequest(DeadlineFields):
    lab = serializers.CharField(max_length=100)
    webhook_url = serializers.URLField(required=False, allow_blank=True, max_length=200)
    webhook_secret = serializers.CharField(required=False, allow_blank=True, max_length=128)


class SessionUpdateRequest(DeadlineFields):
    pass


class StepRequest(serializers.Serializer):
    step = serializers.CharField(required=False, allow_blank=True, max_length=100)


class ClassroomRequest(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    join_open = serializers.BooleanField(required=False)
    lock_student_clocks = serializers.BooleanField(
        required=False, help_text="While the instructor holds the class clock, students cannot change theirs."
    )
    stuck_minutes = serializers.IntegerField(
        required=False, min_value=1, max_value=1440, help_text="Minutes without progress before a student is stuck."
    )
    failing_calls = serializers.IntegerField(
        required=False, min_value=1, max_value=100, help_text="Failed calls in a row that mark a student failing."
    )
    ends_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Wall time the timed class session ends (null: no timer)."
    )
    at_end = serializers.ChoiceField(
        choices=["", "freeze", "reset"],
        required=False,
        help_text="At ends_at: freeze or reset every student's sandbox.",
    )
    webhook_url = serializers.URLField(required=False, allow_blank=True, max_length=200)
    webhook_secret = serializers.CharField(required=False, allow_blank=True, max_length=128)


class StudentRequest(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(required=False, allow_blank=True, max_length=128)


class ImportRequest(serializers.Serializer):
    csv = serializers.CharField(max_length=2_000_000, help_text="CSV text with a header line: username[,password,...]")


class JoinRequest(serializers.Serializer):
    code = serializers.CharField(max_length=32)


class TokenRequest(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128)


# --- responses ------------------------------------------------------------------------------------


class ClockResponse(serializers.Serializer):
    now = serializers.DateTimeField()
    speed = serializers.FloatField()
    paused = serializers.BooleanField()
    changed = serializers.DateTimeField(
        help_text="Wall time of the clock's last change; a later answer has a later value"
    )


class ClassroomRefResponse(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SandboxResponse(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    account_id = serializers.CharField()
    region = serializers.CharField()
    owner = serializers.CharField(allow_null=True)
    role = serializers.ChoiceField(choices=["owner", "instructor"])
    created_at = serializers.DateTimeField()
    clock = ClockResponse()
    classroom = ClassroomRefResponse(allow_null=True)
    active_lab_session = serializers.IntegerField(allow_null=True)


class CredentialResponse(serializers.Serializer):
    """An access key as IAM's ListAccessKeys shows it: never its secret."""

    access_key_id = serializers.CharField()
    # Not a ChoiceField: the same choice set in two response components and the request makes
    # drf-spectacular warn about enum names (and `check --deploy` fails on warnings).
    status = serializers.CharField(help_text="`Active` or `Inactive`")
    created_at = serializers.DateTimeField()


class NewCredentialResponse(CredentialResponse):
    """A key just made, as IAM's CreateAccessKey answers: the only answer that holds its secret."""

    secret_access_key = serializers.CharField(help_text="Shown this once: no other answer holds it.")


class NewSandboxResponse(SandboxResponse):
    credentials = NewCredentialResponse()


class GraphResponse(serializers.Serializer):
    nodes = serializers.ListField(child=serializers.DictField())
    edges = serializers.ListField(child=serializers.DictField())


class EventsResponse(serializers.Serializer):
    results = serializers.ListField(child=serializers.DictField(), help_text="Events, each with its `seq`.")
    after = serializers.IntegerField(help_text="The cursor for the next request.")
    more = serializers.BooleanField()


class CallResponse(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    request_id = serializers.CharField()
    service = serializers.CharField()
    operation = serializers.CharField()
    region = serializers.CharField()
    access_key_id = serializers.CharField()
    principal_arn = serializers.CharField()
    source_ip = serializers.CharField()
    user_agent = serializers.CharField()
    params = serializers.DictField()
    error_code = serializers.CharField()
    error_message = serializers.CharField()
    http_status = serializers.IntegerField()
    duration_ms = serializers.FloatField()


class CallsResponse(serializers.Serializer):
    results = CallResponse(many=True)
    after = serializers.IntegerField()
    more = serializers.BooleanField()


class ErrorResponse(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class LabSummaryResponse(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    services = serializers.ListField(child=serializers.CharField())
    available = serializers.BooleanField()
    steps = serializers.IntegerField()
    max_score = serializers.IntegerField()
    source = serializers.CharField()
    student_solve = serializers.BooleanField(help_text="The bundle lets students use solve.")


class LabStepResponse(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    instructions = serializers.CharField()
    hints = serializers.ListField(child=serializers.CharField(), help_text="Staff only; empty for others.")
    hints_total = serializers.IntegerField()
    max_score = serializers.IntegerField()
    checks = serializers.IntegerField()


class LabResponse(LabSummaryResponse):
    steps = LabStepResponse(many=True)
    document = serializers.DictField(required=False, help_text="The whole bundle (staff only).")


class SolveRecordResponse(serializers.Serializer):
    step = serializers.CharField()
    by = serializers.CharField(help_text="The user name of who asked for the solve.")
    at = serializers.DateTimeField(help_text="Wall time.")
    clock = serializers.DateTimeField(help_text="The sandbox's time.")


class SessionStepResponse(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    instructions = serializers.CharField()
    hints = serializers.ListField(child=serializers.CharField(), help_text="The hints revealed so far.")
    hints_total = serializers.IntegerField()
    next_hint_cost = serializers.IntegerField(allow_null=True)
    hint_penalty = serializers.IntegerField(help_text="Points the revealed hints take off.")
    max_score = serializers.IntegerField()
    passed = serializers.BooleanField()
    score = serializers.IntegerField()
    checks = serializers.ListField(child=serializers.DictField())
    checked_at = serializers.DateTimeField(allow_null=True)
    passed_at = serializers.DateTimeField(allow_null=True)
    late = serializers.BooleanField()
    solved_by_solve = serializers.BooleanField()


class SessionResponse(serializers.Serializer):
    id = serializers.IntegerField()
    sandbox = serializers.IntegerField()
    lab = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=["active", "stopped"])
    score = serializers.IntegerField()
    max_score = serializers.IntegerField()
    completed = serializers.BooleanField()
    steps_passed = serializers.IntegerField()
    steps_total = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    completed_clock = serializers.DateTimeField(allow_null=True, help_text="Sandbox time at completion.")
    deadline = serializers.DateTimeField(allow_null=True)
    late = serializers.BooleanField(help_text="A step passed after the deadline.")
    late_steps = serializers.ListField(child=serializers.CharField())
    hints_used = serializers.IntegerField()
    solved_by_solve = serializers.BooleanField(help_text="Solve did at least one step.")
    solved_steps = serializers.ListField(child=serializers.CharField())
    solves = SolveRecordResponse(many=True)
    may_solve = serializers.BooleanField(required=False, help_text="Solve is the caller's to use in this session.")
    steps = SessionStepResponse(many=True, required=False)


class StepReportResponse(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    passed = serializers.BooleanField()
    score = serializers.IntegerField()
    max_score = serializers.IntegerField()
    messages = serializers.ListField(child=serializers.CharField())
    checks = serializers.ListField(child=serializers.DictField())
    late = serializers.BooleanField()


class CheckReportResponse(serializers.Serializer):
    passed = serializers.BooleanField()
    score = serializers.IntegerField()
    max_score = serializers.IntegerField()
    completed = serializers.BooleanField()
    messages = serializers.ListField(child=serializers.CharField())
    steps = StepReportResponse(many=True)


class DryRunRequest(serializers.Serializer):
    bundle = serializers.DictField(required=False, help_text="A whole bundle document, as PUT /api/labs/<id>/ takes.")
    lab = serializers.CharField(required=False, max_length=100, help_text="Or: the id of a lab the server has.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("bundle" in attrs) == ("lab" in attrs):
            raise serializers.ValidationError("Give either `bundle` (a document) or `lab` (an id).")
        return attrs


class DryRunStepResponse(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    passed_before_solve = serializers.BooleanField()
    solve = serializers.DictField(help_text="{ran, ok, error}")
    passed = serializers.BooleanField(help_text="After its solve.")
    score = serializers.IntegerField()
    max_score = serializers.IntegerField()
    failed_checks = serializers.ListField(child=serializers.DictField())


class DryRunResponse(serializers.Serializer):
    lab = serializers.CharField()
    title = serializers.CharField()
    ok = serializers.BooleanField(help_text="The setup ran and every step passed after its solve.")
    setup = serializers.DictField(help_text="{ok, error}")
    steps = DryRunStepResponse(many=True)
    warnings = serializers.ListField(child=serializers.CharField())
    score = serializers.IntegerField()
    max_score = serializers.IntegerField()


class HintRequest(serializers.Serializer):
    step = serializers.CharField(max_length=100)


class HintResponse(serializers.Serializer):
    step = serializers.CharField()
    number = serializers.IntegerField(help_text="1 for the step's first hint.")
    text = serializers.CharField(help_text="Markdown, {{variables}} filled in.")
    cost = serializers.IntegerField(help_text="Points this hint takes off the step.")
    remaining = serializers.IntegerField()
    session = serializers.DictField()


class LabSettingsRequest(serializers.Serializer):
    student_solve = serializers.BooleanField(
        required=False, help_text="Students may use solve (when the lab's bundle allows it too). Default false."
    )


class LabSettingsResponse(serializers.Serializer):
    student_solve = serializers.BooleanField()


class SolveResponse(serializers.Serializer):
    solved = serializers.ListField(child=serializers.CharField())
    session = SessionResponse()


class ClassroomResponse(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    join_code = serializers.CharField(required=False, help_text="Instructors only.")
    join_open = serializers.BooleanField()
    lock_student_clocks = serializers.BooleanField()
    stuck_minutes = serializers.IntegerField()
    failing_calls = serializers.IntegerField()
    ends_at = serializers.DateTimeField(allow_null=True)
    at_end = serializers.CharField()
    ended_at = serializers.DateTimeField(allow_null=True)
    role = serializers.ChoiceField(choices=["instructor", "student"])
    instructors = serializers.ListField(child=serializers.CharField())
    students = serializers.IntegerField()
    webhook_url = serializers.CharField(required=False)


class LastCallResponse(serializers.Serializer):
    at = serializers.DateTimeField(help_text="Sandbox-clock time of the call.")
    wall_at = serializers.DateTimeField(allow_null=True, help_text="Wall time of the call.")
    service = serializers.CharField()
    operation = serializers.CharField()
    error_code = serializers.CharField()


class StudentResponse(serializers.Serializer):
    id = serializers.IntegerField(help_text="The enrollment's id.")
    username = serializers.CharField()
    joined_at = serializers.DateTimeField()
    sandbox = SandboxResponse()
    last_call = LastCallResponse(allow_null=True)
    idle_seconds = serializers.FloatField(allow_null=True, help_text="Sandbox-clock seconds since the last call.")
    labs = SessionResponse(many=True)
    clock_held = serializers.BooleanField(help_text="The instructor holds this student's clock (paused, or not 1x).")
    last_activity_at = serializers.DateTimeField(allow_null=True, help_text="Wall time of the last AWS call.")
    progress_at = serializers.DateTimeField(
        allow_null=True, help_text="Wall time of the last progress in the active lab, while it is not completed."
    )
    stuck = serializers.BooleanField(help_text="No progress for the classroom's stuck_minutes of wall time.")
    failing_calls = serializers.IntegerField(help_text="Latest calls that failed in a row (counted up to the limit).")
    failing = serializers.BooleanField(help_text="failing_calls reached the classroom's failing_calls.")
    hand_raised_at = serializers.DateTimeField(allow_null=True, help_text="Wall time the student raised their hand.")
    hand_note = serializers.CharField()
    frozen = serializers.BooleanField(help_text="Frozen at the end of the timed class session.")


class ImportedStudentResponse(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField()
    created_user = serializers.BooleanField()
    newly_enrolled = serializers.BooleanField()
    sandbox_id = serializers.IntegerField()
    account_id = serializers.CharField()
    region = serializers.CharField()
    access_key_id = serializers.CharField()
    secret_access_key = serializers.CharField()


class ImportResponse(serializers.Serializer):
    imported = ImportedStudentResponse(many=True)
    csv = serializers.CharField()


class ClassLabStartRequest(serializers.Serializer):
    lab = serializers.CharField(max_length=100)
    students = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Enrollment ids; the whole class when absent."
    )


class ClassLabStartedResponse(serializers.Serializer):
    student = serializers.IntegerField(help_text="The enrollment's id.")
    username = serializers.CharField()
    session = serializers.DictField(allow_null=True, help_text="The student's session (as GET /lab-sessions/{id}/).")
    created = serializers.BooleanField(help_text="False when the student was in this lab already.")
    problem = serializers.CharField(help_text="Why it did not start for this student (its setup failed).")


class ClassLabStartResponse(serializers.Serializer):
    started = ClassLabStartedResponse(many=True)


class PasswordResetResponse(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(help_text="The new password: in this answer only.")


class BroadcastRequest(serializers.Serializer):
    message = serializers.CharField(max_length=500)


class BroadcastResponse(serializers.Serializer):
    id = serializers.IntegerField()
    message = serializers.CharField()
    sender = serializers.CharField()
    sent_at = serializers.DateTimeField(help_text="Wall time.")


class HandRequest(serializers.Serializer):
    raised = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class HandResponse(serializers.Serializer):
    raised = serializers.BooleanField()
    raised_at = serializers.DateTimeField(allow_null=True, help_text="Wall time; it orders the help queue.")
    note = serializers.CharField()


class ClassClockResponse(serializers.Serializer):
    clocks = serializers.ListField(child=serializers.DictField())


class EnrollmentResponse(serializers.Serializer):
    classroom = ClassroomRefResponse()
    sandbox = SandboxResponse()
    created = serializers.BooleanField()
    credentials = NewCredentialResponse(
        required=False, help_text="The new sandbox's first key, with its secret: only when `created`."
    )


class TokenResponse(serializers.Serializer):
    token = serializers.CharField()
