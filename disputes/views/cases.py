"""A case's page, the steps that can be taken on it, its documents, and the lists of cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from commitments.models import RecordType
from commitments.selectors import flags_on_records
from compact_portal.accounts.permissions import role_required
from compact_portal.accounts.roles import Role
from compact_portal.forms import SERVICE_ERRORS, add_service_errors
from compact_portal.one_time import OneTimeKeyForm, announce, repeat_of
from compact_portal.pagination import page_of
from compact_portal.uploads import attachment_response

from .. import forms, rules, selectors, services
from ..filters import CaseFilter
from ..models import CaseEvent, Concern, Stage
from ..rules import CaseStep

LIST_PAGE_SIZE = 25
CASE_ROLES = (Role.VCS_MEMBER, Role.OFFICER, Role.CHAMPION, Role.PANEL_MEMBER)


@dataclass(frozen=True)
class Step:
    """One thing a person may do on a case: its form and the service it calls. Whether it is offered is
    ``rules.available_steps``, which the service also asks before it takes the step."""

    key: CaseStep
    title: str
    button: str
    form: type
    run: Callable[..., object]
    done: str
    form_kwargs: Callable[[Concern], dict] = lambda concern: {}


def _commitments(concern):
    """A finding names which of the commitments the concern cited were broken."""
    return {"commitments": concern.commitments.order_by("position")}


STEPS: dict[str, Step] = {
    step.key: step
    for step in (
        Step(
            CaseStep.ACKNOWLEDGE,
            "Acknowledge the concern",
            "Acknowledge and take it on",
            forms.NoteForm,
            lambda c, u, t, d: services.concern_acknowledge(concern=c, actor=u, today=t, note=d["note"]),
            "The concern is acknowledged; you are its champion.",
        ),
        Step(
            CaseStep.START_INFORMAL,
            "Start the informal stage",
            "Start the informal stage",
            forms.NoteForm,
            lambda c, u, t, d: services.informal_start(concern=c, actor=u, today=t, note=d["note"]),
            "The informal stage has begun.",
        ),
        Step(
            CaseStep.ESCALATE,
            "Take the concern to the formal stage",
            "Go to the formal stage",
            forms.ReasonsForm,
            lambda c, u, t, d: services.formal_escalate(concern=c, actor=u, today=t, reasons=d["reasons"]),
            "The concern is at the formal stage; the body has been asked for its written response.",
        ),
        Step(
            CaseStep.EXTEND,
            "Extend the formal stage",
            "Extend",
            forms.ExtendForm,
            lambda c, u, t, d: services.formal_extend(
                concern=c, actor=u, today=t, days=d["days"], reasons=d["reasons"]
            ),
            "The formal stage is extended.",
        ),
        Step(
            CaseStep.RESPOND,
            "Give the body's formal response",
            "Send the response",
            forms.RespondForm,
            lambda c, u, t, d: services.formal_respond(concern=c, actor=u, today=t, response=d["response"]),
            "The body's response is recorded and the parties are told.",
        ),
        Step(
            CaseStep.FORMAL_OUTCOME,
            "Give the formal outcome",
            "Give the outcome",
            forms.OutcomeForm,
            lambda c, u, t, d: services.formal_outcome_record(
                concern=c,
                actor=u,
                today=t,
                outcome=d["outcome"],
                reasons=d["reasons"],
                commitments_found_broken=list(d["commitments_found_broken"]),
            ),
            "The formal outcome is recorded; the appeal window is open.",
            _commitments,
        ),
        Step(
            CaseStep.APPEAL,
            "Appeal the formal outcome",
            "Lodge the appeal",
            forms.AppealForm,
            lambda c, u, t, d: services.appeal_lodge(concern=c, actor=u, today=t, grounds=d["grounds"]),
            "The appeal is lodged; the dispute panel will decide it.",
        ),
        Step(
            CaseStep.ASSIGN_PANEL,
            "Assign a panel member",
            "Assign",
            forms.AssignPanelForm,
            lambda c, u, t, d: services.panel_assign(concern=c, actor=u, member=d["member"]),
            "The panel member is assigned.",
            lambda concern: {"candidates": selectors.panel_candidates(concern=concern)},
        ),
        Step(
            CaseStep.DECIDE_APPEAL,
            "Record the panel's decision",
            "Record the decision and close the case",
            forms.FindingForm,
            lambda c, u, t, d: services.appeal_decide(
                concern=c,
                actor=u,
                today=t,
                outcome=d["outcome"],
                reasons=d["reasons"],
                commitments_found_broken=list(d["commitments_found_broken"]),
                lessons_learned=d["lessons_learned"],
            ),
            "The panel's decision is recorded and the case is closed.",
            _commitments,
        ),
        Step(
            CaseStep.CLOSE,
            "Close the case",
            "Close the case",
            forms.CloseForm,
            lambda c, u, t, d: services.concern_close(
                concern=c, actor=u, today=t, reasons=d["reasons"], lessons_learned=d["lessons_learned"]
            ),
            "The case is closed.",
        ),
        Step(
            CaseStep.WITHDRAW,
            "Withdraw the concern",
            "Withdraw the concern",
            forms.OptionalReasonsForm,
            lambda c, u, t, d: services.concern_withdraw(concern=c, actor=u, today=t, reasons=d["reasons"]),
            "The concern is withdrawn.",
        ),
        Step(
            CaseStep.MEETING,
            "Record a meeting",
            "Record the meeting",
            forms.MeetingForm,
            lambda c, u, t, d: services.meeting_record(
                concern=c,
                actor=u,
                kind=d["meeting_kind"],
                held_on=d["meeting_date"],
                attendees=d["attendees"],
                notes=d["notes"],
                today=t,
                submission_key=d["submission_key"],
            ),
            "The meeting is recorded on the timeline.",
        ),
        Step(
            CaseStep.NOTE,
            "Add a note",
            "Add the note",
            forms.NoteOnlyForm,
            lambda c, u, t, d: services.note_add(
                concern=c, actor=u, text=d["text"], submission_key=d["submission_key"]
            ),
            "The note is added to the timeline.",
        ),
        Step(
            CaseStep.DOCUMENTS,
            "Add documents",
            "Upload",
            forms.DocumentForm,
            lambda c, u, t, d: services.document_add(
                concern=c, actor=u, files=d["documents"], description=d["description"]
            ),
            "The documents are added.",
        ),
    )
}


def _case_or_404(request, reference: str) -> Concern:
    try:
        return selectors.case_detail(user=request.user, reference=reference)
    except Concern.DoesNotExist:
        raise Http404("No such case") from None


def _render_case(
    request,
    concern: Concern,
    access: selectors.CaseAccess,
    *,
    today,
    failed: tuple[str, object] | None = None,
    status: int = 200,
):
    available = rules.available_steps(selectors.case_facts(concern, today=today), access.parties)
    offered = []
    for step in STEPS.values():
        if step.key not in available:
            continue
        if failed and failed[0] == step.key:
            offered.append((step, failed[1]))
        else:
            offered.append((step, step.form(prefix=step.key, **step.form_kwargs(concern))))
    due_left = overdue = None
    if concern.is_open and concern.step_due_by:
        nation = concern.compact.nation
        due_left = rules.working_days_left(due_by=concern.step_due_by, today=today, nation=nation)
        overdue = rules.working_days_overdue(due_by=concern.step_due_by, today=today, nation=nation)
    documents = selectors.documents_visible(concern=concern, access=access)
    cannot_steer = ""
    if concern.is_open and access.champion_conflict_in is not None:
        sits_in = concern.respondent if access.champion_conflict_in == concern.respondent_id else concern.raiser
        nobody_else = concern.pk in selectors.cases_nobody_can_steer([concern])
        cannot_steer = rules.cannot_steer(sits_in=sits_in.name, nobody_else=nobody_else)
    return render(
        request,
        "disputes/case_detail.html",
        {
            "concern": concern,
            "access": access,
            "steps": offered,
            "documents": documents,
            "hidden_documents": len(documents) < len(concern.documents.all()),
            "stages": [(value, label) for value, label in Stage.choices if value != Stage.WITHDRAWN],
            "due_left": due_left,
            "overdue": overdue,
            "cannot_steer": cannot_steer,
            "flags": flags_on_records(records={RecordType.CONCERN: [concern.pk]}, user=request.user),
            "today": today,
        },
        status=status,
    )


@login_required
def case_detail(request, reference):
    """The case's status page: where it stands, what is owed by when, the timeline, and the steps the
    person may take. Parties on the body's side never see a withheld raiser's identity."""
    concern = _case_or_404(request, reference)
    access = selectors.case_access(user=request.user, concern=concern)
    return _render_case(request, concern, access, today=timezone.localdate())


@require_POST
@login_required
def case_action(request, reference, action):
    """Take one step on a case; a refused or invalid step re-renders the page with the form and its errors."""
    today = timezone.localdate()
    concern = _case_or_404(request, reference)
    step = STEPS.get(action)
    if step is None:
        raise Http404("No such step")
    form = step.form(request.POST, request.FILES, prefix=step.key, **step.form_kwargs(concern))
    if isinstance(form, OneTimeKeyForm) and repeat_of(request, form, CaseEvent):  # a note or meeting sent twice
        return redirect("disputes:case_detail", reference=concern.reference)
    if form.is_valid():
        try:
            done = step.run(concern, request.user, today, form.cleaned_data)
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            announce(request, done, step.done)
            return redirect("disputes:case_detail", reference=concern.reference)
    concern = _case_or_404(request, reference)
    access = selectors.case_access(user=request.user, concern=concern)
    available = rules.available_steps(selectors.case_facts(concern, today=today), access.parties)
    if step.key not in available:  # e.g. someone else took the step first
        messages.error(request, " ".join(form.non_field_errors()) or "That step is not open to you on this case now.")
        return redirect("disputes:case_detail", reference=concern.reference)
    return _render_case(request, concern, access, today=today, failed=(step.key, form), status=400)


@login_required
def document_download(request, reference, pk):
    """A case document, for those who may see the case (a withheld raiser's documents: not the body's side)."""
    concern = _case_or_404(request, reference)
    access = selectors.case_access(user=request.user, concern=concern)
    document = next((d for d in selectors.documents_visible(concern=concern, access=access) if d.pk == pk), None)
    if document is None:
        raise Http404("No such file")
    return attachment_response(document.file, filename=document.original_name, content_type=document.content_type)


@role_required(*CASE_ROLES)
def case_list(request):
    """The cases the person may see: raised by their organisations, about them, or in compacts they
    champion or sit on the panel of; filter, sort and pages."""
    today = timezone.localdate()
    cases = selectors.concern_list(user=request.user, today=today)
    case_filter = CaseFilter(request.GET, queryset=cases.order_by("-received_on", "-reference"))
    page, query = page_of(request, case_filter.qs, per_page=LIST_PAGE_SIZE)
    may_raise = request.user.has_role(Role.VCS_MEMBER, Role.OFFICER)
    return render(
        request,
        "disputes/case_list.html",
        {"filter": case_filter, "page_obj": page, "query": query, "may_raise": may_raise, "today": today},
    )


@role_required(Role.PANEL_MEMBER)
def panel(request):
    """A dispute panel member's cases, and the appeals of their compacts still waiting for a panel."""
    cases = selectors.panel_cases(user=request.user).order_by("step_due_by", "reference")
    return render(request, "disputes/panel.html", {"cases": cases, "today": timezone.localdate()})
