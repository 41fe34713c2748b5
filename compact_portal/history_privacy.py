"""What the history of a record never shows: the private fields of each model, declared once.

django-simple-history keeps every version of a tracked record, private words included. Two pages show those
versions to administrators: the admin's History page of a record (``PrivateHistoryAdmin`` below, the base of
every admin with a History button) and the audit trail (``compact_portal/selectors/audit.py``). Both read
``private_fields``: a change to a private field is shown as changed, with ``NOT_SHOWN`` before and after, and
its value appears on no form of a past version. A model whose words are private gets a line in
``PRIVATE_FIELDS``; ``tests/compact_portal/test_history_privacy.py`` fails when one of its text fields is
missing, or when an admin with a History button does not honour the list.
"""

from collections.abc import Mapping

from django.db import models
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

NOT_SHOWN = "(not shown)"

# Concerns, responses and case notes are read by the people in the case or the consultation only; the admin
# may record that they changed, never what they say. File names can say as much as the files.
PRIVATE_FIELDS: Mapping[str, frozenset[str]] = {
    "consultations.response": frozenset({"text", "how_gathered"}),
    "consultations.responseattachment": frozenset({"original_name"}),
    "disputes.concern": frozenset(
        {
            "what_happened",
            "outcome_sought",
            "formal_extension_reason",
            "formal_response",
            "formal_outcome_reasons",
            "appeal_grounds",
            "outcome_reasons",
            "lessons_learned",
        }
    ),
    "disputes.casedocument": frozenset({"original_name"}),
    "disputes.caseevent": frozenset({"text", "attendees"}),  # notes, steps' reasons, meetings' notes and attendees
    # A token's digest lets no one sign in, but there is nothing to learn from it either.
    "accounts.apitoken": frozenset({"digest"}),
}


def private_fields(model: type[models.Model]) -> frozenset[str]:
    """The private fields of ``model`` (a tracked model or its historical model)."""
    model = getattr(model, "instance_type", model)  # a historical model names the model it records
    return PRIVATE_FIELDS.get(model._meta.label_lower, frozenset())


class _PrivateFieldsContextHelper(HistoricalRecordContextHelper):
    """Formats one version's changes on the admin's History page, private fields as ``NOT_SHOWN``."""

    def prepare_delta_change_value(self, change, value):
        if change.field in private_fields(self.model):
            return NOT_SHOWN
        return super().prepare_delta_change_value(change, value)


class PrivateHistoryAdmin(SimpleHistoryAdmin):
    """An admin with a History button that honours ``PRIVATE_FIELDS``: its History page lists a private field's
    changes as ``(not shown)``, and neither the record's form nor a past version's shows the field."""

    def get_historical_record_context_helper(self, request, historical_record):
        return _PrivateFieldsContextHelper(self.model, historical_record)

    def get_history_list_display(self, request):
        hidden = private_fields(self.model)
        return [name for name in super().get_history_list_display(request) if name not in hidden]

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or ())
        return excluded + sorted(private_fields(self.model) - set(excluded))
