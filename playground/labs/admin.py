from __future__ import annotations

from django.contrib import admin

from playground.labs.models import LabBundle, LabSession


@admin.register(LabSession)
class LabSessionAdmin(admin.ModelAdmin):
    list_display = ("lab_id", "sandbox", "user", "status", "score", "max_score", "started_at", "completed_at")
    list_filter = ("lab_id", "status")


@admin.register(LabBundle)
class LabBundleAdmin(admin.ModelAdmin):
    list_display = ("lab_id", "created_by", "updated_at")
