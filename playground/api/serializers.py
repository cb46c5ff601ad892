"""What the REST API reads (request serializers: they check input) and writes (response serializers:
they document the output in the OpenAPI schema; views build the output from domain objects)."""

from __future__ import annotations

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


class LabStartRequest(serializers.Serializer):
    lab = serializers.CharField(max_length=100)
    webhook_url = serializers.URLField(required=False, allow_blank=True, max_length=200)
    webhook_secret = serializers.CharField(required=False, allow_blank=True, max_length=128)


class StepRequest(serializers.Serializer):
    step = serializers.CharField(required=False, allow_blank=True, max_length=100)


class ClassroomRequest(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    join_open = serializers.BooleanField(required=False)
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


class LabStepResponse(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    instructions = serializers.CharField()
    hints = serializers.ListField(child=serializers.CharField())
    max_score = serializers.IntegerField()
    checks = serializers.IntegerField()


class LabResponse(LabSummaryResponse):
    steps = LabStepResponse(many=True)
    document = serializers.DictField(required=False, help_text="The whole bundle (staff only).")


class SessionStepResponse(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    instructions = serializers.CharField()
    hints = serializers.ListField(child=serializers.CharField())
    max_score = serializers.IntegerField()
    passed = serializers.BooleanField()
    score = serializers.IntegerField()
    checks = serializers.ListField(child=serializers.DictField())
    checked_at = serializers.DateTimeField(allow_null=True)


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
    steps = SessionStepResponse(many=True, required=False)


class StepReportResponse(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    passed = serializers.BooleanField()
    score = serializers.IntegerField()
    max_score = serializers.IntegerField()
    messages = serializers.ListField(child=serializers.CharField())
    checks = serializers.ListField(child=serializers.DictField())


class CheckReportResponse(serializers.Serializer):
    passed = serializers.BooleanField()
    score = serializers.IntegerField()
    max_score = serializers.IntegerField()
    completed = serializers.BooleanField()
    messages = serializers.ListField(child=serializers.CharField())
    steps = StepReportResponse(many=True)


class SolveResponse(serializers.Serializer):
    solved = serializers.ListField(child=serializers.CharField())
    session = SessionResponse()


class ClassroomResponse(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    join_code = serializers.CharField(required=False, help_text="Instructors only.")
    join_open = serializers.BooleanField()
    role = serializers.ChoiceField(choices=["instructor", "student"])
    instructors = serializers.ListField(child=serializers.CharField())
    students = serializers.IntegerField()
    webhook_url = serializers.CharField(required=False)


class LastCallResponse(serializers.Serializer):
    at = serializers.DateTimeField(help_text="Sandbox-clock time of the call.")
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
