"""Funding pages: request → form → service or selector → template.

A record the person may not see is a 404 (its existence is not revealed); a record they may see
but not change is a 403.
"""

import datetime
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format

from commitments.models import Compact, Organisation
from compact_portal.accounts.permissions import role_required
from compact_portal.accounts.roles import Role
from compact_portal.csv_export import csv_response
from compact_portal.csv_import import read_csv

from . import rules, selectors, services
from .exports import awards_csv_rows, giving360_package
from .filters import FundingFilter
from .forms import (
    RELATIONSHIP_FORM_FIELDS,
    DecisionForm,
    FundingImportForm,
    InitialDecisionForm,
    InvoiceForm,
    NoticeForm,
    NoticeResponseForm,
    PaymentForm,
    RelationshipForm,
)
from .models import FundingRelationship, Invoice, Notice
from .services.imports import funding_import

LIST_PAGE_SIZE = 25
FUNDING_ROLES = (Role.OFFICER, Role.VCS_MEMBER, Role.CHAMPION, Role.ADMINISTRATOR)


def _add_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the field it names, or at the top."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error)


def _relationship_to_change(request, pk: int) -> FundingRelationship:
    relationship = get_object_or_404(
        selectors.relationships_visible_to(user=request.user).select_related("compact", "funder", "recipient"), pk=pk
    )
    if not selectors.relationships_editable_by(user=request.user).filter(pk=pk).exists():
        raise PermissionDenied("Only the funder's officers can change its funding records.")
    return relationship


@role_required(*FUNDING_ROLES)
def relationship_list(request):
    """Funding the person may see, with filters, sort and pages."""
    today = timezone.localdate()
    visible = selectors.relationship_list(user=request.user, today=today)
    funding_filter = FundingFilter(
        request.GET,
        queryset=visible.order_by("-expected_start", "reference"),
        funders=Organisation.objects.filter(pk__in=visible.values("funder")),
        recipients=Organisation.objects.filter(pk__in=visible.values("recipient")),
    )
    page = Paginator(funding_filter.qs, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "funding/list.html",
        {
            "filter": funding_filter,
            "page_obj": page,
            "query": query.urlencode(),
            "funders": selectors.funders_for(user=request.user),
            "own_recipients": Organisation.objects.filter(
                memberships__user=request.user, memberships__role=Role.VCS_MEMBER
            ).distinct(),
        },
    )


@role_required(Role.OFFICER)
def relationship_create(request):
    """An officer logs funding and, if it has been decided, the decision told to the organisation."""
    funders = selectors.funders_for(user=request.user)
    form = RelationshipForm(request.POST or None, funders=funders)
    decision_form = InitialDecisionForm(request.POST or None, prefix="decision")
    if request.method == "POST" and form.is_valid() and decision_form.is_valid():
        fields = {name: form.cleaned_data[name] for name in RELATIONSHIP_FORM_FIELDS}
        decision = decision_form.cleaned_data
        try:
            with transaction.atomic():
                relationship = services.relationship_create(actor=request.user, **fields)
                if decision["kind"]:
                    try:
                        services.decision_record(
                            relationship=relationship,
                            actor=request.user,
                            kind=decision["kind"],
                            told_date=decision["told_date"],
                            rationale=decision["rationale"],
                            justification=decision["justification"],
                            feedback=decision["feedback"],
                        )
                    except ValidationError as error:
                        _add_errors(decision_form, error)
                        raise
        except ValidationError as error:
            if not decision_form.errors:
                _add_errors(form, error)
        else:
            messages.success(request, f"Funding {relationship.reference} is logged.")
            return redirect(relationship)
    return render(
        request, "funding/relationship_form.html", {"form": form, "decision_form": decision_form, "creating": True}
    )


@login_required
def relationship_detail(request, pk):
    today = timezone.localdate()
    try:
        relationship = selectors.relationship_detail(user=request.user, pk=pk)
    except FundingRelationship.DoesNotExist:
        raise Http404("No such funding") from None
    can_edit = selectors.relationships_editable_by(user=request.user).filter(pk=pk).exists()
    compact = relationship.compact
    return render(
        request,
        "funding/relationship_detail.html",
        {
            "relationship": relationship,
            "timeline": selectors.relationship_timeline(relationship=relationship, today=today),
            "invoices": [
                (
                    invoice,
                    selectors.invoice_verdict(invoice, compact.nation, today),
                    selectors.invoice_kept(invoice, today),
                )
                for invoice in relationship.invoices.all()
            ],
            "can_edit": can_edit,
            "today": today,
        },
    )


