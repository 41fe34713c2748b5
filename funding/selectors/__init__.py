"""Reads about funding, shared by the pages, the exports and (later) the compliance jobs.

Who may see what: officers see their own bodies' funding; a VCS organisation's members see
its funding once a decision has been made (not the funder's drafts); champions see everything in
the compacts they champion; administrators see everything. Everyone else is told the record does
not exist.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from commitments.models import Champion, Flag, MeasurableRule, Organisation, RecordType, RuleKey
from commitments.selectors import cite, flags_on_records
from compact_portal.accounts.models import Membership, User
from compact_portal.accounts.roles import Role
from compact_portal.figures import Verdict
from compact_portal.formatting import long_date, money
from compact_portal.gaps import plural

from .. import rules
from ..models import (
    NOTICE_TOO_SHORT,
    PAID_LATE,
    Decision,
    DecisionKind,
    FundingRelationship,
    FundingStatus,
    Invoice,
    Notice,
    NoticeKind,
)
from .figures import MULTI_YEAR, NOTICE_LONG_ENOUGH, PAID_ON_TIME, TOLD_IN_TIME

ENDING_KINDS = (NoticeKind.END, NoticeKind.REDUCE)  # the notices an improvement timetable comes before (12.7)


def _memberships(user: User, role: str, organisation_field: str):
    return Membership.objects.filter(user=user, role=role, organisation=OuterRef(organisation_field))


def relationships_visible_to(*, user: User) -> QuerySet[FundingRelationship]:
    relationships = FundingRelationship.objects.all()
    if not user.is_authenticated:
        return relationships.none()
    if user.has_role(Role.ADMINISTRATOR):
        return relationships
    return relationships.filter(
        Exists(_memberships(user, Role.OFFICER, "funder_id"))
        | (Exists(_memberships(user, Role.VCS_MEMBER, "recipient_id")) & ~Q(status=FundingStatus.PENDING))
        | Exists(Champion.objects.filter(user=user, compact=OuterRef("compact_id")))
    )


def relationships_editable_by(*, user: User) -> QuerySet[FundingRelationship]:
    """Only the funder's own officers change its funding records."""
    if not user.is_authenticated:
        return FundingRelationship.objects.none()
    return FundingRelationship.objects.filter(Exists(_memberships(user, Role.OFFICER, "funder_id")))


def late_invoices(*, today: datetime.date) -> QuerySet[Invoice]:
    """Invoices paid after their pay-by date, or still unpaid after it (11.2)."""
    return Invoice.objects.filter(PAID_LATE | Q(paid_date__isnull=True, pay_by__lt=today))


def short_notices() -> QuerySet[Notice]:
    """Notices that take effect before the compact's notice period has run (13.3)."""
    return Notice.objects.filter(NOTICE_TOO_SHORT)


def relationship_list(*, user: User, today: datetime.date) -> QuerySet[FundingRelationship]:
    """The relationships ``user`` may see, with what the list shows, in a fixed number of queries."""
    return (
        relationships_visible_to(user=user)
        .select_related("funder", "recipient", "compact")
        .annotate(
            has_late_payment=Exists(late_invoices(today=today).filter(relationship=OuterRef("pk"))),
            has_short_notice=Exists(short_notices().filter(relationship=OuterRef("pk"))),
        )
    )


def relationship_detail(*, user: User, pk: int) -> FundingRelationship:
    """One relationship the person may see, with its decisions, invoices (and payments) and notices.

    Raises ``FundingRelationship.DoesNotExist`` for a record they may not see.
    """
    return (
        relationships_visible_to(user=user)
        .select_related("funder", "recipient", "compact", "created_by", "monitoring_plan__template")
        .prefetch_related(
            # Each record's verdicts come from the measures the dashboards count with (selectors/figures.py), so
            # the page and every figure say the same about it.
            Prefetch(
                "decisions",
                queryset=Decision.objects.select_related("recorded_by").annotate(
                    lead_verdict=TOLD_IN_TIME.verdict(), term_verdict=MULTI_YEAR.verdict()
                ),
            ),
            Prefetch(
                "invoices",
                queryset=Invoice.objects.prefetch_related("payments").annotate(payment_verdict=PAID_ON_TIME.verdict()),
            ),
            Prefetch(
                "notices",
                queryset=Notice.objects.select_related("responded_by").annotate(
                    notice_verdict=NOTICE_LONG_ENOUGH.verdict()
                ),
            ),
            "recipient__communities",
            # Monitoring (12, 17): the plan's returns, the improvement timetables and the changes told.
            "monitoring_plan__returns",
            "improvement_timetables__actions",
            "significant_changes",
        )
        .get(pk=pk)
    )


