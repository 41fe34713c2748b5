"""Proposals that change funding, and the deadline planner (the Compact impact assessment of Nottinghamshire KP3.1):
the list, planning one, its page (the steps with their latest days, the organisations the change touches, going
ahead, withdrawing, steps done) and its one-page statement for the committee report (PDF).

Only the funder's officers see a proposal (``funding.selectors.proposals``, which the services ask too); to anyone
else it does not exist (404).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Min, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from commitments import planner
from compact_portal.accounts.permissions import role_required
from compact_portal.accounts.roles import Role
from compact_portal.forms import SERVICE_ERRORS, add_service_errors, service_error_messages
from compact_portal.one_time import announce, repeat_of
from compact_portal.pagination import page_of

from ..forms.proposals import ProposalForm, StepDoneForm
from ..models import Proposal, ProposalStatus, ProposalStep
from ..selectors import proposals as may
from ..services import proposals as services
from ..statement import render_statement, statement_filename
from ._common import LIST_PAGE_SIZE

STATUS_FILTERS = {"open": (ProposalStatus.DRAFT, ProposalStatus.GOING_AHEAD), **{s.value: (s,) for s in ProposalStatus}}


def _proposal_or_404(request, pk) -> Proposal:
    try:
        return may.proposal_detail(user=request.user, pk=pk)
    except Proposal.DoesNotExist:
        raise Http404("No such proposal") from None


def _form_querysets(user, proposal: Proposal | None = None) -> dict:
    funders = may.funders_planned_by(user=user)
    if proposal is not None:
        funders = funders.filter(pk=proposal.funder_id)
    return {
        "funders": funders,
        "compacts": may.compacts_of(funders=funders),
        "relationships": may.relationships_of_funders(funders=funders),
    }


@role_required(Role.OFFICER)
def proposal_list(request):
    """The body's proposals, the nearest day first, each with its next step not done and how many are late;
    filtered by status (open by default), in pages. Three queries whatever the number."""
    today = timezone.localdate()
    status = request.GET.get("status", "open")
    if status not in STATUS_FILTERS:
        status = "open"
    not_done = Q(steps__done_on__isnull=True) & ~Q(steps__key__in=_days_to_know())
    proposals = (
        may.proposals_visible_to(user=request.user)
        .filter(status__in=STATUS_FILTERS[status])
        .select_related("compact", "funder")
        .annotate(
            next_by=Min("steps__latest_by", filter=not_done),
            late=Count("steps", filter=not_done & Q(steps__latest_by__lt=today)),
        )
        .order_by("effective_date", "pk")
    )
    page, query = page_of(request, proposals, per_page=LIST_PAGE_SIZE)
    return render(
        request,
        "funding/proposals/list.html",
        {
            "page_obj": page,
            "query": query,
            "status": status,
            "statuses": [("open", "Open"), *ProposalStatus.choices],
            "today": today,
            "may_plan": may.compacts_of(funders=may.funders_planned_by(user=request.user)).exists(),
        },
    )


def _days_to_know() -> list[str]:
    return [step.key for step in planner.registered_steps() if not step.to_do]


@role_required(Role.OFFICER)
def proposal_create(request):
    """Plan a change: what, from which day, under which compact; the steps are worked out when it is saved."""
    querysets = _form_querysets(request.user)
    form = ProposalForm(request.POST or None, **querysets)
    if repeat_of(request, form, Proposal):
        return redirect("funding:proposal_list")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            proposal = services.proposal_create(
                actor=request.user,
                funder=data["funder"],
                today=timezone.localdate(),
                relationships=data["relationships"],
                submission_key=data.get("submission_key"),
                **{name: data[name] for name in ("title", "compact", "kind", "effective_date", "fixed_end", "notes")},
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            announce(request, proposal, "The proposal is saved with the latest day for each step.")
            return redirect(proposal)
    return render(
        request,
        "funding/proposals/form.html",
        {"form": form, "may_plan": querysets["compacts"].exists()},
    )


@login_required
def proposal_edit(request, pk):
    proposal = _proposal_or_404(request, pk)
    form = ProposalForm(
        request.POST or None,
        instance=proposal,
        initial={"relationships": list(proposal.relationships.all())},
        **_form_querysets(request.user, proposal),
    )
    if proposal.status == ProposalStatus.WITHDRAWN:
        messages.info(request, "This proposal was withdrawn; it can no longer be changed.")
        return redirect(proposal)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.proposal_update(
                proposal=proposal,
                actor=request.user,
                today=timezone.localdate(),
                **{name: data[name] for name in ProposalForm.Meta.fields},
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The proposal is saved; its steps follow what changed.")
            return redirect(proposal)
    return render(request, "funding/proposals/form.html", {"form": form, "proposal": proposal, "may_plan": True})


@login_required
def proposal_detail(request, pk):
    """The proposal: its steps with their latest days (late ones marked, done ones with their day), the funding it
    touches with each organisation's communities and the 19.5 equality duty, and what can be done next."""
    today = timezone.localdate()
    proposal = _proposal_or_404(request, pk)
    touched, chosen = may.touched(proposal)
    steps = list(proposal.steps.all())
    return render(
        request,
        "funding/proposals/detail.html",
        {
            "proposal": proposal,
            "steps": [(step, _standing(step, today), planner.step_to_do(step.key)) for step in steps],
            "touched": touched,
            "chosen": chosen,
            "equality_duty": any(row.equality_duty for row in touched),
            "open": proposal.status != ProposalStatus.WITHDRAWN,
            "done_form": StepDoneForm(initial={"done_on": today}),
            "today": today,
        },
    )


