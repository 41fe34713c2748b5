"""Champions' dashboards, signatories' scorecards ("Compact health check"), the records behind each figure,
and the compliance reports for Local Strategic Partnership meetings.

Administrators and the compact's champions see its dashboard and reports; an organisation's own members
see its scorecard too. For everyone else these pages do not exist (404).
"""

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from compact_portal.accounts.permissions import may_open
from compact_portal.csv_export import csv_response, safe_cell
from compact_portal.figures import Verdict
from compact_portal.forms import SERVICE_ERRORS, add_service_errors
from compact_portal.one_time import announce, repeat_of
from compact_portal.pagination import page_of
from compact_portal.periods import Period, PeriodError
from compact_portal.uploads import attachment_response

from .. import figures as registry
from .. import rulebook
from ..figures import Listing
from ..forms import PeriodForm, ReportRequestForm
from ..models import Compact, ComplianceReport, ReportStatus, Side, Signature
from ..reporting.pdf import REPORT_TABLES, report_tables
from ..reporting.tables import (
    Group,
    action_plan_tables,
    breakdown_tables,
    flags_url,
    funding_practice_tables,
    headline_table,
    health_check_sections,
    other_figures_table,
    signatories_table,
    summary,
    trend_tables,
)
from ..rulebook import PORTAL_DEFAULT
from ..selectors import commitments_carrying_rules
from ..selectors import dashboard as selectors
from ..services.reports import report_request

RECORDS_PAGE_SIZE = 50
REPORTS_SHOWN = 20


def _compact_or_404(request, slug) -> Compact:
    try:
        return selectors.dashboard_compact(user=request.user, slug=slug)
    except Compact.DoesNotExist:
        raise Http404("No such compact dashboard") from None


def _period_form(request, today):
    form = PeriodForm(request.GET or None, today=today)
    if form.is_bound:
        form.is_valid()  # errors are shown; the period stays the default until it is valid
    return form


def _figures_page(request, template, *, compact, today, organisation=None, extra=None):
    form = _period_form(request, today)
    figures = selectors.compact_figures(
        compact=compact,
        period=form.period,
        today=today,
        step=form.cleaned_data.get("step") if form.is_bound and not form.errors else None,
        organisation=organisation,
    )
    sees_flags = may_open(request.user, "commitments:flag_list")  # a health check's readers may not have the list
    context = {
        "compact": compact,
        "form": form,
        "figures": figures,
        "breakdowns": Group("Flags, disputes and funding", breakdown_tables(figures, flag_links=sees_flags)),
        "years": form.fields["year"].choices,
        "steps": selectors.TREND_STEPS,
        "flags_url": flags_url(figures) if sees_flags else "",
        "funding_practice": funding_practice_tables(figures),
        "action_plan": Group("Action plan", action_plan_tables(figures)),
    }
    if organisation is None:  # the dashboard: the compact's promises
        context |= {
            "summary": summary(figures),
            "headline": headline_table(figures),
            "signatories": signatories_table(figures),
            "trends": Group("Trends", trend_tables(figures), group_empty=True),
        }
    else:  # a health check: the promises the organisation made, and those made to it
        context |= {
            "sections": health_check_sections(figures),
            "others": other_figures_table(figures),
            "trends": Group("Payments and concerns", trend_tables(figures, [], others=True), group_empty=True),
        }
    return render(request, template, context | (extra or {}))


@login_required
def dashboard(request, slug):
    today = timezone.localdate()
    return _figures_page(request, "commitments/dashboard.html", compact=_compact_or_404(request, slug), today=today)


@login_required
def scorecard(request, slug, organisation_slug):
    """The Compact health check of one signatory: the dashboard's figures for its part only."""
    try:
        signature = selectors.scorecard_signature(user=request.user, slug=slug, organisation_slug=organisation_slug)
    except Signature.DoesNotExist:
        raise Http404("No such scorecard") from None
    today = timezone.localdate()
    return _figures_page(
        request,
        "commitments/scorecard.html",
        compact=signature.compact,
        today=today,
        organisation=signature.organisation,
        extra={"signature": signature, "organisation": signature.organisation},
    )


SIGNATORIES_TITLE = "Signatories"
SIGNATORIES_LISTING = Listing("signatories", ("organisation",), ("organisation__name", "pk"))
NARROWING = ("stage", "mechanism", "funder")


def _figure(key: str):
    """The registered figure (or the signatories' list); None for a key that names neither."""
    if key == "signatories":
        return None
    try:
        return registry.figure(key)
    except KeyError:
        raise Http404("No such figure") from None


