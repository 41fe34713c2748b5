"""Monitoring (Portsmouth 12 and 17): a compact's monitoring templates (12.5), a relationship's monitoring plan
(12.1–12.4), its returns made by the organisation and reviewed by the funder (17.3), significant changes told to
funders (17.4) and improvement timetables agreed before funding ends for performance (12.7).

Who may do what comes from ``funding.selectors.monitoring`` (the services ask the same): the funder's officers
set up plans and review returns, the recipient's members make returns and tell funders of changes,
administrators see everything. A return the person may not see is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from commitments.models import Organisation
from compact_portal.accounts.permissions import role_required
from compact_portal.accounts.roles import Role
from compact_portal.forms import SERVICE_ERRORS, add_service_errors, all_valid, gaps_held, service_error_messages
from compact_portal.one_time import announce, repeat_of
from compact_portal.pagination import page_of
from compact_portal.uploads import attachment_response

from .. import rules, selectors
from ..filters import ReturnFilter
from ..forms.monitoring import (
    ImprovementActionFormSet,
    ImprovementTimetableForm,
    MonitoringPlanForm,
    MonitoringTemplateForm,
    ReturnForm,
    ReturnReviewForm,
    SignificantChangeForm,
)
from ..models import (
    FundingStatus,
    ImprovementAction,
    ImprovementTimetable,
    MonitoringPlan,
    MonitoringTemplate,
    ReturnStatus,
    SignificantChange,
)
from ..selectors import monitoring as who
from ..services import monitoring as services
from ._common import LIST_PAGE_SIZE, relationship_to_change

RETURN_ROLES = (Role.OFFICER, Role.VCS_MEMBER, Role.ADMINISTRATOR)
TEMPLATE_ROLES = (Role.OFFICER, Role.CHAMPION, Role.ADMINISTRATOR)
# What the organisation's members do while a return is theirs to make, and what the funder's officers do with one
# sent: the buttons of the return page.
MAKE_ACTIONS = {"save", "send", "reply"}
REVIEW_ACTIONS = {ReturnReviewForm.ACCEPT, ReturnReviewForm.QUESTIONS}


# --- Returns -------------------------------------------------------------------------------------------------------


@role_required(*RETURN_ROLES)
def return_list(request):
    """The returns the person may see: for a member, their organisation's returns (to make, at risk, with
    questions); for an officer, those their body funds (to review); filter, sort by due date, pages."""
    today = timezone.localdate()
    visible = who.returns_visible_to(user=request.user).select_related(
        "plan__relationship__funder", "plan__relationship__recipient", "plan__relationship__compact"
    )
    return_filter = ReturnFilter(
        request.GET,
        queryset=visible.order_by("due_date", "pk"),
        waiting=who.returns_to_make_by(user=request.user).filter(
            status__in=(*who.MAKING_STATUSES, *who.REPLYING_STATUSES)
        )
        | who.returns_to_review_by(user=request.user).filter(status=ReturnStatus.SUBMITTED),
    )
    page, query = page_of(request, return_filter.qs, per_page=LIST_PAGE_SIZE)
    at_risk_until: dict[str, object] = {}  # one date per nation, worked out once
    rows = []
    for monitoring_return in page:
        nation = monitoring_return.plan.relationship.compact.nation
        if nation not in at_risk_until:
            at_risk_until[nation] = rules.return_at_risk_until(today, nation=nation)
        rows.append((monitoring_return, _standing(monitoring_return, today, at_risk_until[nation])))
    return render(
        request,
        "funding/monitoring/return_list.html",
        {
            "filter": return_filter,
            "page_obj": page,
            "rows": rows,
            "query": query,
            "makes": request.user.has_role(Role.VCS_MEMBER),
            "reviews": request.user.has_role(Role.OFFICER),
            "today": today,
        },
    )


def _standing(monitoring_return, today, at_risk_until) -> str:
    """How a return stands, in words that blame no one: "" when nothing needs saying."""
    if monitoring_return.submitted_date is not None:
        return ""
    if monitoring_return.due_date < today:
        return "Not yet made; its due date has passed"
    if monitoring_return.due_date <= at_risk_until:
        return "Due soon"
    return ""


@login_required
def return_detail(request, pk):
    """A return: the plan's questions with the answers, the files, the exchange; for the organisation's members
    the answer boxes (save a draft, send, reply), for the funder's officers accept or ask questions."""
    today = timezone.localdate()
    monitoring_return = who.return_detail(pk=pk, user=request.user)
    status = monitoring_return.status
    replying = status in who.REPLYING_STATUSES
    maker = who.returns_to_make_by(user=request.user).filter(pk=pk).exists()
    reviewer = who.returns_to_review_by(user=request.user).filter(pk=pk).exists()
    may_make = maker and status in (*who.MAKING_STATUSES, *who.REPLYING_STATUSES)
    may_review = reviewer and status in who.REVIEWING_STATUSES
    questions = monitoring_return.plan.question_list
    form = review_form = None
    action = request.POST.get("action", "") if request.method == "POST" else ""
    allowed = (MAKE_ACTIONS - ({"save", "send"} if replying else {"reply"})) if may_make else set()
    if may_review:
        allowed |= REVIEW_ACTIONS if status == ReturnStatus.SUBMITTED else {ReturnReviewForm.ACCEPT}
    if request.method == "POST" and action not in allowed:
        if (action in MAKE_ACTIONS and maker) or (action in REVIEW_ACTIONS and reviewer):
            # Their side's step, but the return has moved on (a second click, or someone else was first).
            messages.info(
                request, f"Nothing was changed: this return is now “{monitoring_return.get_status_display()}”."
            )
            return redirect(monitoring_return)
        raise PermissionDenied("That is not open to you on this return.")
    if may_make:
        form = ReturnForm(
            request.POST if action in MAKE_ACTIONS else None,
            request.FILES if action in MAKE_ACTIONS else None,
            questions=questions,
            answers=_answers_to(questions, monitoring_return.answers),
            replying=replying,
        )
        if action in MAKE_ACTIONS and form.is_sent(action != "save"):
            try:
                done = _make(action, monitoring_return, request.user, today, form)
            except SERVICE_ERRORS as error:
                add_service_errors(form, error)
            else:
                messages.success(request, done)
                return redirect(monitoring_return)
    if may_review:
        review_form = ReturnReviewForm(
            request.POST if action in REVIEW_ACTIONS else None,
            action=action,
            questions_open=status == ReturnStatus.SUBMITTED,
        )
        if action in REVIEW_ACTIONS and review_form.is_valid():
            text = review_form.cleaned_data["text"].strip()
            try:
                if action == ReturnReviewForm.ACCEPT:
                    services.return_accept(
                        monitoring_return=monitoring_return, actor=request.user, today=today, note=text
                    )
                    done = "The return is accepted; the organisation can see it is."
                else:
                    services.return_ask_questions(
                        monitoring_return=monitoring_return, actor=request.user, today=today, questions=text
                    )
                    done = "Your questions are sent to the organisation."
            except SERVICE_ERRORS as error:
                add_service_errors(review_form, error)
            else:
                messages.success(request, done)
                return redirect(monitoring_return)
    relationship = monitoring_return.plan.relationship
    unsent = not maker and who.draft_hidden_from(monitoring_return, user=request.user)
    return render(
        request,
        "funding/monitoring/return_detail.html",
        {
            "monitoring_return": monitoring_return,
            "plan": monitoring_return.plan,
            "relationship": relationship,
            "relationship_visible": selectors.relationships_visible_to(user=request.user)
            .filter(pk=relationship.pk)
            .exists(),
            "answered": []
            if unsent
            else [(item.get("question", ""), item.get("answer", "")) for item in monitoring_return.answers or []],
            "documents": [] if unsent else monitoring_return.documents.all(),
            "unsent": unsent,
            "form": form,
            "review_form": review_form,
            "replying": replying,
            "standing": _standing(
                monitoring_return, today, rules.return_at_risk_until(today, nation=relationship.compact.nation)
            ),
            "today": today,
        },
    )


