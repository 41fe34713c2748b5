"""Every write to monitoring (Portsmouth 12.1-12.5, 17.1-17.4) and improvement timetables (12.7) goes through here.

- A compact's **templates** (12.5) are kept by the officers of the public bodies that signed it, its champions and
  administrators; a relationship's **plan** is set by the funder's officers, from a template or not. The plan
  stores the most returns a year the compact's band allows for the funding's value (12.3), counted again when
  the amount or the bands change, and its **returns** are scheduled with their due dates stored (17.3), counted
  again when the nation or its bank holidays change (``funding/services/deadlines.py``). Open-ended funding's
  schedule runs a year ahead, carried on each day by ``monitoring_schedules_extend`` before the daily scan.
- The recipient's members fill in a **return**, save a draft, send it (the day it is first sent decides 17.3) and
  reply to questions; the funder's officers ask questions or accept it. Each step is a message of the exchange
  both sides see; files come through the portal's safe uploads.
- The recipient's members give their funders early notice of a **significant change** (17.4); the funder's
  officers agree an **improvement timetable** with the organisation before any notice for performance (12.7).

Who may do what comes from ``funding/selectors/monitoring.py``, as the pages ask it; a person it does not allow is
refused with ``PermissionDenied`` (``actor=None`` is an import or a job, acting for no one). Each function
validates with ``full_clean()``, saves in one transaction with its history crediting ``actor``, and asks for the
compliance rules to check the records it changed once it commits (``recheck_on_commit``).

Callers import this module (``from funding.services import monitoring``); ``funding.services`` calls
``plan_follows_relationship`` when a relationship's amount or compact changes.
"""

import datetime
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from commitments.models import Compact, Organisation, RecordType, Side
from commitments.services.live import recheck_on_commit
from compact_portal.accounts.models import User
from compact_portal.formatting import long_date
from compact_portal.one_time import once
from compact_portal.services import check_fields, validated_save
from compact_portal.uploads import MAX_FILES_PER_ITEM, stored_file_fields, validate_upload

from .. import rules
from ..models import (
    FundingRelationship,
    FundingStatus,
    ImprovementAction,
    ImprovementTimetable,
    MessageKind,
    MonitoringPlan,
    MonitoringReturn,
    MonitoringTemplate,
    Notice,
    NoticeKind,
    ReturnDocument,
    ReturnMessage,
    ReturnsPerYear,
    ReturnStatus,
    SignificantChange,
)
from ..selectors import monitoring as may
from . import _history_credit

TEMPLATE_FIELDS = frozenset({"name", "questions", "purpose", "service_user_views"})

# What a return's state says to someone trying a step it does not allow.
_STATE_REFUSALS = {
    ReturnStatus.DUE: "This return has not been sent yet.",
    ReturnStatus.DRAFT: "This return has not been sent yet: it is a draft.",
    ReturnStatus.SUBMITTED: "This return was sent on {sent} and is waiting for the funder's review.",
    ReturnStatus.QUESTIONS: "The funder has a few questions about this return: reply to them to send it back.",
    ReturnStatus.ACCEPTED: "This return has been accepted; nothing more is needed.",
}


def _refuse_unless(actor: User | None, allowed: Callable[..., QuerySet], pk: int, refusal: str) -> None:
    """Refuse ``actor`` unless the record ``pk`` is among ``allowed(user=actor)`` (a selector of
    ``funding/selectors/monitoring.py``); ``actor=None`` (an import, a job) acts for no one and is not refused."""
    if actor is not None and not allowed(user=actor).filter(pk=pk).exists():
        raise PermissionDenied(refusal)


def _refuse_unless_status(monitoring_return: MonitoringReturn, allowed: Iterable[str]) -> None:
    if monitoring_return.status not in allowed:
        sent = long_date(monitoring_return.submitted_date) if monitoring_return.submitted_date else ""
        raise ValidationError(_STATE_REFUSALS[ReturnStatus(monitoring_return.status)].format(sent=sent))


def _refuse_unless_plan_setter(actor: User | None, relationship: FundingRelationship) -> None:
    if actor is not None and not may.may_set_plan(user=actor, relationship=relationship):
        raise PermissionDenied("Only the funder's officers set up its monitoring and improvement timetables.")