@login_required
def figure_records(request, slug, key):
    """The records behind one figure for a period, each with its verdict: ``?start=&end=`` (both needed),
    optionally ``verdict=kept|explained|broken``, ``organisation=`` (a health check's figure) with ``role=``
    (``promiser``: its own promises; ``recipient``: those made to it), and ``side``, ``stage``, ``mechanism`` or
    ``funder``."""
    figure = _figure(key)
    organisation_slug = request.GET.get("organisation", "")
    if organisation_slug:
        try:
            signature = selectors.scorecard_signature(user=request.user, slug=slug, organisation_slug=organisation_slug)
        except Signature.DoesNotExist:
            raise Http404("No such scorecard") from None
        compact, organisation = signature.compact, signature.organisation
    else:
        compact, organisation = _compact_or_404(request, slug), None
    try:
        period = Period(
            datetime.date.fromisoformat(request.GET.get("start", "")),
            datetime.date.fromisoformat(request.GET.get("end", "")),
        )
    except ValueError as error:  # PeriodError is a ValueError; so is a missing or mistyped date
        message = str(error) if isinstance(error, PeriodError) else "Give the period's first and last days."
        return render(request, "commitments/figure_records.html", {"compact": compact, "error": message}, status=400)
    verdict = request.GET.get("verdict", "")
    verdict = verdict if verdict in Verdict.values else ""
    role = request.GET.get("role", "")
    role = role if organisation is not None and role in (registry.PROMISER, registry.RECIPIENT) else ""
    narrowing = {name: request.GET.get(name, "") for name in ("side", *NARROWING)}
    records = selectors.figure_records(
        key=key, compact=compact, period=period, verdict=verdict, organisation=organisation, role=role, **narrowing
    )
    listing = figure.listing if figure else SIGNATORIES_LISTING
    order = listing.sorts.get(request.GET.get("sort", ""), listing.order)
    records = records.select_related(*listing.related).order_by(*order)
    page, query = page_of(request, records, per_page=RECORDS_PAGE_SIZE)
    ids = [record.pk for record in page]
    openable = rulebook.records_opening_for(listing.record_type, request.user, ids) if listing.record_type else ids
    keep = {name: value for name, value in request.GET.items() if name in ("start", "end", "organisation", "role")}
    return render(
        request,
        "commitments/figure_records.html",
        {
            "compact": compact,
            "organisation": organisation,
            "key": key,
            "kind": listing.kind,
            "kept_or_broken": figure is not None and figure.is_promise,
            "title": figure.records_title if figure else SIGNATORIES_TITLE,
            "clause": _clause(compact, figure),
            "period": period,
            "verdict": verdict,
            "verdicts": Verdict.choices,
            "base_query": urlencode(keep),
            "role": role,
            "narrowing": {name: value for name, value in narrowing.items() if value},
            "side_label": Side(narrowing["side"]).label if narrowing["side"] in Side.values else "",
            "page_obj": page,
            "openable": set(openable),  # the records whose own page opens for the reader
            "query": query,
        },
    )


def _clause(compact, figure) -> str:
    """The compact's clause for the promise a figure measures, or the portal's default; blank for a count."""
    if figure is None or figure.rule is None:
        return ""
    cited = {rule: code for (_id, rule), (code, _pk) in commitments_carrying_rules(compact=compact).items()}
    return cited.get(figure.rule, PORTAL_DEFAULT)


# --- Compliance reports ----------------------------------------------------------------------------


@login_required
def reports(request, slug):
    """Ask for a report (POST) and see the compact's earlier ones."""
    compact = _compact_or_404(request, slug)
    today = timezone.localdate()
    form = ReportRequestForm(request.POST or None, today=today, default=Period.quarter_of(today).previous())
    if report := repeat_of(request, form, ComplianceReport):
        return redirect("commitments:report_detail", pk=report.pk)
    if request.method == "POST" and form.is_valid():
        try:
            report = report_request(
                compact=compact,
                period=form.period,
                meeting=form.cleaned_data["meeting"],
                requested_by=request.user,
                submission_key=form.cleaned_data["submission_key"],
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            announce(request, report, f"Your report for {form.period.label} is queued; this page shows its progress.")
            return redirect("commitments:report_detail", pk=report.pk)
    return render(
        request,
        "commitments/reports.html",
        {
            "compact": compact,
            "form": form,
            "reports": selectors.reports_of(compact=compact)[:REPORTS_SHOWN],
            "years": form.fields["year"].choices,
        },
        status=400 if form.errors else 200,
    )


def _report_or_404(request, pk) -> ComplianceReport:
    try:
        return selectors.report_for(user=request.user, pk=pk)
    except ComplianceReport.DoesNotExist:
        raise Http404("No such report") from None


@login_required
def report_detail(request, pk):
    report = _report_or_404(request, pk)
    return render(
        request,
        "commitments/report_detail.html",
        {
            "report": report,
            "compact": report.compact,
            "tables": REPORT_TABLES,
            "waiting": report.status in (ReportStatus.QUEUED, ReportStatus.RENDERING),
            "poll_seconds": settings.REPORT_STATUS_POLL_SECONDS,
        },
    )


@login_required
def report_download(request, pk):
    report = _report_or_404(request, pk)
    if report.status != ReportStatus.READY:
        raise Http404("The report is not ready")
    return attachment_response(report.pdf, filename=report.download_name, content_type="application/pdf")


@login_required
def report_table_csv(request, pk, table):
    """One table of the report, as CSV, counted now for the report's compact and period."""
    report = _report_or_404(request, pk)
    tables = {
        t.slug: t for t in report_tables(compact=report.compact, period=report.period, today=timezone.localdate())
    }
    if table not in tables:
        raise Http404("No such table")
    chosen = tables[table]
    rows = [chosen.columns, *([_csv_cell(cell) for cell in row] for row in chosen.rows)]
    return csv_response(f"{report.compact.slug}-{report.period_start}-{report.period_end}-{table}.csv", rows)


def _csv_cell(cell) -> str:
    if isinstance(cell, datetime.date):
        return cell.isoformat()
    return safe_cell(cell)