def _answers_to(questions: list[str], stored: list[dict] | None) -> list[str]:
    """The answers already given (a draft, or a return sent) to each of the plan's ``questions``, matched by the
    question's words, so a question the plan has since changed starts empty."""
    given = {item.get("question", ""): item.get("answer", "") for item in stored or []}
    return [given.get(question, "") for question in questions]


def _make(action: str, monitoring_return, actor, today, form: ReturnForm) -> str:
    """Call the service for the organisation's ``action``; the message to show when it is done."""
    files = form.cleaned_data.get("files") or []
    if action == "save":
        services.return_save_draft(monitoring_return=monitoring_return, actor=actor, today=today, answers=form.answers)
        if files:  # the answers are kept even if the files are refused: the form shows why, with what was typed
            services.return_document_add(monitoring_return=monitoring_return, actor=actor, files=files)
        return "Your draft is saved. Only your organisation sees it until you send it."
    if action == "send":
        services.return_submit(
            monitoring_return=monitoring_return, actor=actor, today=today, answers=form.answers, files=files
        )
        return "Your return is sent to the funder."
    services.return_reply(
        monitoring_return=monitoring_return,
        actor=actor,
        today=today,
        reply=form.cleaned_data["reply"].strip(),
        answers=form.answers,
        files=files,
    )
    return "Your reply is sent to the funder."


