"""The disputes pages: raising a concern, the case pages and their steps, lists, and the public record."""

from .cases import case_action, case_detail, case_list, document_download, panel
from .raising import draft_discard, draft_document_remove, raise_choose, raise_concern
from .record import casework_record

__all__ = [
    "case_action",
    "case_detail",
    "case_list",
    "casework_record",
    "document_download",
    "draft_discard",
    "draft_document_remove",
    "panel",
    "raise_choose",
    "raise_concern",
]