def _text(value: str | None) -> str:
    return (value or "").strip()


# --- Templates (12.5) ----------------------------------------------------------------------------------------------


@transaction.atomic
def monitoring_template_create(
    *,
    compact: Compact,
    actor: User | None,
    name: str,
    questions: str,
    purpose: str,
    service_user_views: bool,
    submission_key: uuid.UUID | None = None,
) -> MonitoringTemplate:
    """Add a standard monitoring template to ``compact`` (12.5). Made once per ``submission_key`` (the form's
    one-time key)."""
    _refuse_unless(
        actor,
        may.template_compacts_for,
        compact.pk,
        "Only the officers of a public body that has signed this compact, its champions and administrators keep "
        "its monitoring templates.",
    )

    def record() -> MonitoringTemplate:
        template = MonitoringTemplate(
            compact=compact,
            name=_text(name),
            questions=questions,
            purpose=_text(purpose),
            service_user_views=service_user_views,
            created_by=actor,
        )
        _check_questions(template.questions)
        validated_save(template, actor)
        return template

    return once(key=submission_key, actor=actor, model=MonitoringTemplate, create=record)[0]


@transaction.atomic
def monitoring_template_update(
    *, template: MonitoringTemplate, actor: User | None, **changes: Any
) -> MonitoringTemplate:
    """Change a template's name, questions, purpose or whether it asks for service users' views. Plans already
    set from it keep what they were set with."""
    check_fields(changes, TEMPLATE_FIELDS)
    _refuse_unless(
        actor,
        may.templates_editable_by,
        template.pk,
        "Only the officers of a public body that has signed this compact, its champions and administrators keep "
        "its monitoring templates.",
    )
    template = MonitoringTemplate.objects.select_for_update().get(pk=template.pk)
    for name, value in changes.items():
        setattr(template, name, _text(value) if name in {"name", "purpose"} else value)
    _check_questions(template.questions)
    validated_save(template, actor)
    return template


def _check_questions(questions: str) -> None:
    if not MonitoringPlan(questions=questions).question_list:
        raise ValidationError({"questions": "Give at least one question the returns will answer."})


# --- Plans and their schedule (12.1-12.4, 17.1) ------------------------------------------------------------------


def returns_allowed(relationship: FundingRelationship, compact: Compact | None = None) -> int:
    """The most returns a year the compact's band allows for the relationship's amount (12.3)."""
    compact = compact or relationship.compact
    return rules.monitoring_returns_allowed(
        relationship.amount,
        small_below=compact.monitoring_small_below,
        small_returns=compact.monitoring_small_returns,
        medium_below=compact.monitoring_medium_below,
        medium_returns=compact.monitoring_medium_returns,
        large_returns=compact.monitoring_large_returns,
    )


def _frequency_within(allowed: int) -> int:
    """The most frequent ``ReturnsPerYear`` choice not above ``allowed`` (and never above 12)."""
    return max((value for value in ReturnsPerYear.values if value <= allowed), default=ReturnsPerYear.ONE)


def _first_day(relationship: FundingRelationship) -> datetime.date:
    return relationship.start_date or relationship.expected_start


def monitoring_plan_proposal(
    *,
    relationship: FundingRelationship,
    template: MonitoringTemplate | None = None,
    today: datetime.date | None = None,
) -> dict:
    """What the plan form starts from: the template's questions, purpose and service users' views (blank without
    one), as many returns a year as the compact's band allows for the funding's value (``returns_allowed_per_year``;
    never above 12, down to the nearest choice the plan offers), and the ``periods`` those returns would cover over
    the funding's term (for open-ended funding, up to a year after ``today``: ``rules.return_periods``), each with
    its due date in ``schedule``."""
    allowed = returns_allowed(relationship)
    returns_per_year = _frequency_within(allowed)
    periods = rules.return_periods(
        _first_day(relationship), relationship.end_date, returns_per_year=returns_per_year, until=today
    )
    nation = relationship.compact.nation
    return {
        "template": template,
        "questions": template.questions if template else "",
        "purpose": template.purpose if template else "",
        "service_user_views": template.service_user_views if template else False,
        "returns_per_year": returns_per_year,
        "returns_allowed_per_year": allowed,
        "periods": periods,
        "schedule": [(start, end, rules.return_due_date(end, nation=nation)) for start, end in periods],
    }