def relationship_flags(*, relationship: FundingRelationship, user: User) -> QuerySet[Flag]:
    """The flags on a relationship, its invoices, its notices and its monitoring returns (their ids come from the
    prefetch)."""
    return flags_on_records(
        records={
            RecordType.FUNDING_RELATIONSHIP: [relationship.pk],
            RecordType.INVOICE: [invoice.pk for invoice in relationship.invoices.all()],
            RecordType.NOTICE: [notice.pk for notice in relationship.notices.all()],
            RecordType.MONITORING_RETURN: [item.pk for item in monitoring_returns(relationship)],
        },
        user=user,
    )


def monitoring_plan_of(relationship: FundingRelationship):
    """The relationship's monitoring plan, or None (read from ``relationship_detail``'s join)."""
    try:
        return relationship.monitoring_plan
    except FundingRelationship.monitoring_plan.RelatedObjectDoesNotExist:
        return None


def monitoring_returns(relationship: FundingRelationship) -> list:
    """The returns of the relationship's plan, in due-date order (none without a plan)."""
    plan = monitoring_plan_of(relationship)
    return list(plan.returns.all()) if plan is not None else []


def invoice_for(*, user: User, pk: int) -> Invoice:
    return Invoice.objects.select_related("relationship__compact").get(
        pk=pk, relationship__in=relationships_visible_to(user=user)
    )


def notice_for(*, user: User, pk: int) -> Notice:
    """A notice the person may see, with its 13.3 ``notice_verdict`` (the dashboards' measure)."""
    return (
        Notice.objects.select_related(
            "relationship__compact", "relationship__funder", "relationship__recipient", "responded_by"
        )
        .annotate(notice_verdict=NOTICE_LONG_ENOUGH.verdict())
        .get(pk=pk, relationship__in=relationships_visible_to(user=user))
    )


def may_respond_to(*, user: User, notice: Notice) -> bool:
    """A member of the recipient organisation answers notices about its funding (13.4)."""
    return Membership.objects.filter(
        user=user, role=Role.VCS_MEMBER, organisation_id=notice.relationship.recipient_id
    ).exists()


def awards_for_export(*, user: User) -> QuerySet[FundingRelationship]:
    """Awarded (or since ended) funding the person may see, ready for the CSV and 360Giving exports."""
    return (
        relationships_visible_to(user=user)
        .filter(status__in=[FundingStatus.AWARDED, FundingStatus.ENDED])
        .select_related("funder", "recipient", "compact")
        .prefetch_related("decisions")
        .order_by("funder__name", "reference")
    )


# --- The story of one relationship -------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    date: datetime.date
    title: str
    detail: str = ""
    verdict: str = ""  # what was promised and what happened, in words
    standing: str = ""  # a Verdict (kept, explained, broken), or blank where there is nothing to judge


def _standing(kept: bool | None, waived: bool) -> str:
    """The verdict on a promise with no figure of its own: kept, or broken unless a champion waived the flag."""
    if kept is None:
        return ""
    if kept:
        return Verdict.KEPT
    return Verdict.EXPLAINED if waived else Verdict.BROKEN


