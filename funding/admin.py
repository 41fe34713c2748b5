"""Funding records in the admin: read-only, with their history.

Changes go through the portal's pages (funding/services), which store the deadlines the compliance
jobs rely on; an admin form would bypass them. Administrators see every record and who changed what.
"""

from django.contrib import admin

from compact_portal.history_privacy import PrivateHistoryAdmin

from .models import Decision, FundingRelationship, Invoice, Notice, Payment


class ReadOnlyHistoryAdmin(PrivateHistoryAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DecisionInline(admin.TabularInline):
    model = Decision
    extra = 0
    fields = ["kind", "told_date", "due_by", "justification", "feedback"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FundingRelationship)
class FundingRelationshipAdmin(ReadOnlyHistoryAdmin):
    list_display = ["reference", "title", "funder", "recipient", "mechanism", "amount", "status", "expected_start"]
    list_filter = ["status", "mechanism", "compact"]
    search_fields = ["reference", "title", "funder__name", "recipient__name"]
    list_select_related = ["funder", "recipient"]
    inlines = [DecisionInline]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyHistoryAdmin):
    list_display = ["relationship", "kind", "told_date", "due_by"]
    list_filter = ["kind"]
    list_select_related = ["relationship"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyHistoryAdmin):
    list_display = ["invoice_number", "relationship", "amount", "received_date", "pay_by", "paid_date"]
    search_fields = ["invoice_number", "relationship__reference"]
    list_select_related = ["relationship"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyHistoryAdmin):
    list_display = ["invoice", "paid_date", "amount"]
    list_select_related = ["invoice"]


@admin.register(Notice)
class NoticeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["relationship", "kind", "notice_date", "effective_date", "earliest_effective_date"]
    list_filter = ["kind"]
    list_select_related = ["relationship"]