@transaction.atomic
def monitoring_plan_set(
    *,
    relationship: FundingRelationship,
    actor: User | None,
    today: datetime.date,
    questions: str,
    purpose: str,
    returns_per_year: int,
    service_user_views: bool,
    agreed_on: datetime.date | None = None,
    disproportion_reason: str = "",
    template: MonitoringTemplate | None = None,
) -> MonitoringPlan:
    """Set up or change ``relationship``'s monitoring plan, and schedule its returns.

    Stores the most returns a year the compact's band allows (12.3): a plan asking more is saved as it is and
    flagged until ``disproportion_reason`` says why more is proportionate. ``agreed_on``, the day the plan was
    agreed with the organisation, is the relationship's ``monitoring_agreed_date`` (12.1; None: not agreed yet);
    a day after ``today`` is refused.

    The returns cover consecutive periods over the funding's term (``rules.return_periods``; open-ended funding's
    up to a year after ``today``, carried on by ``monitoring_schedules_extend``), each due on
    ``rules.return_due_date``. Returns already sent are kept as they are. A return not yet sent keeps its place
    (and any draft) when the new schedule has a period starting the same day, taking that period's end and due
    date; one whose period the new schedule no longer has is removed. A new period gets a return only when it is
    due after ``today`` (a plan made today asks for nothing already due) and overlaps no return already sent.
    ``template`` None keeps the plan's template. The relationship and its returns are checked again once this
    commits.
    """
    _refuse_unless_plan_setter(actor, relationship)
    if agreed_on is not None and agreed_on > today:
        raise ValidationError({"agreed_on": f"Monitoring cannot be agreed after today ({long_date(today)})."})
    relationship = (
        FundingRelationship.objects.select_for_update(of=("self",)).select_related("compact").get(pk=relationship.pk)
    )
    if template is not None and template.compact_id != relationship.compact_id:
        raise ValidationError({"template": "Choose one of the templates of this funding's compact."})
    plan = MonitoringPlan.objects.filter(relationship=relationship).first() or MonitoringPlan(
        relationship=relationship, created_by=actor
    )
    if template is not None:
        plan.template = template
    plan.questions = questions
    plan.purpose = _text(purpose)
    plan.returns_per_year = returns_per_year
    plan.service_user_views = service_user_views
    plan.disproportion_reason = _text(disproportion_reason)
    plan.returns_allowed_per_year = returns_allowed(relationship)
    validated_save(plan, actor)
    if relationship.monitoring_agreed_date != agreed_on:
        relationship.monitoring_agreed_date = agreed_on
        validated_save(relationship, actor)
    touched = _schedule(plan, relationship, actor, today)
    what = f"Monitoring plan set for {relationship.reference}"
    recheck_on_commit(record_type=RecordType.FUNDING_RELATIONSHIP, ids=[relationship.pk], what=what)
    recheck_on_commit(record_type=RecordType.MONITORING_RETURN, ids=touched, what=what)
    return plan


def _schedule(
    plan: MonitoringPlan, relationship: FundingRelationship, actor: User | None, today: datetime.date
) -> list[int]:
    """Make the plan's returns not yet sent match its periods; return the ids of those made, moved or removed."""
    nation = relationship.compact.nation
    periods = rules.return_periods(
        _first_day(relationship), relationship.end_date, returns_per_year=plan.returns_per_year, until=today
    )
    existing = {item.period_start: item for item in plan.returns.all()}
    sent = [(item.period_start, item.period_end) for item in existing.values() if item.submitted_date is not None]
    touched: list[int] = []
    for start, end in periods:
        due = rules.return_due_date(end, nation=nation)
        item = existing.pop(start, None)
        if item is None:
            if due > today and not any(first <= end and start <= last for first, last in sent):
                item = MonitoringReturn(plan=plan, period_start=start, period_end=end, due_date=due, created_by=actor)
                validated_save(item, actor)
                touched.append(item.pk)
        elif item.submitted_date is None and (item.period_end, item.due_date) != (end, due):
            item.period_end, item.due_date = end, due
            validated_save(item, actor)
            touched.append(item.pk)
    for item in existing.values():
        if item.submitted_date is None:  # its period is gone; a return already sent is kept
            touched.append(item.pk)
            _remove_unsent(item, actor)
    return touched


