from __future__ import annotations

from django.contrib import admin

from playground.classroom.models import Classroom, Enrollment


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ("name", "join_code", "join_open", "created_at")
    filter_horizontal = ("instructors",)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("student", "classroom", "sandbox", "joined_at")
    list_select_related = ("student", "classroom", "sandbox")