def relationship_timeline(
    *, relationship: FundingRelationship, today: datetime.date, waived: Iterable[tuple[str, str, int]] = ()
) -> list[TimelineEntry]:
    """Everything that happened to a relationship, in date order, each with its Compact verdict.

    Decisions, invoices and notices carry the verdicts ``relationship_detail`` annotates (the dashboards'
    measures); ``waived`` names the flags a champion waived, as (rule, record type, record id), for the
    promises no figure counts (9.3 feedback, 12.1 monitoring, 13.4 the response window). The verdicts cite the
    relationship's compact's own clauses (``commitments.selectors.cite``, one query for the compact's catalogue,
    kept on it for the rest of the page)."""
    compact = relationship.compact
    waived = set(waived)

    def cites(rule: str) -> str:
        return cite(compact=compact, rule=rule)

    def was_waived(rule: str, record_type: str, record_id: int) -> bool:
        return (rule, record_type, record_id) in waived

    entries: list[TimelineEntry] = []
    for decision in relationship.decisions.all():
        verdict, standing = "", ""
        if decision.kind == DecisionKind.AWARDED:
            standing = decision.lead_verdict
            verdict = (
                f"Told by {long_date(decision.due_by)}, at least {compact.decision_lead_months} months before the start"
                if decision.told_in_time
                else f"Told after {long_date(decision.due_by)}, later than "
                f"{cites(MeasurableRule.DECISION_LEAD_TIME)} asks"
                + ("; justification recorded" if decision.justification else "; no justification")
            )
        elif decision.kind == DecisionKind.DECLINED:
            standing = _standing(
                bool(decision.feedback),
                was_waived(RuleKey.DECLINED_WITHOUT_FEEDBACK, RecordType.FUNDING_RELATIONSHIP, relationship.pk),
            )
            feedback = cites(MeasurableRule.DECLINE_FEEDBACK)
            verdict = (
                f"Feedback given, as {feedback} asks"
                if decision.feedback
                else f"No feedback, which {feedback} asks for"
            )
        entries.append(
            TimelineEntry(
                decision.told_date, f"Decision: {decision.get_kind_display()}", decision.rationale, verdict, standing
            )
        )
    if relationship.agreement_signed_date:
        in_time = rules.monitoring_agreed_in_time(
            monitoring_agreed=relationship.monitoring_agreed_date, agreement_signed=relationship.agreement_signed_date
        )
        entries.append(
            TimelineEntry(
                relationship.agreement_signed_date,
                "Agreement signed",
                verdict=f"Monitoring agreed beforehand, as {cites(MeasurableRule.MONITORING_AGREED)} asks"
                if in_time
                else f"Monitoring not agreed before signing, which {cites(MeasurableRule.MONITORING_AGREED)} asks for",
                standing=_standing(
                    in_time,
                    was_waived(RuleKey.MONITORING_NOT_AGREED, RecordType.FUNDING_RELATIONSHIP, relationship.pk),
                ),
            )
        )
    if relationship.start_date:
        entries.append(TimelineEntry(relationship.start_date, "Funding starts"))
    for invoice in relationship.invoices.all():
        entries.append(
            _invoice_entry(
                invoice,
                compact.nation,
                today,
                was_waived(RuleKey.INVOICE_OVERDUE, RecordType.INVOICE, invoice.pk),
            )
        )
        for payment in invoice.payments.all():
            entries.append(
                TimelineEntry(
                    payment.paid_date, f"Payment of {money(payment.amount)} on invoice {invoice.invoice_number}"
                )
            )
    for notice in relationship.notices.all():
        entries.append(
            TimelineEntry(
                notice.notice_date,
                f"{notice.get_kind_display()} notice given, taking effect {long_date(notice.effective_date)}",
                notice.rationale,
                f"{compact.notice_months} months' notice under {cites(MeasurableRule.NOTICE_PERIOD)} runs to "
                f"{long_date(notice.earliest_effective_date)}"
                if notice.notice_owed
                else "No notice owed: the end date was fixed from the start",
                notice.notice_verdict if notice.notice_owed else "",
            )
        )
        if notice.responded_at:
            entries.append(
                TimelineEntry(notice.responded_at.date(), "The organisation responded to the notice", notice.response)
            )
        if notice.final_decision_date:
            before = rules.response_window_before_decision(
                response_due_by=notice.response_due_by, final_decision=notice.final_decision_date
            )
            entries.append(
                TimelineEntry(
                    notice.final_decision_date,
                    "Final decision on the notice",
                    verdict=""
                    if before is None
                    else (
                        f"After the response window closed, as {cites(MeasurableRule.RESPONSE_BEFORE_DECISION)} asks"
                        if before
                        else f"Before the response window closed, which "
                        f"{cites(MeasurableRule.RESPONSE_BEFORE_DECISION)} rules out"
                    ),
                    standing=_standing(
                        before,
                        was_waived(RuleKey.NOTICE_DECIDED_BEFORE_RESPONSE, RecordType.NOTICE, notice.pk),
                    ),
                )
            )
    entries.extend(_monitoring_entries(relationship, today, cites, was_waived))
    if relationship.end_date:
        entries.append(TimelineEntry(relationship.end_date, "Funding ends"))
    return sorted(entries, key=lambda entry: entry.date)