def _remove_unsent(item: MonitoringReturn, actor: User | None) -> None:
    files = [document.file.name for document in item.documents.all()]
    if actor is not None:
        item._history_user = actor
    item.delete()
    if files:
        storage = ReturnDocument._meta.get_field("file").storage

        def remove_files() -> None:
            for name in files:
                storage.delete(name)

        transaction.on_commit(remove_files)


def plan_follows_relationship(
    relationship: FundingRelationship, actor: User | None, *, today: datetime.date | None = None
) -> None:
    """``relationship``'s amount or compact changed: its plan's band (12.3) is counted again, and the due dates of
    its returns not yet sent (17.3) under its compact's nation; both are checked again once this commits. With
    ``today`` (its start or end moved), the returns not yet sent are first cut to the new term's periods, as
    ``monitoring_plan_set`` makes them."""
    plan = MonitoringPlan.objects.filter(relationship=relationship).first()
    if plan is None:
        return
    what = f"Funding {relationship.reference} changed"
    allowed = returns_allowed(relationship)
    if plan.returns_allowed_per_year != allowed:
        plan.returns_allowed_per_year = allowed
        validated_save(plan, actor)
        recheck_on_commit(record_type=RecordType.FUNDING_RELATIONSHIP, ids=[relationship.pk], what=what)
    if today is not None:
        recheck_on_commit(
            record_type=RecordType.MONITORING_RETURN, ids=_schedule(plan, relationship, actor, today), what=what
        )
    moved = []
    for item in plan.returns.filter(may.NOT_YET_SENT):
        due = rules.return_due_date(item.period_end, nation=relationship.compact.nation)
        if item.due_date != due:
            item.due_date = due
            validated_save(item, actor)
            moved.append(item.pk)
    recheck_on_commit(record_type=RecordType.MONITORING_RETURN, ids=moved, what=what)


def _open_ended_plans_behind(horizon: datetime.date) -> QuerySet[MonitoringPlan]:
    """The plans of awarded funding with no end date that may lack a return for a period starting before
    ``horizon``: those with no return, or whose last return's period ends two days or more before it. Each
    carries ``ends_on``, the earliest day a notice of ending takes effect (None without one)."""
    ending = (
        Notice.objects.filter(relationship=OuterRef("relationship"), kind=NoticeKind.END)
        .order_by("effective_date")
        .values("effective_date")[:1]
    )
    return (
        MonitoringPlan.objects.filter(relationship__end_date__isnull=True, relationship__status=FundingStatus.AWARDED)
        .annotate(last_end=Max("returns__period_end"))
        .filter(Q(last_end__isnull=True) | Q(last_end__lt=horizon - datetime.timedelta(days=1)))
        .annotate(ends_on=Subquery(ending))
    )


