"""Consultations in the admin: policy areas are edited here; consultations and responses are read-only,
with their history, because their stored dates come from the services."""

from django.contrib import admin

from compact_portal.history_privacy import PrivateHistoryAdmin
from funding.admin import ReadOnlyHistoryAdmin

from .models import Consultation, PolicyArea, Response


@admin.register(PolicyArea)
class PolicyAreaAdmin(PrivateHistoryAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyHistoryAdmin):
    list_display = ["title", "body", "status", "open_date", "close_date", "length_days", "feedback_due"]
    list_filter = ["status", "formal", "compact", "policy_area"]
    search_fields = ["title", "body__name"]
    list_select_related = ["body"]


@admin.register(Response)
class ResponseAdmin(ReadOnlyHistoryAdmin):
    # Confidential responses are for the consulting body and the champions only: what a response says is
    # never shown here, nor in its history (compact_portal/history_privacy.py, PRIVATE_FIELDS).
    list_display = ["organisation", "consultation", "status", "may_publish", "published"]
    list_filter = ["status", "may_publish", "published"]
    list_select_related = ["organisation", "consultation"]
