"""Compliance flags: the list champions and officers work from, one flag's page, waive and reopen.

Champions see their compacts' flags and decide them; officers see their own bodies' flags; administrators
see every flag. A flag the person may not see is a 404.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from compact_portal.accounts.permissions import role_required
from compact_portal.accounts.roles import Role
from compact_portal.csv_export import csv_response
from compact_portal.forms import SERVICE_ERRORS, add_service_errors, service_error_messages
from compact_portal.pagination import page_of

from .. import rulebook, selectors
from ..exports import flag_rows
from ..filters import FlagFilter
from ..forms import FlagDecisionForm
from ..models import Flag, FlagStatus
from ..services import flags as flag_services

FLAG_PAGE_SIZE = 25
FLAG_ROLES = (Role.CHAMPION, Role.OFFICER, Role.ADMINISTRATOR)

WAIVE_HELP = "Waiving accepts the justification you record here; the flag stays waived until someone reopens it."
REOPEN_HELP = "Reopening makes the flag open again; the next compliance check resolves it if the record is put right."


def _filtered(request, today):
    flags = selectors.flag_list(user=request.user).order_by("due_date", "pk")
    return FlagFilter(request.GET, queryset=flags, today=today)


@role_required(*FLAG_ROLES)
def flag_list(request):
    today = timezone.localdate()
    flag_filter = _filtered(request, today)
    page, query = page_of(request, flag_filter.qs, per_page=FLAG_PAGE_SIZE)
    links = rulebook.record_links(
        ((flag.record_type, flag.record_id, flag.record_label) for flag in page), user=request.user
    )
    rows = [(flag, links.get((flag.record_type, flag.record_id)), (today - flag.first_detected).days) for flag in page]
    return render(
        request,
        "commitments/flag_list.html",
        {"filter": flag_filter, "page_obj": page, "rows": rows, "query": query},
    )


@role_required(*FLAG_ROLES)
def flags_csv(request):
    """The list's flags, as filtered, in the ``export_flags`` columns."""
    flag_filter = _filtered(request, timezone.localdate())
    return csv_response("compliance-flags.csv", flag_rows(flag_filter.qs.iterator(chunk_size=2000)))


def _flag_or_404(request, pk) -> Flag:
    try:
        return selectors.flag_detail(user=request.user, pk=pk)
    except Flag.DoesNotExist:
        raise Http404("No such flag") from None


def _detail(request, flag: Flag, form: FlagDecisionForm | None = None):
    if form is None and selectors.may_decide_flag(user=request.user, flag=flag):
        if flag.is_live:
            form = FlagDecisionForm(submit="Waive this flag", help_text=WAIVE_HELP)
        elif flag.status == FlagStatus.WAIVED:
            form = FlagDecisionForm(submit="Reopen this flag", help_text=REOPEN_HELP)
    link = rulebook.record_links([(flag.record_type, flag.record_id, flag.record_label)], user=request.user)
    context = {
        "flag": flag,
        "rule": rulebook.rule(flag.rule),
        "record_link": link.get((flag.record_type, flag.record_id)),
        "form": form,
        "action": "commitments:flag_waive" if flag.is_live else "commitments:flag_reopen",
    }
    return render(request, "commitments/flag_detail.html", context)


@role_required(*FLAG_ROLES)
def flag_detail(request, pk):
    return _detail(request, _flag_or_404(request, pk))


def _decide(request, pk, service, submit: str, help_text: str, done: str):
    flag = _flag_or_404(request, pk)
    if not selectors.may_decide_flag(user=request.user, flag=flag):
        raise PermissionDenied("Only a champion of this flag's compact can change it.")
    form = FlagDecisionForm(request.POST, submit=submit, help_text=help_text)
    if form.is_valid():
        try:
            service(flag=flag, actor=request.user, reason=form.cleaned_data["reason"])
        except SERVICE_ERRORS as error:
            if not hasattr(error, "error_dict"):
                # The flag changed since the page was shown (another champion acted): say so, and show it as it is.
                for message in service_error_messages(error):
                    messages.error(request, message)
                return redirect(flag)
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect(flag)
    return _detail(request, flag, form)


@require_POST
@role_required(Role.CHAMPION)
def flag_waive(request, pk):
    return _decide(request, pk, flag_services.flag_waive, "Waive this flag", WAIVE_HELP, "The flag is waived.")


@require_POST
@role_required(Role.CHAMPION)
def flag_reopen(request, pk):
    return _decide(request, pk, flag_services.flag_reopen, "Reopen this flag", REOPEN_HELP, "The flag is open again.")