def monitoring_schedules_extend(*, today: datetime.date, actor: User | None = None) -> int:
    """Carry on the schedules of open-ended funding (17.3) to a year after ``today``; returns how many returns
    were made.

    Open-ended funding has no last period, so its plan's returns are scheduled a year ahead
    (``rules.return_periods``) and this moves that year on, day by day: the passing of days is what changes here,
    so the daily compliance scan runs it first (``commitments.rulebook.register_daily_step``). For every plan of
    awarded funding with no end date, a return is made, due on ``rules.return_due_date``, for each period that
    starts after its last return's period ends and before a year after ``today``: also periods already due (the
    schedule stood still; the scan flags them), never one before a return already scheduled. A plan with no
    return at all gets those due after the day it was set, as setting it then asked. Only awarded funding is
    running: funding ended (or declined, or not yet decided) gets none, funding with an end date has its whole
    term scheduled already, and no period starting on or after the day a notice of ending takes effect is added.

    Set-based: a fixed number of queries however many plans are checked (those needing returns are locked and
    read again, so two runs at once make each return once; the unique period per plan backs that). The returns'
    history credits ``actor``, or the job or command running it; they are checked again once this commits.
    """
    horizon = rules.add_months(today, 12)
    candidates = {plan.pk: plan.ends_on for plan in _open_ended_plans_behind(horizon)}
    if not candidates:
        return 0
    with transaction.atomic():
        plans = list(
            MonitoringPlan.objects.select_for_update(of=("self",))
            .select_related("relationship__compact")
            .filter(pk__in=candidates)
            .order_by("pk")
        )
        last_end = dict(
            MonitoringReturn.objects.filter(plan__in=plans)
            .values("plan")
            .annotate(last=Max("period_end"))
            .values_list("plan", "last")
        )
        made = []
        for plan in plans:
            relationship = plan.relationship
            ends_on = candidates[plan.pk]
            after = last_end.get(plan.pk)
            set_on = timezone.localdate(plan.created_at)
            for start, end in rules.return_periods(
                _first_day(relationship), None, returns_per_year=plan.returns_per_year, until=today
            ):
                if (after is not None and start <= after) or (ends_on is not None and start >= ends_on):
                    continue
                due = rules.return_due_date(end, nation=relationship.compact.nation)
                if after is None and due <= set_on:
                    continue
                item = MonitoringReturn(plan=plan, period_start=start, period_end=end, due_date=due, created_by=actor)
                item.full_clean(exclude=["plan", "created_by"], validate_unique=False, validate_constraints=False)
                made.append(item)
        if not made:
            return 0
        user, reason = _history_credit(MonitoringReturn, actor)
        bulk_create_with_history(made, MonitoringReturn, default_user=user, default_change_reason=reason)
        recheck_on_commit(
            record_type=RecordType.MONITORING_RETURN,
            ids=[item.pk for item in made],
            what=f"{len(made)} monitoring return{'s' if len(made) != 1 else ''} scheduled for open-ended funding",
        )
    return len(made)


# --- Returns (17.3) -------------------------------------------------------------------------------------------------


def _locked_return(monitoring_return: MonitoringReturn) -> MonitoringReturn:
    return (
        MonitoringReturn.objects.select_for_update(of=("self",))
        .select_related("plan__relationship__compact")
        .get(pk=monitoring_return.pk)
    )


def _refuse_unless_maker(actor: User | None, monitoring_return: MonitoringReturn) -> None:
    _refuse_unless(
        actor,
        may.returns_to_make_by,
        monitoring_return.pk,
        "Only the members of the organisation receiving the funding make its monitoring returns.",
    )


def _refuse_unless_reviewer(actor: User | None, monitoring_return: MonitoringReturn) -> None:
    _refuse_unless(
        actor,
        may.returns_to_review_by,
        monitoring_return.pk,
        "Only the funder's officers review its monitoring returns.",
    )


def _answers(plan: MonitoringPlan, answers: Sequence[str], *, complete: bool) -> list[dict[str, str]]:
    """The plan's questions with their answers, as stored. ``complete``: every question must be answered."""
    questions = plan.question_list
    given = [_text(answer) for answer in answers]
    if len(given) != len(questions):
        raise ValidationError(
            {
                "answers": f"Give an answer for each of the plan's {len(questions)} questions; the plan has changed "
                "since the form was opened, so open it again."
            }
        )
    if complete:
        blank = [str(number) for number, answer in enumerate(given, start=1) if not answer]
        if blank:
            which = f"question {blank[0]}" if len(blank) == 1 else f"questions {', '.join(blank)}"
            raise ValidationError(
                {
                    "answers": f"Answer every question before sending the return ({which} not answered yet); you "
                    "can save a draft meanwhile."
                }
            )
    return [{"question": question, "answer": answer} for question, answer in zip(questions, given, strict=True)]


def _message(monitoring_return: MonitoringReturn, *, kind: str, side: str, text: str, actor: User | None) -> None:
    message = ReturnMessage(monitoring_return=monitoring_return, kind=kind, side=side, text=text, actor=actor)
    validated_save(message, actor)


