"""An organisation keeps its own directory entry: its members edit it and ask to change its registration numbers;
administrators decide those requests. Another organisation's entry is 404 (``selectors.entries_editable_by``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from compact_portal.accounts.permissions import role_required
from compact_portal.accounts.roles import Role
from compact_portal.forms import SERVICE_ERRORS, add_service_errors
from compact_portal.one_time import announce, repeat_of

from .. import selectors
from ..forms import EntryForm, IdentifierChangeForm, IdentifierDecisionForm
from ..models import IdentifierChange, IdentifierChangeStatus, Organisation
from ..services.entries import (
    ENTRY_FIELDS,
    IDENTIFIERS,
    identifier_change_decide,
    identifier_change_request,
    org_id_with,
)
from ..services.entries import organisation_entry_update as entry_update


def _entry(request, slug, *related: str) -> Organisation:
    return get_object_or_404(selectors.entries_editable_by(user=request.user).prefetch_related(*related), slug=slug)


@login_required
def signatory_edit(request, slug):
    """The organisation's members (and administrators) edit its directory entry."""
    organisation = _entry(request, slug, "services", "communities")
    form = EntryForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = entry_update(
                organisation=organisation,
                actor=request.user,
                services=data["services"],
                communities=data["communities"],
                **{name: data[name] for name in ENTRY_FIELDS},
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            if saved.changed_fields:
                messages.success(request, f"The directory entry is saved: {', '.join(saved.changed_fields)}.")
            else:
                messages.info(request, "Nothing had changed, so nothing was saved.")
            return redirect(saved)
    return render(
        request,
        "commitments/signatory_edit.html",
        {
            "organisation": organisation,
            "form": form,
            "identifier_change": selectors.latest_identifier_change(organisation=organisation),
        },
    )


@login_required
def identifier_change_request_view(request, slug):
    """A member asks an administrator to change the organisation's registration numbers."""
    organisation = _entry(request, slug)
    initial = {
        "charity_number": organisation.charity_number,
        "scottish_charity_number": organisation.scottish_charity_number,
        "company_number": organisation.company_number,
    }
    form = IdentifierChangeForm(request.POST or None, initial=initial)
    if repeat_of(request, form, IdentifierChange):
        return redirect("commitments:signatory_edit", organisation.slug)
    waiting = organisation.identifier_changes.filter(status=IdentifierChangeStatus.PENDING).first()
    if request.method == "POST" and form.is_valid():
        try:
            change = identifier_change_request(organisation=organisation, actor=request.user, **form.cleaned_data)
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            announce(request, change, "Your request is sent. An administrator will check the numbers.")
            return redirect("commitments:signatory_edit", organisation.slug)
    return render(
        request,
        "commitments/identifier_change_request.html",
        {"organisation": organisation, "form": form, "waiting": waiting},
    )


@role_required(Role.ADMINISTRATOR)
def identifier_changes(request):
    """Requests to change registration numbers waiting for an administrator."""
    return render(request, "commitments/identifier_changes.html", {"changes": selectors.identifier_changes_to_decide()})


@role_required(Role.ADMINISTRATOR)
def identifier_change_decide_view(request, pk):
    change = get_object_or_404(IdentifierChange.objects.select_related("organisation", "requested_by"), pk=pk)
    form = IdentifierDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            identifier_change_decide(change=change, actor=request.user, approve=approve, note=form.cleaned_data["note"])
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            done = "approved: the directory shows the new numbers" if approve else "refused: the numbers are kept"
            messages.success(request, f"The change for {change.organisation} is {done}.")
            return redirect("commitments:identifier_changes")
    organisation = change.organisation
    return render(
        request,
        "commitments/identifier_change_decide.html",
        {
            "change": change,
            "organisation": organisation,
            "form": form,
            "org_id_after": org_id_with(
                organisation=organisation, numbers={name: getattr(change, name) for name in IDENTIFIERS}
            ),
            "rows": [
                (label, getattr(organisation, name), getattr(change, name))
                for name, label in (
                    ("charity_number", "Charity number (England and Wales)"),
                    ("scottish_charity_number", "Scottish charity number"),
                    ("company_number", "Company number"),
                )
            ],
        },
    )