@login_required
def return_document(request, pk, document_pk):
    """A file sent with a return, for those who may see the return."""
    monitoring_return = who.return_detail(pk=pk, user=request.user)
    document = next((d for d in monitoring_return.documents.all() if d.pk == document_pk), None)
    if document is None or who.draft_hidden_from(monitoring_return, user=request.user):
        raise Http404("No such file")
    return attachment_response(document.file, filename=document.original_name, content_type=document.content_type)


# --- A relationship's plan ------------------------------------------------------------------------------------------


@role_required(Role.OFFICER)
def monitoring_plan(request, pk):
    """Set up or change a relationship's monitoring plan, started from one of its compact's templates (chosen from
    the list, ``?template=<id>``), with the questions, how often and the schedule proposed by the funding's size
    and term. The funder's officers only."""
    relationship = relationship_to_change(request, pk)
    plan = MonitoringPlan.objects.filter(relationship=relationship).first()
    templates = list(MonitoringTemplate.objects.filter(compact=relationship.compact).order_by("name"))
    template = _chosen(templates, request.GET.get("template"))
    initial = {}
    if plan is None or template is not None:
        proposal = services.monitoring_plan_proposal(
            relationship=relationship, template=template, today=timezone.localdate()
        )
        initial = {name: value for name, value in proposal.items() if name in MonitoringPlanForm.base_fields}
        initial["template"] = template.pk if template else None
    if plan is not None:
        initial.setdefault("agreed_on", relationship.monitoring_agreed_date)
        initial.setdefault("disproportion_reason", plan.disproportion_reason)
    form = MonitoringPlanForm(request.POST or None, instance=plan, initial=initial, relationship=relationship)
    if request.method == "POST" and form.is_valid() and not gaps_held(form):
        data = form.cleaned_data
        try:
            services.monitoring_plan_set(
                relationship=relationship,
                actor=request.user,
                today=timezone.localdate(),
                questions=data["questions"],
                purpose=data["purpose"],
                returns_per_year=data["returns_per_year"],
                service_user_views=data["service_user_views"],
                agreed_on=data["agreed_on"],
                disproportion_reason=data["disproportion_reason"],
                template=data["template"],
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The monitoring plan is saved.")
            return redirect(relationship.get_absolute_url() + "#monitoring")
    return render(
        request,
        "funding/monitoring/plan_form.html",
        {
            "form": form,
            "relationship": relationship,
            "plan": plan,
            "templates": templates,
            "template": template,
            "may_keep_templates": who.template_compacts_for(user=request.user).exists(),
            "schedule": _schedule(relationship, form),
            "returns": list(plan.returns.all()) if plan is not None else [],
            "gaps": bool(form.gap_warnings),
        },
    )


def _chosen(templates: list[MonitoringTemplate], value: str | None) -> MonitoringTemplate | None:
    """The template ``?template=`` names among ``templates``; None for none, or one that is not among them."""
    return next((template for template in templates if str(template.pk) == (value or "").strip()), None)


def _schedule(relationship, form: MonitoringPlanForm) -> list[tuple[object, object, object]]:
    """The periods and due dates of the returns the plan on the form would ask for: (start, end, due)."""
    value = form.data.get("returns_per_year") if form.is_bound else form.initial.get("returns_per_year")
    try:
        returns_per_year = int(value)
    except (TypeError, ValueError):
        return []
    if returns_per_year <= 0 or 12 % returns_per_year:
        return []
    today = timezone.localdate()
    proposal = services.monitoring_plan_proposal(relationship=relationship, today=today)
    if returns_per_year == proposal["returns_per_year"] or not proposal["periods"]:
        return proposal["schedule"]
    nation = relationship.compact.nation
    start = proposal["periods"][0][0]  # the funding's first day, as the plan's service counts from
    return [
        (period_start, period_end, rules.return_due_date(period_end, nation=nation))
        for period_start, period_end in rules.return_periods(
            start, relationship.end_date, returns_per_year=returns_per_year, until=today
        )
    ]


# --- Compact templates (12.5) ---------------------------------------------------------------------------------------


@role_required(*TEMPLATE_ROLES)
def template_list(request):
    templates = who.templates_editable_by(user=request.user).select_related("compact").order_by("compact__name", "name")
    return render(
        request,
        "funding/monitoring/template_list.html",
        {"templates": templates, "may_add": who.template_compacts_for(user=request.user).exists()},
    )


@role_required(*TEMPLATE_ROLES)
def template_create(request):
    compacts = who.template_compacts_for(user=request.user).order_by("name")
    if not compacts.exists():
        raise PermissionDenied("You keep no compact's monitoring templates.")
    form = MonitoringTemplateForm(request.POST or None, compacts=compacts)
    if repeat_of(request, form, MonitoringTemplate):
        return redirect("funding:template_list")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            template = services.monitoring_template_create(
                compact=data["compact"],
                actor=request.user,
                name=data["name"],
                questions=data["questions"],
                purpose=data["purpose"],
                service_user_views=data["service_user_views"],
                submission_key=data.get("submission_key"),
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            announce(request, template, f"The template {template.name} is added.")
            return redirect("funding:template_list")
    return render(request, "funding/monitoring/template_form.html", {"form": form})


@role_required(*TEMPLATE_ROLES)
def template_edit(request, pk):
    template = get_object_or_404(who.templates_editable_by(user=request.user).select_related("compact"), pk=pk)
    form = MonitoringTemplateForm(
        request.POST or None, instance=template, compacts=who.template_compacts_for(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.monitoring_template_update(
                template=template,
                actor=request.user,
                **{name: form.cleaned_data[name] for name in ("name", "questions", "purpose", "service_user_views")},
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The template is saved. Plans already made from it keep their own questions.")
            return redirect("funding:template_list")
    return render(request, "funding/monitoring/template_form.html", {"form": form, "template": template})


# --- Significant changes (17.4) -------------------------------------------------------------------------------------


@role_required(Role.VCS_MEMBER)
def significant_change_create(request, slug):
    """A member tells the organisation's funders of a significant change: management, finances or other risks;
    it goes on the story of each funding relationship ticked. Another organisation's page is 404."""
    organisation = get_object_or_404(
        Organisation.objects.filter(memberships__user=request.user, memberships__role=Role.VCS_MEMBER).distinct(),
        slug=slug,
    )
    current = (
        who.relationships_told_by(user=request.user)
        .filter(recipient=organisation, status=FundingStatus.AWARDED)
        .select_related("funder")
        .order_by("funder__name", "reference")
    )
    form = SignificantChangeForm(request.POST or None, relationships=current)
    if repeat_of(request, form, SignificantChange):
        return redirect("funding:recipient_overview", slug=organisation.slug)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = services.significant_change_tell(
                organisation=organisation,
                actor=request.user,
                today=timezone.localdate(),
                kind=data["kind"],
                description=data["description"],
                relationships=list(data["relationships"]),
                submission_key=data.get("submission_key"),
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            announce(request, change, "Your funders are told. It is on the story of each funding you ticked.")
            return redirect("funding:recipient_overview", slug=organisation.slug)
    return render(
        request,
        "funding/monitoring/significant_change_form.html",
        {"form": form, "organisation": organisation, "has_funding": current.exists()},
    )


# --- Improvement timetables (12.7) ----------------------------------------------------------------------------------


@role_required(Role.OFFICER)
def timetable_create(request, pk):
    """The funder's officers record an improvement timetable agreed with the organisation: the problems, the day
    it was agreed, the review, and the actions with their dates."""
    relationship = relationship_to_change(request, pk)
    form = ImprovementTimetableForm(request.POST or None)
    actions = ImprovementActionFormSet(request.POST or None, prefix="actions")
    if repeat_of(request, form, ImprovementTimetable):
        return redirect(relationship.get_absolute_url() + "#improvement")
    if request.method == "POST" and all_valid(form, actions):
        data = form.cleaned_data
        try:
            timetable = services.improvement_timetable_agree(
                relationship=relationship,
                actor=request.user,
                today=timezone.localdate(),
                problems=data["problems"],
                agreed_on=data["agreed_on"],
                review_on=data["review_on"],
                actions=actions.actions,
                submission_key=data.get("submission_key"),
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            announce(request, timetable, "The improvement timetable is recorded.")
            return redirect(relationship.get_absolute_url() + "#improvement")
    return render(
        request,
        "funding/monitoring/timetable_form.html",
        {"form": form, "actions": actions, "relationship": relationship},
    )


@require_POST
@role_required(Role.OFFICER)
def improvement_action_done(request, pk):
    """Mark an action of an improvement timetable done today; the funder's officers only."""
    action = get_object_or_404(
        ImprovementAction.objects.select_related("timetable"),
        pk=pk,
        timetable__relationship__in=selectors.relationships_visible_to(user=request.user),
    )
    relationship = relationship_to_change(request, action.timetable.relationship_id)
    try:
        today = timezone.localdate()
        services.improvement_action_done(action=action, actor=request.user, today=today, done_on=today)
    except SERVICE_ERRORS as error:
        for message in service_error_messages(error):
            messages.error(request, message)
    else:
        messages.success(request, f"Marked done: {action.action}.")
    return redirect(relationship.get_absolute_url() + "#improvement")


def monitoring_section(*, user, relationship) -> dict:
    """What the relationship page's monitoring section needs beyond the relationship's own prefetches: its plan,
    its returns, and whether ``user`` may open them (one query, and none without a plan)."""
    plan = selectors.monitoring_plan_of(relationship)
    returns = selectors.monitoring_returns(relationship)
    return {
        "plan": plan,
        "monitoring_returns": returns,
        "returns_open": bool(returns)
        and who.returns_visible_to(user=user).filter(plan__relationship=relationship).exists(),
    }