def _store_documents(monitoring_return: MonitoringReturn, actor: User | None, files) -> list[ReturnDocument]:
    """Keep ``files`` with the return, checked by the portal's safe uploads (a form's ``SniffedFileField`` has
    checked them already; anything else is checked here), up to ``MAX_FILES_PER_ITEM`` a return."""
    files = list(files)
    if not files:
        return []
    existing = monitoring_return.documents.count()
    if existing + len(files) > MAX_FILES_PER_ITEM:
        raise ValidationError(
            {"files": f"A return can have at most {MAX_FILES_PER_ITEM} files; it has {existing} already."}
        )
    documents = []
    for upload in files:
        if getattr(upload, "sniffed", None) is None:
            try:
                upload.sniffed = validate_upload(upload)
            except ValidationError as error:
                raise ValidationError({"files": error.messages}) from error
        document = ReturnDocument(monitoring_return=monitoring_return, uploaded_by=actor, **stored_file_fields(upload))
        validated_save(document, actor)
        documents.append(document)
    return documents


def _recheck_return(monitoring_return: MonitoringReturn, what: str) -> None:
    recheck_on_commit(record_type=RecordType.MONITORING_RETURN, ids=[monitoring_return.pk], what=what)


def _named(monitoring_return: MonitoringReturn) -> str:
    return f"the return due {long_date(monitoring_return.due_date)} on {monitoring_return.plan.relationship.reference}"


@transaction.atomic
def return_save_draft(
    *, monitoring_return: MonitoringReturn, actor: User | None, today: datetime.date, answers: list[str]
) -> MonitoringReturn:
    """Keep the organisation's answers so far, some perhaps blank, without sending the return."""
    _refuse_unless_maker(actor, monitoring_return)
    monitoring_return = _locked_return(monitoring_return)
    _refuse_unless_status(monitoring_return, may.MAKING_STATUSES)
    monitoring_return.answers = _answers(monitoring_return.plan, answers, complete=False)
    monitoring_return.status = ReturnStatus.DRAFT
    validated_save(monitoring_return, actor)
    return monitoring_return


@transaction.atomic
def return_submit(
    *,
    monitoring_return: MonitoringReturn,
    actor: User | None,
    today: datetime.date,
    answers: list[str],
    files=(),
) -> MonitoringReturn:
    """Send the return to the funder, every question answered, with any files: it is made on ``today`` (17.3),
    and waits for the funder's review."""
    _refuse_unless_maker(actor, monitoring_return)
    monitoring_return = _locked_return(monitoring_return)
    _refuse_unless_status(monitoring_return, may.MAKING_STATUSES)
    monitoring_return.answers = _answers(monitoring_return.plan, answers, complete=True)
    monitoring_return.status = ReturnStatus.SUBMITTED
    if monitoring_return.submitted_date is None:
        monitoring_return.submitted_date = today
        monitoring_return.submitted_by = actor
    validated_save(monitoring_return, actor)
    _store_documents(monitoring_return, actor, files)
    _message(monitoring_return, kind=MessageKind.SUBMITTED, side=Side.VCS, text="", actor=actor)
    _recheck_return(monitoring_return, f"Sent {_named(monitoring_return)}")
    return monitoring_return


@transaction.atomic
def return_ask_questions(
    *, monitoring_return: MonitoringReturn, actor: User | None, today: datetime.date, questions: str
) -> MonitoringReturn:
    """The funder has a few questions about a return it was sent: the organisation replies to them."""
    _refuse_unless_reviewer(actor, monitoring_return)
    monitoring_return = _locked_return(monitoring_return)
    _refuse_unless_status(monitoring_return, (ReturnStatus.SUBMITTED,))
    if not _text(questions):
        raise ValidationError({"questions": "Write your questions for the organisation."})
    return _reviewed(monitoring_return, actor, ReturnStatus.QUESTIONS, MessageKind.QUESTIONS, _text(questions))


@transaction.atomic
def return_reply(
    *,
    monitoring_return: MonitoringReturn,
    actor: User | None,
    today: datetime.date,
    reply: str,
    answers: list[str] | None = None,
    files=(),
) -> MonitoringReturn:
    """The organisation replies to the funder's questions, perhaps changing its answers (every question still
    answered) and adding files; the return goes back to the funder. The day it was first sent stays the day it
    was made."""
    _refuse_unless_maker(actor, monitoring_return)
    monitoring_return = _locked_return(monitoring_return)
    _refuse_unless_status(monitoring_return, may.REPLYING_STATUSES)
    if not _text(reply):
        raise ValidationError({"reply": "Write your reply to the funder's questions."})
    if answers is not None:
        monitoring_return.answers = _answers(monitoring_return.plan, answers, complete=True)
    monitoring_return.status = ReturnStatus.SUBMITTED
    validated_save(monitoring_return, actor)
    _store_documents(monitoring_return, actor, files)
    _message(monitoring_return, kind=MessageKind.REPLY, side=Side.VCS, text=_text(reply), actor=actor)
    return monitoring_return


