"""Funding relationships: the list, logging and editing, decisions and their explanations, and an organisation's
overview.

A short term (9.1), a late award (9.2) or a decline (9.3) without its explanation is saved once the officer
says so after the form's warning (``compact_portal.forms.FlagsGaps``), and listed on the relationship's page
with a link to add the explanation later."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from commitments.models import FlagStatus, Organisation, RecordType, RuleKey
from compact_portal.accounts.permissions import role_required
from compact_portal.accounts.roles import Role
from compact_portal.accounts.selectors import organisations_where
from compact_portal.forms import SERVICE_ERRORS, add_service_errors, all_valid, gaps_held
from compact_portal.one_time import announce, repeat_of
from compact_portal.pagination import page_of

from .. import selectors, services
from ..filters import FundingFilter
from ..forms import (
    RELATIONSHIP_FORM_FIELDS,
    DecisionExplainForm,
    DecisionForm,
    InitialDecisionForm,
    RelationshipForm,
)
from ..gaps import decision_gaps, relationship_gaps
from ..models import Decision, DecisionKind, FundingRelationship
from ._common import FUNDING_ROLES, LIST_PAGE_SIZE, relationship_to_change
from .monitoring import monitoring_section


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
    page, query = page_of(request, funding_filter.qs, per_page=LIST_PAGE_SIZE)
    return render(
        request,
        "funding/list.html",
        {
            "filter": funding_filter,
            "page_obj": page,
            "query": query,
            "funders": organisations_where(user=request.user, role=Role.OFFICER),
            "own_recipients": organisations_where(user=request.user, role=Role.VCS_MEMBER),
        },
    )


@role_required(Role.OFFICER)
def relationship_create(request):
    """An officer logs funding and, if it has been decided, the decision told to the organisation."""
    funders = organisations_where(user=request.user, role=Role.OFFICER)
    form = RelationshipForm(request.POST or None, funders=funders)
    decision_form = InitialDecisionForm(request.POST or None, prefix="decision", relationship_form=form)
    # Both forms are checked, and what the service would refuse too, so one post shows every mistake on the page.
    if request.method == "POST" and all_valid(form, decision_form) and not gaps_held(form, decision_form):
        fields = {name: form.cleaned_data[name] for name in RELATIONSHIP_FORM_FIELDS}
        decision = decision_form.cleaned_data
        try:
            relationship = services.relationship_log_with_decision(
                actor=request.user,
                today=timezone.localdate(),
                decision_kind=decision["kind"],
                told_date=decision["told_date"],
                rationale=decision["rationale"],
                justification=decision["justification"],
                feedback=decision["feedback"],
                **fields,
            )
        except SERVICE_ERRORS as error:
            add_service_errors(decision_form if isinstance(error, services.DecisionRefused) else form, error)
            decision_form.report_service_checks()  # a refused relationship stops the service before the decision
        else:
            messages.success(request, f"Funding {relationship.reference} is logged.")
            return redirect(relationship)
    return render(
        request,
        "funding/relationship_form.html",
        {
            "form": form,
            "decision_form": decision_form,
            "creating": True,
            "gaps": bool(form.gap_warnings or decision_form.gap_warnings),
        },
    )


@login_required
def relationship_detail(request, pk):
    today = timezone.localdate()
    try:
        relationship = selectors.relationship_detail(user=request.user, pk=pk)
    except FundingRelationship.DoesNotExist:
        raise Http404("No such funding") from None
    can_edit = selectors.relationships_editable_by(user=request.user).filter(pk=pk).exists()
    flags = list(selectors.relationship_flags(relationship=relationship, user=request.user))
    waived = [(flag.rule, flag.record_type, flag.record_id) for flag in flags if flag.status == FlagStatus.WAIVED]
    compact = relationship.compact
    return render(
        request,
        "funding/relationship_detail.html",
        {
            "relationship": relationship,
            "timeline": selectors.relationship_timeline(relationship=relationship, today=today, waived=waived),
            "invoices": [
                (
                    invoice,
                    selectors.invoice_verdict(invoice, compact.nation, today),
                    selectors.invoice_standing(
                        invoice,
                        today,
                        overdue_waived=(RuleKey.INVOICE_OVERDUE, RecordType.INVOICE, invoice.pk) in waived,
                    ),
                )
                for invoice in relationship.invoices.all()
            ],
            "term_standing": _term_standing(relationship),
            "can_edit": can_edit,
            "gaps": relationship_gaps(relationship),
            "flags": flags,
            "today": today,
            **monitoring_section(user=request.user, relationship=relationship),
        },
    )


def _term_standing(relationship) -> str:
    """9.1's verdict, as the dashboards count it: the award's term, once the funding has a start."""
    if not relationship.start_date:
        return ""
    awarded = [d for d in relationship.decisions.all() if d.kind == DecisionKind.AWARDED]
    return awarded[0].term_verdict if awarded else ""


@role_required(Role.OFFICER)
def relationship_edit(request, pk):
    relationship = relationship_to_change(request, pk)
    form = RelationshipForm(
        request.POST or None, instance=relationship, funders=organisations_where(user=request.user, role=Role.OFFICER)
    )
    if request.method == "POST" and form.is_valid() and not gaps_held(form):
        try:
            services.relationship_update(
                relationship=relationship,
                actor=request.user,
                today=timezone.localdate(),
                **{name: form.cleaned_data[name] for name in RELATIONSHIP_FORM_FIELDS},
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The funding details are saved.")
            return redirect(relationship)
    return render(
        request,
        "funding/relationship_form.html",
        {"form": form, "relationship": relationship, "gaps": bool(form.gap_warnings)},
    )


@role_required(Role.OFFICER)
def decision_create(request, pk):
    relationship = relationship_to_change(request, pk)
    allowed = services.DECISIONS_ALLOWED[relationship.status]
    form = DecisionForm(request.POST or None, relationship=relationship, allowed_kinds=allowed)
    if repeat_of(request, form, Decision):
        return redirect(relationship)
    if request.method == "POST" and form.is_valid() and not gaps_held(form):
        fields = {name: form.cleaned_data[name] for name in [*DecisionForm.Meta.fields, "submission_key"]}
        try:
            decision = services.decision_record(
                relationship=relationship, actor=request.user, today=timezone.localdate(), **fields
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            announce(request, decision, "The decision is recorded.")
            return redirect(relationship)
    return render(request, "funding/decision_form.html", {"form": form, "relationship": relationship})


@role_required(Role.OFFICER)
def decision_explain(request, pk):
    """Add the justification of a late award (9.2) or the feedback on a decline (9.3) after the decision was
    recorded; the funder's officers only."""
    decision = get_object_or_404(
        Decision.objects.filter(relationship__in=selectors.relationships_visible_to(user=request.user)), pk=pk
    )
    relationship = relationship_to_change(request, decision.relationship_id)
    if decision.kind not in DecisionExplainForm.EXPLAINED_BY:
        raise Http404("Only an award or a decline is explained here")
    form = DecisionExplainForm(request.POST or None, decision=decision, compact=relationship.compact)
    if request.method == "POST" and form.is_valid():
        try:
            services.decision_explain(decision=decision, actor=request.user, **form.cleaned_data)
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"The {', '.join(form.cleaned_data)} on the decision is saved.")
            return redirect(relationship)
    return render(
        request,
        "funding/decision_explain.html",
        {
            "form": form,
            "relationship": relationship,
            "decision": decision,
            "gaps": decision_gaps(decision, compact=relationship.compact),
        },
    )


@login_required
def recipient_overview(request, slug):
    """A VCS organisation's funding from every public body, on one page."""
    organisation = get_object_or_404(Organisation, slug=slug)
    own = organisation.memberships.filter(user=request.user, role=Role.VCS_MEMBER).exists()
    is_member = own or request.user.has_role(Role.ADMINISTRATOR)
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
            "own": own,  # a member: may tell its funders of a significant change (17.4)
            "today": today,
        },
    )
