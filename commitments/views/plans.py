"""A compact's action plan and its reviews: the plan with its filters, an action's page with its progress notes,
the forms that keep them, and the reviews.

Who may do what comes from ``commitments.selectors.plans`` (the services ask the same): everyone signed in sees the
plan, the public too unless the compact keeps it private; the compact's champions and administrators edit it and
record reviews; an action's lead updates its status and adds notes. A page the person may not use is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from compact_portal.forms import SERVICE_ERRORS, add_service_errors
from compact_portal.one_time import announce, repeat_of
from compact_portal.pagination import page_of

from ..forms import ActionStatusForm, ObjectiveForm, PlanActionForm, PlanFilterForm, ProgressNoteForm, ReviewForm
from ..models import Compact, Objective, PlanAction, ProgressNote, Review
from ..selectors import plans as selectors
from ..services import plans as services

REVIEWS_PAGE_SIZE = 20


def _compact_seen(request, slug) -> tuple[Compact, selectors.PlanAccess]:
    """The compact, if ``request.user`` may see its plan; 404 otherwise."""
    compact = Compact.objects.filter(slug=slug).first()
    if compact is None:
        raise Http404("No such compact")
    access = selectors.plan_access(user=request.user, compact=compact)
    if not access.see:
        raise Http404("This compact's action plan is not public")
    return compact, access


def _compact_edited(request, slug) -> Compact:
    """The compact, if ``request.user`` may edit its plan; 404 otherwise."""
    compact, access = _compact_seen(request, slug)
    if not access.edit:
        raise Http404("Only the compact's champions and administrators change its action plan")
    return compact


def _action_or_404(request, compact, pk) -> PlanAction:
    try:
        return selectors.plan_action_of(compact=compact, pk=pk, user=request.user, today=timezone.localdate())
    except PlanAction.DoesNotExist:
        raise Http404("No such action") from None


def action_plan(request, slug):
    """The plan: each objective with its actions (lead, due date or timescale, status, late ones marked, the
    commitments served), narrowed by status and lead; where it stands today."""
    compact, access = _compact_seen(request, slug)
    today = timezone.localdate()
    signed_in = request.user.is_authenticated
    filters = PlanFilterForm(request.GET or None, compact=compact, signed_in=signed_in)
    objectives = selectors.plan_of(
        compact=compact, user=request.user, today=today, status=filters.value("status"), lead=filters.value("lead")
    )
    return render(
        request,
        "commitments/plans/plan.html",
        {
            "compact": compact,
            "access": access,
            "filters": filters,
            "filtered": bool(filters.value("status") or filters.value("lead")),
            "objectives": objectives,
            "summary": selectors.plan_summary(compact=compact, today=today),
            "latest_review": selectors.reviews_of(compact=compact).first(),
            "today": today,
        },
    )


def plan_action(request, slug, pk, status_form=None, note_form=None, status=200):
    """An action's page: what, who leads it, by when, where it stands, the commitments it serves and its progress
    notes; for its lead and the plan's editors, the forms to update its status and add a note."""
    compact, access = _compact_seen(request, slug)
    action = _action_or_404(request, compact, pk)
    may_update = access.may_update(action)
    if may_update:
        status_form = status_form or ActionStatusForm(
            initial={"status": action.status, "done_on": action.done_on, "dropped_reason": action.dropped_reason}
        )
        note_form = note_form or ProgressNoteForm()
    return render(
        request,
        "commitments/plans/action.html",
        {
            "compact": compact,
            "access": access,
            "action": action,
            "may_update": may_update,
            "status_form": status_form,
            "note_form": note_form,
        },
        status=status,
    )


def _action_to_update(request, slug, pk):
    compact, access = _compact_seen(request, slug)
    action = _action_or_404(request, compact, pk)
    if not access.may_update(action):
        raise Http404("Only the action's lead, the compact's champions and administrators update it")
    return compact, action


