"""Funding pages: request → form → service or selector → template.

A record the person may not see is a 404 (its existence is not revealed); a record they may see
but not change is a 403.
"""

from .invoices import invoice_create, invoice_edit, payment_create
from .monitoring import (
    improvement_action_done,
    monitoring_plan,
    return_detail,
    return_document,
    return_list,
    significant_change_create,
    template_create,
    template_edit,
    template_list,
    timetable_create,
)
from .notices import notice_create, notice_detail, notice_edit
from .proposals import (
    proposal_create,
    proposal_detail,
    proposal_edit,
    proposal_list,
    proposal_pdf,
    proposal_status,
    proposal_step_done,
)
from .relationships import (
    decision_create,
    decision_explain,
    recipient_overview,
    relationship_create,
    relationship_detail,
    relationship_edit,
    relationship_list,
)
from .transfers import awards_360giving, awards_csv, dates_preview, funding_import_view

__all__ = [
    "awards_360giving",
    "awards_csv",
    "dates_preview",
    "decision_create",
    "decision_explain",
    "funding_import_view",
    "improvement_action_done",
    "invoice_create",
    "invoice_edit",
    "monitoring_plan",
    "notice_create",
    "notice_detail",
    "notice_edit",
    "payment_create",
    "proposal_create",
    "proposal_detail",
    "proposal_edit",
    "proposal_list",
    "proposal_pdf",
    "proposal_status",
    "proposal_step_done",
    "recipient_overview",
    "relationship_create",
    "relationship_detail",
    "relationship_edit",
    "relationship_list",
    "return_detail",
    "return_document",
    "return_list",
    "significant_change_create",
    "template_create",
    "template_edit",
    "template_list",
    "timetable_create",
]