def _monitoring_entries(relationship: FundingRelationship, today: datetime.date, cites, was_waived):
    """The story's monitoring: the plan (12.1–12.4) with its 12.3 verdict, each return (17.3), the improvement
    timetables (12.7) and whether a notice for performance came after one, and the significant changes the
    organisation told (17.4). All read from ``relationship_detail``'s joins and prefetches."""
    plan = monitoring_plan_of(relationship)
    if plan is not None:
        proportionate = cites(MeasurableRule.MONITORING_PROPORTIONATE)
        band = f"the band of at most {plural(plan.returns_allowed_per_year, 'return')} a year"
        over = plan.returns_per_year > plan.returns_allowed_per_year
        if not over:
            verdict, standing = f"Within {band} for the funding's value, as {proportionate} asks", Verdict.KEPT
        elif plan.disproportion_reason:
            verdict = f"More often than {band}, with the reason recorded, as {proportionate} allows"
            standing = Verdict.EXPLAINED
        else:
            verdict = f"More often than {band}, with no reason recorded, which {proportionate} asks for"
            standing = _standing(
                False, was_waived(RuleKey.MONITORING_DISPROPORTIONATE, RecordType.FUNDING_RELATIONSHIP, relationship.pk)
            )
        agreed = relationship.monitoring_agreed_date
        yield TimelineEntry(
            agreed or timezone.localtime(plan.created_at).date(),
            f"Monitoring {'agreed' if agreed else 'plan set up, not yet agreed'}: "
            f"{plan.get_returns_per_year_display().lower()}",
            plan.purpose,
            verdict,
            standing,
        )
        returns_rule = cites(MeasurableRule.MONITORING_RETURNS)
        for item in plan.returns.all():
            covers = f"{long_date(item.period_start)} to {long_date(item.period_end)}"
            on_time = rules.return_made_on_time(due=item.due_date, submitted=item.submitted_date, today=today)
            waived = was_waived(RuleKey.MONITORING_RETURN_OVERDUE, RecordType.MONITORING_RETURN, item.pk)
            if item.submitted_date is not None and item.submitted_date <= today:
                yield TimelineEntry(
                    item.submitted_date,
                    f"Monitoring return sent, for {covers}",
                    item.get_status_display(),
                    f"Sent by its due date, {long_date(item.due_date)}, as {returns_rule} asks"
                    if on_time
                    else f"Sent after its due date, {long_date(item.due_date)}; {returns_rule} asks for returns "
                    "by their due dates",
                    _standing(on_time, waived),
                )
            else:
                yield TimelineEntry(
                    item.due_date,
                    f"Monitoring return due, for {covers}",
                    verdict=""
                    if on_time is None
                    else f"Not yet made; {returns_rule} asks for returns by their due dates",
                    standing=_standing(on_time, waived),
                )
    for timetable in relationship.improvement_timetables.all():
        actions = list(timetable.actions.all())
        yield TimelineEntry(
            timetable.agreed_on,
            f"Improvement timetable agreed: {plural(len(actions), 'action')}, progress reviewed on "
            f"{long_date(timetable.review_on)}",
            timetable.problems,
        )
    agreed_days = [timetable.agreed_on for timetable in relationship.improvement_timetables.all()]
    for notice in relationship.notices.all():
        if not notice.for_performance or notice.kind not in ENDING_KINDS:
            continue
        in_time = rules.improvement_timetable_in_time(
            agreed=min(agreed_days, default=None), notice_given=notice.notice_date
        )
        timetable_rule = cites(MeasurableRule.IMPROVEMENT_TIMETABLE)
        yield TimelineEntry(
            notice.notice_date,
            f"{notice.get_kind_display()} notice given for performance reasons",
            verdict=f"After an improvement timetable was agreed, as {timetable_rule} asks"
            if in_time
            else f"With no improvement timetable agreed beforehand, which {timetable_rule} asks for",
            standing=_standing(
                in_time, was_waived(RuleKey.IMPROVEMENT_TIMETABLE_MISSING, RecordType.NOTICE, notice.pk)
            ),
        )
    for change in relationship.significant_changes.all():
        yield TimelineEntry(
            change.told_on,
            f"The organisation told of a significant change: {change.get_kind_display().lower()}",
            change.description,
        )


