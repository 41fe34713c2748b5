"""Moving funding in and out: CSV import, CSV and 360Giving export, and the live deadline preview."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format

from commitments.models import Compact, Organisation
from compact_portal.accounts.permissions import role_required
from compact_portal.accounts.roles import Role
from compact_portal.accounts.selectors import organisations_where
from compact_portal.audit import audit_context, import_via
from compact_portal.csv_export import csv_response
from compact_portal.csv_import import database_failure_on_form, read_csv

from .. import rules, selectors
from ..exports import awards_csv_rows, giving360_package
from ..forms import DatesPreviewQuery, FundingImportForm
from ..services.imports import funding_import, import_via_label
from ._common import FUNDING_ROLES


@role_required(Role.OFFICER)
def funding_import_view(request):
    """Officers import their own body's funding from CSV; every bad row is listed and nothing is saved."""
    form = FundingImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            header, rows = read_csv(form.cleaned_data["file"].read())
        except ValidationError as error:
            form.add_error("file", error)
        else:
            kind = form.cleaned_data["kind"]
            via = import_via(import_via_label(kind), form.cleaned_data["file"].name)
            with audit_context(user=request.user, via=via), database_failure_on_form(form, via):
                result = funding_import(
                    kind=kind,
                    header=header,
                    rows=rows,
                    actor=request.user,
                    today=timezone.localdate(),
                    allowed_funder_ids=set(
                        organisations_where(user=request.user, role=Role.OFFICER).values_list("pk", flat=True)
                    ),
                )
    return render(request, "funding/import.html", {"form": form, "result": result})


def _awards_to_export(request):
    """Awards the person may see, narrowed to one compact or one funder by ?compact= or ?funder=."""
    awards = selectors.awards_for_export(user=request.user)
    label = "all"
    if request.GET.get("compact"):
        compact = get_object_or_404(Compact, slug=request.GET["compact"])
        awards, label = awards.filter(compact=compact), compact.slug
    if request.GET.get("funder"):
        funder = get_object_or_404(Organisation, slug=request.GET["funder"])
        awards, label = awards.filter(funder=funder), funder.slug
    return awards, label


@role_required(*FUNDING_ROLES)
def awards_csv(request):
    awards, label = _awards_to_export(request)
    return csv_response(f"funding-awards-{label}.csv", awards_csv_rows(awards))


@role_required(*FUNDING_ROLES)
def awards_360giving(request):
    awards, label = _awards_to_export(request)
    package = giving360_package(awards, data_source=request.build_absolute_uri())
    if not package["grants"]:  # the standard requires at least one grant in a package
        messages.info(request, "There are no awards to export yet.")
        return redirect("funding:list")
    response = HttpResponse(json.dumps(package, indent=2, ensure_ascii=False), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="360giving-{label}.json"'
    return response


@role_required(Role.OFFICER)
def dates_preview(request):
    """The deadlines a form will store, worked out as the officer types (see static/js/funding-dates.js)."""
    query = DatesPreviewQuery(request.GET, relationships=selectors.relationships_visible_to(user=request.user)).values()
    compact = query.get("compact") or getattr(query.get("relationship"), "compact", None)
    if compact is None:
        return JsonResponse({})

    computed = {}
    if expected_start := query.get("expected_start"):
        computed["decision_due_by"] = rules.decision_due_by(expected_start, months=compact.decision_lead_months)
    if start := query.get("start_date"):
        computed["minimum_end_date"] = rules.minimum_term_end(start, years=compact.min_funding_years)
    if received := query.get("received_date"):
        computed["pay_by"] = rules.payment_due_by(
            received, nation=compact.nation, working_days=compact.payment_working_days
        )
    if notice_date := query.get("notice_date"):
        computed["earliest_effective_date"] = rules.earliest_effective_date(notice_date, months=compact.notice_months)
    return JsonResponse({name: date_format(value, "l j F Y") for name, value in computed.items()})