@transaction.atomic
def return_accept(
    *, monitoring_return: MonitoringReturn, actor: User | None, today: datetime.date, note: str = ""
) -> MonitoringReturn:
    """The funder accepts a return it was sent (also while its questions wait for a reply, if they were settled
    another way), with a note for the organisation if it likes."""
    _refuse_unless_reviewer(actor, monitoring_return)
    monitoring_return = _locked_return(monitoring_return)
    _refuse_unless_status(monitoring_return, may.REVIEWING_STATUSES)
    return _reviewed(monitoring_return, actor, ReturnStatus.ACCEPTED, MessageKind.ACCEPTED, _text(note))


def _reviewed(
    monitoring_return: MonitoringReturn, actor: User | None, status: str, kind: str, text: str
) -> MonitoringReturn:
    """The funder's step on a return (questions, or accepted): its new status, who reviewed it and when, and the
    step in the exchange."""
    monitoring_return.status = status
    monitoring_return.reviewed_by = actor
    monitoring_return.reviewed_at = timezone.now()
    validated_save(monitoring_return, actor)
    _message(monitoring_return, kind=kind, side=Side.PUBLIC, text=text, actor=actor)
    return monitoring_return


@transaction.atomic
def return_document_add(*, monitoring_return: MonitoringReturn, actor: User | None, files) -> list[ReturnDocument]:
    """Add files to a return not yet accepted (a draft's supporting papers, or more for the funder's questions)."""
    _refuse_unless_maker(actor, monitoring_return)
    monitoring_return = _locked_return(monitoring_return)
    _refuse_unless_status(monitoring_return, (*may.MAKING_STATUSES, *may.REVIEWING_STATUSES))
    if not files:
        raise ValidationError({"files": "Choose at least one file."})
    return _store_documents(monitoring_return, actor, files)


@transaction.atomic
def return_record(
    *,
    plan: MonitoringPlan,
    actor: User | None,
    today: datetime.date,
    period_start: datetime.date,
    period_end: datetime.date,
    submitted_date: datetime.date | None = None,
) -> MonitoringReturn:
    """Record a return as it happened (an import): the plan's return for the period starting ``period_start``,
    made or updated, its due date counted from ``period_end`` (17.3), and the day it was sent if it was.

    A return already sent keeps the day it was sent unless another is given; ``submitted_date`` after ``today``
    is refused. A return not yet sent that is given a sent day waits for the funder's review."""
    _refuse_unless(
        actor,
        may.plans_editable_by,
        plan.pk,
        "Only the funder's officers record its monitoring returns.",
    )
    if submitted_date is not None and submitted_date > today:
        raise ValidationError({"submitted_date": f"A return cannot be sent after today ({long_date(today)})."})
    plan = MonitoringPlan.objects.select_related("relationship__compact").get(pk=plan.pk)
    item = plan.returns.select_for_update().filter(period_start=period_start).first() or MonitoringReturn(
        plan=plan, period_start=period_start, created_by=actor
    )
    item.plan = plan
    item.period_end = period_end
    item.due_date = rules.return_due_date(period_end, nation=plan.relationship.compact.nation)
    first_sent = submitted_date is not None and item.submitted_date is None
    if submitted_date is not None:
        item.submitted_date = submitted_date
        if item.status in may.MAKING_STATUSES:
            item.status = ReturnStatus.SUBMITTED
    validated_save(item, actor)
    if first_sent:
        _message(
            item, kind=MessageKind.SUBMITTED, side=Side.VCS, text=f"Sent on {long_date(submitted_date)}.", actor=actor
        )
    _recheck_return(item, f"Recorded {_named(item)}")
    return item


# --- Significant changes (17.4) ---------------------------------------------------------------------------------