def _invoice_entry(invoice: Invoice, nation: str, today: datetime.date, overdue_waived: bool) -> TimelineEntry:
    title = f"Invoice {invoice.invoice_number} for {money(invoice.amount)} received; pay by {long_date(invoice.pay_by)}"
    return TimelineEntry(
        invoice.received_date,
        title,
        verdict=invoice_verdict(invoice, nation, today),
        standing=invoice_standing(invoice, today, overdue_waived=overdue_waived),
    )


def invoice_standing(invoice: Invoice, today: datetime.date, *, overdue_waived: bool = False) -> str:
    """The invoice's verdict (11.2): once paid in full, the dashboards' (``payment_verdict``, annotated by
    ``relationship_detail``); unpaid, nothing yet until its pay-by date, then broken (or explained, if a
    champion waived the overdue flag)."""
    if invoice.paid_date:
        return invoice.payment_verdict
    return "" if today <= invoice.pay_by else _standing(False, overdue_waived)


def invoice_verdict(invoice: Invoice, nation: str, today: datetime.date) -> str:
    """Plain words for an invoice's 11.2 standing: paid on time, paid N working days late, due, or overdue."""
    if invoice.paid_date:
        if rules.invoice_paid_on_time(due_by=invoice.pay_by, paid=invoice.paid_date):
            return f"Paid on {long_date(invoice.paid_date)}, on time"
        late = rules.working_days_late(due_by=invoice.pay_by, paid_or_today=invoice.paid_date, nation=nation)
        if late == 0:  # paid on the weekend or bank holiday after the pay-by date
            return f"Paid on {long_date(invoice.paid_date)}, after its pay-by date"
        return f"Paid on {long_date(invoice.paid_date)}, {late} working day{'s' if late != 1 else ''} late"
    if today <= invoice.pay_by:
        return "Due" + (" (part paid)" if invoice.amount_paid else "")
    late = rules.working_days_late(due_by=invoice.pay_by, paid_or_today=today, nation=nation)
    return f"Overdue by {late} working day{'s' if late != 1 else ''}"


# --- A VCS organisation's funding across every public body --------------------------------------


def funding_summary_for_recipient(*, user: User, organisation: Organisation) -> QuerySet[FundingRelationship]:
    return (
        relationships_visible_to(user=user)
        .filter(recipient=organisation)
        .select_related("funder", "compact")
        .annotate(
            invoiced=Sum("invoices__amount"),
            paid=Sum("invoices__amount_paid"),
        )
        .order_by("funder__name", "-expected_start")
    )


def open_invoices_for_recipient(*, user: User, organisation: Organisation) -> QuerySet[Invoice]:
    return (
        Invoice.objects.filter(
            relationship__in=relationships_visible_to(user=user).filter(recipient=organisation), paid_date__isnull=True
        )
        .select_related("relationship__funder", "relationship__compact")
        .order_by("pay_by")
    )


def notices_for_recipient(*, user: User, organisation: Organisation) -> QuerySet[Notice]:
    return (
        Notice.objects.filter(relationship__in=relationships_visible_to(user=user).filter(recipient=organisation))
        .select_related("relationship__funder")
        .order_by("-notice_date")
    )
