from django.contrib import admin
from django.db import models

from compact_portal.admin_site import CheckedInitialData
from compact_portal.history_privacy import PrivateHistoryAdmin

from .models import (
    Champion,
    Commitment,
    Community,
    Compact,
    IdentifierChange,
    Organisation,
    Principle,
    Section,
    Signature,
)
from .services import compact_save
from .services.compact_settings import DISPUTE_LIMITS, RULE_SETTINGS


class PrincipleInline(admin.TabularInline):
    model = Principle
    extra = 0


@admin.register(Compact)
class CompactAdmin(PrivateHistoryAdmin):
    """Compacts and their rule settings; the History button shows who changed which setting, and when."""

    list_display = ["name", "area", "status", "adopted_date", "next_review_date", "nation"]
    list_filter = ["status", "nation"]
    search_fields = ["name", "area"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PrincipleInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "slug",
                    "area",
                    "summary",
                    "source_document",
                    "status",
                    "adopted_date",
                    "next_review_date",
                    "nation",
                ]
            },
        ),
        ("Rule settings", {"fields": list(RULE_SETTINGS)}),
        ("Dispute stage limits", {"fields": list(DISPUTE_LIMITS)}),
        (
            "Dashboard status",
            {
                "fields": ["meeting_threshold", "slipping_threshold"],
                "description": "Where the dashboard, the health checks and the report say each promise stands: "
                "meeting the compact, slipping or not met, by the share of its records kept or explained in the "
                "period.",
            },
        ),
    ]

    def save_model(self, request, obj, form, change):
        """Saved by ``compact_save``: a changed rule setting of an existing compact goes through
        ``compact_settings_update``, so the deadlines of its open records follow and its flags are checked
        again; the other fields are saved as given, in the same transaction."""
        compact_save(compact=obj, actor=request.user, changed=form.changed_data)


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["compact", "number", "title", "theme", "side"]
    list_filter = ["compact", "side"]


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin):
    list_display = ["code", "compact", "section", "side", "rule_key"]
    list_filter = ["compact", "side", "rule_key"]
    search_fields = ["code", "summary"]
    list_select_related = ["compact", "section"]


@admin.register(Organisation)
class OrganisationAdmin(PrivateHistoryAdmin):
    list_display = ["name", "side", "organisation_type", "org_id", "postcode", "updated_at"]
    list_filter = ["side", "organisation_type", "communities"]
    search_fields = ["name", "org_id", "charity_number", "company_number", "postcode"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["communities", "services"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Signature)
class SignatureAdmin(CheckedInitialData, PrivateHistoryAdmin):
    list_display = ["organisation", "compact", "status", "signed_date", "applied_at"]
    list_filter = ["compact", "status"]
    search_fields = ["organisation__name"]
    list_select_related = ["organisation", "compact"]
    autocomplete_fields = ["organisation"]
    raw_id_fields = ["applied_by", "decided_by"]


@admin.register(Champion)
class ChampionAdmin(CheckedInitialData, PrivateHistoryAdmin):
    list_display = ["user", "organisation", "service_team", "compact", "appointed_on"]
    list_filter = ["compact"]
    autocomplete_fields = ["organisation", "user"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "protected_characteristic"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(IdentifierChange)
class IdentifierChangeAdmin(PrivateHistoryAdmin):
    """Requests to change registration numbers, read-only with their history: an administrator decides them on the
    portal's page, whose service applies approved numbers to the organisation and works its Org-ID out again."""

    list_display = ["organisation", "status", "requested_at", "requested_by", "decided_at", "decided_by"]
    list_filter = ["status"]
    search_fields = ["organisation__name", "charity_number", "company_number", "scottish_charity_number"]
    list_select_related = ["organisation", "requested_by", "decided_by"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