def _standing(step: ProposalStep, today) -> str:
    if step.done_on is not None:
        return "done"
    if not planner.step_to_do(step.key):
        return ""
    if step.latest_by < today:
        return "late"
    if step.latest_by == today:
        return "today"
    return ""


@require_POST
@login_required
def proposal_status(request, pk):
    """Go ahead with the proposal, or withdraw it (``action``)."""
    proposal = _proposal_or_404(request, pk)
    action = request.POST.get("action", "")
    try:
        if action == "go_ahead":
            services.proposal_go_ahead(proposal=proposal, actor=request.user)
            messages.success(request, "The proposal goes ahead: its steps not done are on your worklist and calendar.")
        elif action == "withdraw":
            services.proposal_withdraw(proposal=proposal, actor=request.user)
            messages.success(request, "The proposal is withdrawn; its steps have left the worklist.")
        else:
            messages.error(request, "Choose to go ahead with the proposal or to withdraw it.")
    except SERVICE_ERRORS as error:
        for message in service_error_messages(error):
            messages.error(request, message)
    return redirect(proposal)


@require_POST
@login_required
def proposal_step_done(request, pk):
    """Mark a step done on the day given (today by default), or not done after all (``undo``)."""
    step = get_object_or_404(
        ProposalStep.objects.filter(proposal__in=may.proposals_visible_to(user=request.user)), pk=pk
    )
    today = timezone.localdate()
    form = StepDoneForm(request.POST)
    if "undo" in request.POST:
        done_on = None
    elif form.is_valid():
        done_on = form.cleaned_data["done_on"] or today
    else:
        for message in form.errors.get("done_on", []):
            messages.error(request, message)
        return redirect(step.proposal)
    try:
        services.step_done(step=step, actor=request.user, today=today, done_on=done_on)
    except SERVICE_ERRORS as error:
        for message in service_error_messages(error):
            messages.error(request, message)
    else:
        messages.success(request, f"Marked {'done' if done_on else 'not done'}: {step.label}.")
    return redirect(step.proposal.get_absolute_url() + "#steps")


@login_required
def proposal_pdf(request, pk):
    """The one-page statement for the committee report (the Compact impact assessment), as a PDF download."""
    proposal = _proposal_or_404(request, pk)
    pdf = render_statement(proposal=proposal, today=timezone.localdate())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{statement_filename(proposal)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
