"""The classroom's pages: /join/ for students, /classrooms/ for instructors."""

from __future__ import annotations

from django.urls import path

from playground.classroom import views

urlpatterns = [
    path("join/", views.join, name="join"),
    path("classrooms/", views.classroom_list, name="classroom-list"),
    path("classrooms/<int:classroom_id>/", views.classroom_page, name="classroom"),
    path("classrooms/<int:classroom_id>/import/", views.classroom_import, name="classroom-import"),
    path("classrooms/<int:classroom_id>/clock/", views.classroom_clock, name="classroom-clock"),
    path("classrooms/<int:classroom_id>/labs/start/", views.classroom_lab_start, name="classroom-lab-start"),
    path("classrooms/<int:classroom_id>/timer/", views.classroom_timer, name="classroom-timer"),
    path("classrooms/<int:classroom_id>/reopen/", views.classroom_reopen, name="classroom-reopen"),
    path("classrooms/<int:classroom_id>/joining/", views.classroom_joining, name="classroom-joining"),
    path("classrooms/<int:classroom_id>/broadcast/", views.classroom_broadcast, name="classroom-broadcast"),
    path("classrooms/<int:classroom_id>/settings/", views.classroom_settings, name="classroom-settings"),
    path("classrooms/<int:classroom_id>/join-code/", views.classroom_join_code, name="classroom-join-code"),
    path(
        "classrooms/<int:classroom_id>/students/<int:enrollment_id>/reset/",
        views.student_reset,
        name="classroom-student-reset",
    ),
    path(
        "classrooms/<int:classroom_id>/students/<int:enrollment_id>/clock/",
        views.student_clock,
        name="classroom-student-clock",
    ),
]