@role_required(Role.OFFICER)
def relationship_edit(request, pk):
    relationship = _relationship_to_change(request, pk)
    form = RelationshipForm(
        request.POST or None, instance=relationship, funders=selectors.funders_for(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.relationship_update(
                relationship=relationship,
                actor=request.user,
                **{name: form.cleaned_data[name] for name in RELATIONSHIP_FORM_FIELDS},
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "The funding details are saved.")
            return redirect(relationship)
    return render(request, "funding/relationship_form.html", {"form": form, "relationship": relationship})


@role_required(Role.OFFICER)
def decision_create(request, pk):
    relationship = _relationship_to_change(request, pk)
    allowed = services.DECISIONS_ALLOWED[relationship.status]
    form = DecisionForm(request.POST or None, allowed_kinds=allowed)
    if request.method == "POST" and form.is_valid():
        try:
            services.decision_record(relationship=relationship, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "The decision is recorded.")
            return redirect(relationship)
    return render(request, "funding/decision_form.html", {"form": form, "relationship": relationship})


@role_required(Role.OFFICER)
def invoice_create(request, pk):
    relationship = _relationship_to_change(request, pk)
    form = InvoiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invoice = services.invoice_record(relationship=relationship, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, f"Invoice {invoice.invoice_number} is recorded. Pay it by {date_format(invoice.pay_by)}."
            )
            return redirect(relationship)
    return render(request, "funding/invoice_form.html", {"form": form, "relationship": relationship})


def _invoice_to_change(request, pk: int) -> Invoice:
    try:
        invoice = selectors.invoice_for(user=request.user, pk=pk)
    except Invoice.DoesNotExist:
        raise Http404("No such invoice") from None
    _relationship_to_change(request, invoice.relationship_id)
    return invoice


@role_required(Role.OFFICER)
def invoice_edit(request, pk):
    invoice = _invoice_to_change(request, pk)
    form = InvoiceForm(request.POST or None, instance=invoice)
    if request.method == "POST" and form.is_valid():
        try:
            invoice = services.invoice_update(invoice=invoice, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, f"Invoice {invoice.invoice_number} is saved. Pay it by {date_format(invoice.pay_by)}."
            )
            return redirect(invoice.relationship)
    return render(
        request, "funding/invoice_form.html", {"form": form, "relationship": invoice.relationship, "invoice": invoice}
    )


@role_required(Role.OFFICER)
def payment_create(request, pk):
    invoice = _invoice_to_change(request, pk)
    form = PaymentForm(request.POST or None, initial={"amount": invoice.outstanding})
    if request.method == "POST" and form.is_valid():
        try:
            services.payment_record(invoice=invoice, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"The payment on invoice {invoice.invoice_number} is recorded.")
            return redirect(invoice.relationship)
    return render(
        request, "funding/payment_form.html", {"form": form, "invoice": invoice, "relationship": invoice.relationship}
    )


@role_required(Role.OFFICER)
def notice_create(request, pk):
    relationship = _relationship_to_change(request, pk)
    probe = Notice(relationship=relationship, kind="end")
    form = NoticeForm(request.POST or None, reallocation_needed=probe.reallocation_needed)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.notice_record(relationship=relationship, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "The notice is recorded.")
            if not notice.notice_period_met:
                messages.warning(
                    request,
                    f"This notice is shorter than the compact's {relationship.compact.notice_months} months "
                    f"(commitment 13.3): it could take effect on {date_format(notice.earliest_effective_date)} "
                    "at the earliest. It will be flagged.",
                )
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
    relationship = _relationship_to_change(request, notice.relationship_id)
    form = NoticeForm(request.POST or None, instance=notice, reallocation_needed=notice.reallocation_needed)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.notice_update(notice=notice, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "The notice is saved.")
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
            except ValidationError as error:
                _add_errors(form, error)
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
            "form": form,
            "may_respond": may_respond,
            "can_edit": selectors.relationships_editable_by(user=request.user)
            .filter(pk=notice.relationship_id)
            .exists(),
            "today": today,
        },
    )


@login_required
def recipient_overview(request, slug):
    """A VCS organisation's funding from every public body, on one page."""
    organisation = get_object_or_404(Organisation, slug=slug)
    is_member = (
        request.user.has_role(Role.ADMINISTRATOR)
        or organisation.memberships.filter(user=request.user, role=Role.VCS_MEMBER).exists()
    )
    relationships = selectors.funding_summary_for_recipient(user=request.user, organisation=organisation)
    if not is_member and not relationships.exists():
        raise Http404("No such organisation's funding")
    today = timezone.localdate()
    return render(
        request,
        "funding/recipient_overview.html",
        {
            "organisation": organisation,
            "relationships": relationships,
            "open_invoices": selectors.open_invoices_for_recipient(user=request.user, organisation=organisation),
            "notices": selectors.notices_for_recipient(user=request.user, organisation=organisation),
            "today": today,
        },
    )


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
            result = funding_import(
                kind=form.cleaned_data["kind"],
                header=header,
                rows=rows,
                actor=request.user,
                allowed_funder_ids=set(selectors.funders_for(user=request.user).values_list("pk", flat=True)),
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
    compact = Compact.objects.filter(pk=request.GET.get("compact") or None).first()
    if compact is None and request.GET.get("relationship"):
        relationship = selectors.relationships_visible_to(user=request.user).filter(pk=request.GET["relationship"])
        compact = Compact.objects.filter(funding_relationships__in=relationship).first()
    if compact is None:
        return JsonResponse({})

    def date_param(name):
        try:
            return datetime.date.fromisoformat(request.GET.get(name, ""))
        except ValueError:
            return None

    computed = {}
    if expected_start := date_param("expected_start"):
        computed["decision_due_by"] = rules.decision_due_by(expected_start, months=compact.decision_lead_months)
    if start := date_param("start_date"):
        computed["minimum_end_date"] = rules.minimum_term_end(start, years=compact.min_funding_years)
    if received := date_param("received_date"):
        computed["pay_by"] = rules.payment_due_by(
            received, nation=compact.nation, working_days=compact.payment_working_days
        )
    if notice_date := date_param("notice_date"):
        computed["earliest_effective_date"] = rules.earliest_effective_date(notice_date, months=compact.notice_months)
    return JsonResponse({name: date_format(value, "l j F Y") for name, value in computed.items()})
