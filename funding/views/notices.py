"""End, reduction and change notices, and the organisation's response (13.1–13.4)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format

from commitments.models import MeasurableRule, RecordType
from commitments.selectors import cite, flags_on_records
from compact_portal.accounts.permissions import role_required
from compact_portal.accounts.roles import Role
from compact_portal.forms import SERVICE_ERRORS, add_service_errors
from compact_portal.one_time import announce, repeat_of

from .. import selectors, services
from ..forms import (
    NoticeForm,
    NoticeResponseForm,
)
from ..gaps import improvement_timetable_warning
from ..models import Notice
from ._common import relationship_to_change


@role_required(Role.OFFICER)
def notice_create(request, pk):
    relationship = relationship_to_change(request, pk)
    probe = Notice(relationship=relationship, kind="end")
    form = NoticeForm(request.POST or None, compact=relationship.compact, reallocation_needed=probe.reallocation_needed)
    if notice := repeat_of(request, form, Notice):
        return redirect(notice)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.notice_record(
                relationship=relationship, actor=request.user, today=timezone.localdate(), **form.cleaned_data
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            announce(request, notice, "The notice is recorded.")
            if not notice.notice_period_met and not notice.already_recorded:
                messages.warning(
                    request,
                    f"This notice is shorter than the {relationship.compact.notice_months} months of "
                    f"{cite(compact=relationship.compact, rule=MeasurableRule.NOTICE_PERIOD)}: it could take effect "
                    f"on {date_format(notice.earliest_effective_date)} at the earliest. It will be flagged.",
                )
            if not notice.already_recorded and (warning := improvement_timetable_warning(notice=notice)):
                messages.warning(request, warning)
            return redirect(notice)
    return render(request, "funding/notice_form.html", {"form": form, "relationship": relationship})


def _notice_visible(request, pk: int) -> Notice:
    try:
        return selectors.notice_for(user=request.user, pk=pk)
    except Notice.DoesNotExist:
        raise Http404("No such notice") from None


@role_required(Role.OFFICER)
def notice_edit(request, pk):
    notice = _notice_visible(request, pk)
    relationship = relationship_to_change(request, notice.relationship_id)
    form = NoticeForm(
        request.POST or None,
        instance=notice,
        compact=relationship.compact,
        reallocation_needed=notice.reallocation_needed,
    )
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.notice_update(
                notice=notice, actor=request.user, today=timezone.localdate(), **form.cleaned_data
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The notice is saved.")
            if warning := improvement_timetable_warning(notice=notice):
                messages.warning(request, warning)
            return redirect(notice)
    return render(request, "funding/notice_form.html", {"form": form, "relationship": relationship, "notice": notice})


@login_required
def notice_detail(request, pk):
    """A notice, and for the organisation's members the form to respond while the window is open (13.4)."""
    today = timezone.localdate()
    notice = _notice_visible(request, pk)
    may_respond = selectors.may_respond_to(user=request.user, notice=notice)
    form = None
    if may_respond and notice.response_open(today):
        form = NoticeResponseForm(request.POST or None, initial={"response": notice.response})
        if request.method == "POST" and form.is_valid():
            try:
                services.notice_respond(
                    notice=notice, actor=request.user, response=form.cleaned_data["response"], today=today
                )
            except SERVICE_ERRORS as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Your response is sent to the funder.")
                return redirect(notice)
    elif request.method == "POST":
        raise PermissionDenied("You cannot respond to this notice.")
    return render(
        request,
        "funding/notice_detail.html",
        {
            "notice": notice,
            "relationship": notice.relationship,
            "flags": flags_on_records(records={RecordType.NOTICE: [notice.pk]}, user=request.user),
            "form": form,
            "may_respond": may_respond,
            "can_edit": selectors.relationships_editable_by(user=request.user)
            .filter(pk=notice.relationship_id)
            .exists(),
            "today": today,
        },
    )
