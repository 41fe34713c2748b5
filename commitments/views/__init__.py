"""Compacts, signatories and champions' pages (``compacts``), organisations' own entries (``entries``), and
compliance flags (``flags``)."""

from .compacts import (
    application_decide,
    applications,
    champion_desk,
    compact_detail,
    compact_list,
    compact_sign_up,
    compact_sign_up_existing,
    directory,
    organisations_import_view,
    signatory_detail,
    signature_withdraw,
)
from .dashboard import (
    dashboard,
    figure_records,
    report_detail,
    report_download,
    report_table_csv,
    reports,
    scorecard,
)
from .entries import identifier_change_decide_view, identifier_change_request_view, identifier_changes, signatory_edit
from .flags import flag_detail, flag_list, flag_reopen, flag_waive, flags_csv

__all__ = [
    "dashboard",
    "figure_records",
    "report_detail",
    "report_download",
    "report_table_csv",
    "reports",
    "scorecard",
    "application_decide",
    "applications",
    "champion_desk",
    "compact_detail",
    "compact_list",
    "compact_sign_up",
    "compact_sign_up_existing",
    "directory",
    "flag_detail",
    "flag_list",
    "flag_reopen",
    "flag_waive",
    "flags_csv",
    "identifier_change_decide_view",
    "identifier_change_request_view",
    "identifier_changes",
    "organisations_import_view",
    "signatory_detail",
    "signatory_edit",
    "signature_withdraw",
]