@transaction.atomic
def significant_change_tell(
    *,
    organisation: Organisation,
    actor: User | None,
    today: datetime.date,
    kind: str,
    description: str,
    relationships: Iterable[FundingRelationship],
    submission_key: uuid.UUID | None = None,
) -> SignificantChange:
    """The organisation tells the funders of ``relationships`` (its own funding) of a significant change in its
    management, finances or other risks (17.4), on ``today``; it shows on each relationship's story. Told once
    per ``submission_key`` (the form's one-time key)."""
    relationships = list(relationships)
    if not relationships:
        raise ValidationError({"relationships": "Choose the funding whose funders you are telling."})
    if any(relationship.recipient_id != organisation.pk for relationship in relationships):
        raise ValidationError({"relationships": f"Choose only funding {organisation} receives."})
    if actor is not None:
        told_by_them = may.relationships_told_by(user=actor).filter(pk__in=[r.pk for r in relationships]).count()
        if told_by_them != len({r.pk for r in relationships}):
            raise PermissionDenied("Only the organisation's members tell its funders of changes.")

    def record() -> SignificantChange:
        change = SignificantChange(
            organisation=organisation, kind=kind, description=_text(description), told_on=today, told_by=actor
        )
        validated_save(change, actor)
        change.relationships.set(relationships)
        return change

    return once(key=submission_key, actor=actor, model=SignificantChange, create=record)[0]


# --- Improvement timetables (12.7) ------------------------------------------------------------------------------


@transaction.atomic
def improvement_timetable_agree(
    *,
    relationship: FundingRelationship,
    actor: User | None,
    today: datetime.date,
    problems: str,
    agreed_on: datetime.date,
    review_on: datetime.date,
    actions: list[tuple[str, datetime.date]],
    submission_key: uuid.UUID | None = None,
) -> ImprovementTimetable:
    """Record the timetable of improvement actions agreed with the organisation on ``agreed_on`` (12.7), with the
    day progress is reviewed. A notice for performance given on or after ``agreed_on`` has the timetable it needs:
    the relationship's notices are checked again once this commits. Agreed once per ``submission_key``."""
    _refuse_unless_plan_setter(actor, relationship)
    if agreed_on is not None and agreed_on > today:
        raise ValidationError({"agreed_on": f"A timetable cannot be agreed after today ({long_date(today)})."})
    steps = [(_text(action), due_on) for action, due_on in actions if _text(action)]
    if not steps:
        raise ValidationError({"actions": "Give at least one improvement action, with the day it is due."})
    if any(due_on is None for _action, due_on in steps):
        raise ValidationError({"actions": "Give the day each action is due."})
    if agreed_on is not None and any(due_on < agreed_on for _action, due_on in steps):
        raise ValidationError({"actions": "An action cannot be due before the timetable is agreed."})

    def record() -> ImprovementTimetable:
        timetable = ImprovementTimetable(
            relationship=relationship,
            problems=_text(problems),
            agreed_on=agreed_on,
            review_on=review_on,
            created_by=actor,
        )
        validated_save(timetable, actor)
        for action, due_on in steps:
            validated_save(ImprovementAction(timetable=timetable, action=action, due_on=due_on), actor)
        recheck_on_commit(
            record_type=RecordType.NOTICE,
            ids=relationship.notices.values_list("pk", flat=True),
            what=f"Improvement timetable agreed on {relationship.reference}",
        )
        return timetable

    return once(key=submission_key, actor=actor, model=ImprovementTimetable, create=record)[0]


@transaction.atomic
def improvement_action_done(
    *, action: ImprovementAction, actor: User | None, today: datetime.date, done_on: datetime.date | None
) -> ImprovementAction:
    """Record the day an improvement action was done (None: not done after all): not before its timetable was
    agreed, nor after ``today``."""
    action = ImprovementAction.objects.select_related("timetable__relationship").get(pk=action.pk)
    _refuse_unless_plan_setter(actor, action.timetable.relationship)
    if done_on is not None and done_on < action.timetable.agreed_on:
        raise ValidationError({"done_on": "An action cannot be done before its timetable was agreed."})
    if done_on is not None and done_on > today:
        raise ValidationError({"done_on": f"An action cannot be done after today ({long_date(today)})."})
    action.done_on = done_on
    validated_save(action, actor)
    return action
