"""Classroom pages: sign up or join with a code, and the instructor's dashboard (students with their
progress and last activity, reset, every clock or one student's, CSV import, the join code).

Server-rendered forms calling the same domain functions as the REST API. The dashboard links each
student to their diagram (/sandboxes/<id>/), which shows it to an instructor read-only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from playground.classroom.forms import (
    ClassroomForm,
    ClockForm,
    ImportForm,
    JoinForm,
    LabStartForm,
    SettingsForm,
    SignupForm,
    TimerForm,
)
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
    imported_as_csv,
    join_code_rotate,
    latest_broadcast,
    sandbox_clock,
    session_timer_set,
    student_signup,
    students_import,
)
from playground.errors import PlaygroundError
from playground.labs.bundles import all_labs
from playground.sandboxes.access import Role, is_instructor
from playground.sandboxes.keys import new_credential_dict
from playground.sandboxes.models import AccessKey, Clock, wall_now
from playground.sandboxes.services import sandbox_reset


def join(request: HttpRequest) -> HttpResponse:
    """A join code: a new account with it (signed out), or a new classroom sandbox (signed in).
    A new sandbox's first key is shown on the answer page, this once: no page shows its secret again."""
    signed_in = request.user.is_authenticated
    form_class = JoinForm if signed_in else SignupForm
    form = form_class(request.POST or None, initial={"code": request.GET.get("code", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if signed_in:
                joined = classroom_join(classroom=classroom_for_code(data["code"]), student=request.user)
            else:
                joined = student_signup(code=data["code"], username=data["username"], password=data["password"])
                login(request, joined.enrollment.student, backend=settings.AUTHENTICATION_BACKENDS[0])
        except PlaygroundError as refused:
            form.add_error(None, refused.message)
        else:
            if joined.key is None:
                messages.info(request, f"You are in {joined.enrollment.classroom.name} already.")
                return redirect("home")
            return _joined(request, joined.enrollment, joined.key, joined.secret)
    return render(request, "classroom/join.html", {"form": form, "signed_in": signed_in}, status=200)


def _joined(request: HttpRequest, enrollment: Enrollment, key: AccessKey, secret: str) -> HttpResponse:
    """The page that hands a new student their sandbox's key; never cached, so Back does not
    bring the secret back."""
    sandbox = enrollment.sandbox
    endpoint_url = request.build_absolute_uri("/").rstrip("/")
    context = {
        "enrollment": enrollment,
        "sandbox": sandbox,
        "key": key,
        "secret": secret,
        "endpoint_url": endpoint_url,
        "new_key": {
            "key": new_credential_dict(key, secret),
            "region": sandbox.default_region,
            "endpoint": endpoint_url,
        },
    }
    response = render(request, "classroom/joined.html", context)
    add_never_cache_headers(response)
    return response


def _user_id(request: HttpRequest) -> int:
    return int(request.user.pk or 0)


def _taught(request: HttpRequest, classroom_id: int) -> Classroom:
    classroom = Classroom.objects.filter(pk=classroom_id, instructors__pk=_user_id(request)).first()
    if classroom is None:
        raise Http404("no such classroom")
    return classroom


@login_required
def classroom_list(request: HttpRequest) -> HttpResponse:
    if not is_instructor(request.user):
        raise Http404("instructors only")
    form = ClassroomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        classroom = classroom_create(name=form.cleaned_data["name"], instructor=request.user)
        return redirect("classroom", classroom_id=classroom.pk)
    classrooms = Classroom.objects.filter(instructors__pk=_user_id(request)).prefetch_related("enrollments")
    return render(request, "classroom/list.html", {"classrooms": classrooms, "form": form})


@login_required
def classroom_page(request: HttpRequest, classroom_id: int) -> HttpResponse:
    classroom = _taught(request, classroom_id)
    rows = students(classroom)
    context = {
        "classroom": classroom,
        "students": rows,
        "import_form": ImportForm(),
        "settings_form": SettingsForm(instance=classroom),
        "lab_form": _lab_form(classroom, None),
        "latest_broadcast": latest_broadcast(classroom),
        "timer_form": TimerForm(),
        "join_url": request.build_absolute_uri(f"/join/?code={classroom.join_code}"),
        "dashboard_config": {
            "classroom": classroom.pk,
            "students": rows,
            "stuck_minutes": classroom.stuck_minutes,
            "failing_calls": classroom.failing_calls,
        },
    }
    return render(request, "classroom/dashboard.html", context)


@login_required
@require_POST
def classroom_import(request: HttpRequest, classroom_id: int) -> HttpResponse:
    classroom = _taught(request, classroom_id)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            imported = students_import(classroom=classroom, text=form.cleaned_data["text"])
        except PlaygroundError as refused:
            form.add_error(None, refused.message)
        else:
            response = render(
                request,
                "classroom/imported.html",
                {"classroom": classroom, "imported": imported, "csv": imported_as_csv(imported)},
            )
            add_never_cache_headers(response)  # passwords and secret keys: Back must not bring them back
            return response
    messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
    return redirect("classroom", classroom_id=classroom.pk)


def _clock_from(request: HttpRequest) -> ClockForm | None:
    form = ClockForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return None
    return form


@login_required
@require_POST
def classroom_clock(request: HttpRequest, classroom_id: int) -> HttpResponse:
    classroom = _taught(request, classroom_id)
    form = _clock_from(request)
    if form is not None:
        data = form.cleaned_data
        clocks = class_clock(
            classroom=classroom,
            action=data["action"],
            speed=data.get("speed") or 0.0,
            seconds=data.get("seconds") or 0.0,
        )
        messages.success(request, f"{data['action'].capitalize()}: {len(clocks)} clocks.")
    return redirect("classroom", classroom_id=classroom.pk)


def _lab_form(classroom: Classroom, data: Any) -> LabStartForm:
    labs = [(lab.id, lab.title) for lab in sorted(all_labs().values(), key=lambda lab: lab.id) if lab.available]
    roster = [(row.pk, row.student.get_username()) for row in classroom.enrollments.select_related("student")]
    return LabStartForm(data, labs=labs, students=roster)


@login_required
@require_POST
def classroom_lab_start(request: HttpRequest, classroom_id: int) -> HttpResponse:
    """Start a lab in every student's sandbox, or in one student's."""
    classroom = _taught(request, classroom_id)
    form = _lab_form(classroom, request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return redirect("classroom", classroom_id=classroom.pk)
    lab_id = form.cleaned_data["lab"]
    only = [int(form.cleaned_data["student"])] if form.cleaned_data["student"] else None
    try:
        outcomes = class_lab_start(classroom=classroom, lab_id=lab_id, enrollment_ids=only)
    except PlaygroundError as refused:
        messages.error(request, refused.message)
        return redirect("classroom", classroom_id=classroom.pk)
    started = [o.enrollment.student.get_username() for o in outcomes if o.session is not None and o.created]
    already = [o.enrollment.student.get_username() for o in outcomes if o.session is not None and not o.created]
    if started:
        messages.success(request, f"Started {lab_id} for {', '.join(started)}.")
    if already:
        messages.info(request, f"Already in {lab_id} (progress kept): {', '.join(already)}.")
    for outcome in outcomes:
        if outcome.problem:
            messages.error(request, f"{outcome.enrollment.student.get_username()}: {outcome.problem}")
    return redirect("classroom", classroom_id=classroom.pk)


@login_required
@require_POST
def classroom_broadcast(request: HttpRequest, classroom_id: int) -> HttpResponse:
    classroom = _taught(request, classroom_id)
    try:
        broadcast_send(classroom=classroom, message=request.POST.get("message", ""), sender=request.user)
    except PlaygroundError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"Sent to the {classroom.enrollments.count()} students.")
    return redirect("classroom", classroom_id=classroom.pk)


@login_required
@require_POST
def classroom_timer(request: HttpRequest, classroom_id: int) -> HttpResponse:
    """Start the timed session's timer (minutes from now, then freeze or reset), or cancel it."""
    classroom = _taught(request, classroom_id)
    if request.POST.get("cancel"):
        session_timer_set(classroom=classroom, ends_at=None, at_end=Classroom.NOTHING)
        messages.success(request, "The timer is off.")
        return redirect("classroom", classroom_id=classroom.pk)
    form = TimerForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return redirect("classroom", classroom_id=classroom.pk)
    ends_at = wall_now() + dt.timedelta(minutes=form.cleaned_data["minutes"])
    session_timer_set(classroom=classroom, ends_at=ends_at, at_end=form.cleaned_data["at_end"])
    messages.success(request, f"The session ends at {ends_at:%H:%M:%S} UTC.")
    return redirect("classroom", classroom_id=classroom.pk)


@login_required
@require_POST
def classroom_reopen(request: HttpRequest, classroom_id: int) -> HttpResponse:
    classroom = _taught(request, classroom_id)
    thawed = class_reopen(classroom=classroom)
    messages.success(request, f"The class is open again ({thawed} sandboxes thawed).")
    return redirect("classroom", classroom_id=classroom.pk)


@login_required
@require_POST
def classroom_joining(request: HttpRequest, classroom_id: int) -> HttpResponse:
    """Close joining (the code stops working; students in stay in) or open it again."""
    classroom = _taught(request, classroom_id)
    classroom.join_open = request.POST.get("open") == "1"
    classroom.save(update_fields=["join_open"])
    messages.success(request, "Joining is open again." if classroom.join_open else "Joining is closed.")
    return redirect("classroom", classroom_id=classroom.pk)


@login_required
@require_POST
def classroom_settings(request: HttpRequest, classroom_id: int) -> HttpResponse:
    classroom = _taught(request, classroom_id)
    form = SettingsForm(request.POST, instance=classroom)
    if form.is_valid():
        form.save()
        messages.success(request, "Settings saved.")
    else:
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
    return redirect("classroom", classroom_id=classroom.pk)


@login_required
@require_POST
def classroom_join_code(request: HttpRequest, classroom_id: int) -> HttpResponse:
    classroom = join_code_rotate(classroom=_taught(request, classroom_id))
    messages.success(request, f"The new join code is {classroom.join_code_display}; the old one no longer works.")
    return redirect("classroom", classroom_id=classroom.pk)


def _enrollment(request: HttpRequest, classroom_id: int, enrollment_id: int) -> Enrollment:
    classroom = _taught(request, classroom_id)
    enrollment = Enrollment.objects.filter(classroom=classroom, pk=enrollment_id).select_related("sandbox").first()
    if enrollment is None:
        raise Http404("no such student")
    return enrollment


@login_required
@require_POST
def student_reset(request: HttpRequest, classroom_id: int, enrollment_id: int) -> HttpResponse:
    enrollment = _enrollment(request, classroom_id, enrollment_id)
    sandbox = enrollment.sandbox
    sandbox.clock = Clock.current(sandbox.pk)
    sandbox_reset(sandbox=sandbox)
    messages.success(request, f"{enrollment.student.get_username()}'s sandbox is empty again.")
    return redirect("classroom", classroom_id=classroom_id)


@login_required
@require_POST
def student_clock(request: HttpRequest, classroom_id: int, enrollment_id: int) -> HttpResponse:
    enrollment = _enrollment(request, classroom_id, enrollment_id)
    form = _clock_from(request)
    if form is not None:
        data = form.cleaned_data
        sandbox_clock(
            sandbox=enrollment.sandbox,
            action=data["action"],
            speed=data.get("speed") or 0.0,
            seconds=data.get("seconds") or 0.0,
            role=Role.INSTRUCTOR,
        )
        messages.success(request, f"{data['action'].capitalize()}: {enrollment.student.get_username()}'s clock.")
    return redirect("classroom", classroom_id=classroom_id)