@require_POST
@login_required
def plan_action_status(request, slug, pk):
    """The action's lead (or an editor) changes its status: done with its day, dropped with the reason."""
    _compact, action = _action_to_update(request, slug, pk)
    form = ActionStatusForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.plan_action_update(
                action=action,
                actor=request.user,
                today=timezone.localdate(),
                status=data["status"],
                done_on=data["done_on"],
                dropped_reason=data["dropped_reason"],
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The action's status is updated.")
            return redirect(action)
    return plan_action(request, slug, pk, status_form=form)


@require_POST
@login_required
def progress_note_create(request, slug, pk):
    """The action's lead (or an editor) adds a dated note of progress."""
    _compact, action = _action_to_update(request, slug, pk)
    form = ProgressNoteForm(request.POST)
    if repeat_of(request, form, ProgressNote):
        return redirect(action.get_absolute_url() + "#notes")
    if form.is_valid():
        data = form.cleaned_data
        try:
            note = services.progress_note_add(
                action=action,
                actor=request.user,
                today=timezone.localdate(),
                text=data["text"],
                noted_on=data["noted_on"],
                submission_key=data.get("submission_key"),
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            announce(request, note, "The progress note is added.")
            return redirect(action.get_absolute_url() + "#notes")
    return plan_action(request, slug, pk, note_form=form)


# --- Editing the plan: champions and administrators ----------------------------------------------------------


@login_required
def objective_create(request, slug):
    compact = _compact_edited(request, slug)
    form = ObjectiveForm(request.POST or None)
    if repeat_of(request, form, Objective):
        return redirect("commitments:action_plan", slug)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            objective = services.objective_create(
                compact=compact,
                actor=request.user,
                number=data["number"],
                title=data["title"],
                description=data["description"],
                submission_key=data.get("submission_key"),
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            announce(request, objective, f"Objective {objective.number} is added to the plan.")
            return redirect("commitments:action_plan", slug)
    return render(request, "commitments/plans/objective_form.html", {"compact": compact, "form": form})


@login_required
def objective_edit(request, slug, pk):
    compact = _compact_edited(request, slug)
    objective = Objective.objects.filter(compact=compact, pk=pk).first()
    if objective is None:
        raise Http404("No such objective")
    form = ObjectiveForm(request.POST or None, instance=objective)
    if request.method == "POST" and form.is_valid():
        try:
            services.objective_update(objective=objective, actor=request.user, **form.cleaned_data)
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The objective is saved.")
            return redirect("commitments:action_plan", slug)
    return render(
        request, "commitments/plans/objective_form.html", {"compact": compact, "form": form, "objective": objective}
    )


ACTION_FIELDS = PlanActionForm.Meta.fields


@login_required
def plan_action_create(request, slug):
    compact = _compact_edited(request, slug)
    initial = {}
    if (objective := request.GET.get("objective", "")).isdigit():
        initial["objective"] = int(objective)
    form = PlanActionForm(request.POST or None, compact=compact, initial=initial)
    if repeated := repeat_of(request, form, PlanAction):
        return redirect(repeated)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            action = services.plan_action_create(
                actor=request.user,
                today=timezone.localdate(),
                submission_key=data.get("submission_key"),
                **{name: data[name] for name in ACTION_FIELDS},
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            announce(request, action, "The action is added to the plan.")
            return redirect(action)
    if not form.fields["objective"].queryset.exists():
        messages.info(request, "Add an objective first: each action serves one.")
        return redirect("commitments:objective_create", slug)
    return render(request, "commitments/plans/action_form.html", {"compact": compact, "form": form})


@login_required
def plan_action_edit(request, slug, pk):
    compact = _compact_edited(request, slug)
    action = _action_or_404(request, compact, pk)
    form = PlanActionForm(request.POST or None, compact=compact, instance=action)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_action_update(
                action=action, actor=request.user, today=timezone.localdate(), **form.cleaned_data
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The action is saved.")
            return redirect(action)
    return render(request, "commitments/plans/action_form.html", {"compact": compact, "form": form, "action": action})


# --- Reviews -------------------------------------------------------------------------------------------------


def reviews(request, slug):
    """The compact's reviews, the latest first: who took part from each side, what was found, what changes."""
    compact, access = _compact_seen(request, slug)
    page, query = page_of(request, selectors.reviews_of(compact=compact), per_page=REVIEWS_PAGE_SIZE)
    return render(
        request,
        "commitments/plans/reviews.html",
        {"compact": compact, "access": access, "page_obj": page, "query": query},
    )


@login_required
def review_create(request, slug):
    """Record a review of the compact or of its action plan; its next review date becomes the compact's."""
    compact = _compact_edited(request, slug)
    form = ReviewForm(request.POST or None)
    if repeat_of(request, form, Review):
        return redirect("commitments:reviews", slug)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review = services.review_record(
                compact=compact,
                actor=request.user,
                today=timezone.localdate(),
                submission_key=data.get("submission_key"),
                **{name: data[name] for name in ReviewForm.Meta.fields},
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            announce(request, review, "The review is recorded; the compact's next review date is set from it.")
            return redirect("commitments:reviews", slug)
    return render(request, "commitments/plans/review_form.html", {"compact": compact, "form": form})
