"""The audit trail page in the admin (``/admin/audit/``): every change, newest first, with its filters.

The admin site serves it (``PortalAdminSite.get_urls``), so only administrators open it; the reads are in
``compact_portal/selectors/audit.py``.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse

from .forms import DATE_INPUT, PlausibleDates
from .selectors.audit import ACTION_CHOICES, AuditFilters, audit_entries, kind_choices

PAGE_SIZES = (25, 50)


class AuditFilterForm(PlausibleDates, forms.Form):
    # Read from the registry each time a form is made, so the choices never depend on when this module is imported.
    kind = forms.ChoiceField(
        label="Kind of record", required=False, choices=lambda: [("", "Every kind"), *kind_choices()]
    )
    person = forms.CharField(label="Person's e-mail contains", required=False, max_length=254)
    date_from = forms.DateField(label="From", required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label="To", required=False, widget=DATE_INPUT)
    action = forms.ChoiceField(label="Action", required=False, choices=[("", "Any action"), *ACTION_CHOICES])
    per_page = forms.TypedChoiceField(
        label="Changes a page",
        required=False,
        choices=[(size, str(size)) for size in PAGE_SIZES],
        coerce=int,
        empty_value=PAGE_SIZES[0],
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", ValidationError("The end date must not be before the start date."))
            cleaned.pop("date_to", None)
        return cleaned


def _page_number(raw: str | None) -> int:
    try:
        return max(int(raw or 1), 1)
    except ValueError:
        return 1


def audit_trail(request, site):
    """The audit trail: the filters that are valid apply (a wrong one is shown with its error)."""
    form = AuditFilterForm(request.GET or None)
    form.is_valid()  # fills cleaned_data with every valid field
    data = getattr(form, "cleaned_data", {})
    filters = AuditFilters(
        kind=data.get("kind") or "",
        person=(data.get("person") or "").strip(),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        action=data.get("action") or "",
    )
    per_page = data.get("per_page") or PAGE_SIZES[0]
    page = _page_number(request.GET.get("page"))
    entries, more = audit_entries(filters=filters, viewer=request.user, offset=(page - 1) * per_page, limit=per_page)

    def link_to(number: int) -> str:
        query = request.GET.copy()
        query["page"] = str(number)
        return f"?{query.urlencode()}"

    context = {
        **site.each_context(request),
        "title": "Audit trail",
        "form": form,
        "entries": entries,
        "page_number": page,
        "newer_url": link_to(page - 1) if page > 1 else None,
        "older_url": link_to(page + 1) if more else None,
    }
    return TemplateResponse(request, "admin/audit_trail.html", context)
