"""Consultation pages: request → form → service or selector → template.

A consultation or response the person may not see is a 404 (its existence is not revealed).
"""

from .manage import (
    consultation_create,
    consultation_edit,
    consultation_extend,
    consultation_publish,
    document_add,
    feedback_publish,
    manage_list,
    responses_csv,
    responses_list,
)
from .public import detail, document_download, register
from .respond import alert_preferences, attachment_download, attachment_remove, my_responses, respond

__all__ = [
    "alert_preferences",
    "attachment_download",
    "attachment_remove",
    "consultation_create",
    "consultation_edit",
    "consultation_extend",
    "consultation_publish",
    "detail",
    "document_add",
    "document_download",
    "feedback_publish",
    "manage_list",
    "my_responses",
    "register",
    "respond",
    "responses_csv",
    "responses_list",
]
