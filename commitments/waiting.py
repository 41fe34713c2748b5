"""What commitments puts on the "Waiting for you" list (compact_portal/worklist.py).

For a Compact champion, in the compacts they are appointed to (``Champion``): the flags raised there since their
last visit, one item a compact; the applications to sign those compacts, waiting for a decision; and the
compact's yearly review, from three months before its date (the compact's review clause, or the portal's default);
and its implementation group's meetings: one in the next two weeks with its pack ready, one held in the last sixty
days with nothing recorded of it.

For a Compact champion too: the directory entries of the organisations that have signed their compacts changed
since their last visit, one item an organisation, naming the fields that changed (from the entries' history).

For a VCS member: the applications their organisations made to sign a compact, while no champion has decided.

For an action's lead (the lead person, or an officer, VCS member or champion of the lead organisation): "Action due",
each action of a compact's action plan they lead that is due within ten days or late; for a champion, also the late
actions of their compacts (the action plan's promise, or the portal's default).

For an administrator: the compliance checks that failed or whose run died since the last full check that
finished cleanly, the PDF reports that failed and were not asked for again, and the requests to change an
organisation's registration numbers waiting for approval. Neither is a promise of a
compact, so they cite no clause: they are the portal's own jobs, and the item says what went wrong instead.

Each source takes a fixed number of queries whatever the number of records: one for the records (grouped in the
database where an item summarises many), for the review one more for the clauses the compacts give it, and for the
changed entries at most four (``selectors.entry_changes_since``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from urllib.parse import urlencode

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from compact_portal import worklist
from compact_portal.accounts.roles import Role
from compact_portal.formatting import long_date

from . import rules
from .models import (
    LIVE_STATUSES,
    OPEN_ACTION_STATUSES,
    Champion,
    CheckStatus,
    Compact,
    CompactStatus,
    ComplianceReport,
    ComplianceRun,
    Flag,
    MeasurableRule,
    Meeting,
    Organisation,
    PlanAction,
    ReportStatus,
    RuleCheck,
    RuleKey,
    Signature,
    SignatureStatus,
    Trigger,
)
from .selectors import Promise, entry_changes_since, identifier_changes_to_decide
from .selectors.plans import LEAD_ROLES
from .services.digest import RUN_PRESUMED_DEAD_AFTER

# Without a last visit to count from (a champion who has never signed in), flags found in the last seven days,
# today included: the flag list's "Found in the last 7 days" (``FlagFilter.by_age``), which the item links to.
NEW_FLAGS_DAYS = 7
# A compact's review is listed from this long before its date: time to plan a review with both sectors.
REVIEW_NOTICE = relativedelta(months=3)
REPORT_PERIODS_NAMED_AT_MOST = 3  # a compact's failed reports named in its one item; the rest are counted
ENTRIES_LISTED_AT_MOST = 10  # changed directory entries listed one by one; the rest are counted in one item


def _championed(person: worklist.Person) -> QuerySet[Compact]:
    """The compacts ``person`` is appointed a champion of (a subquery: no query of its own)."""
    return Compact.objects.filter(Exists(Champion.objects.filter(user_id=person.user.pk, compact=OuterRef("pk"))))


def new_flags_since(person: worklist.Person) -> datetime.date:
    """The first day whose flags are new to ``person``: the day of their last visit (``Person.last_visit``: on the
    first page after signing in, the sign-in before), or, when there was none, the first of the last
    ``NEW_FLAGS_DAYS`` days. A flag found on the day of the last visit counts as new, as a flag's date
    (``first_detected``) has no time of day."""
    if person.last_visit is None:
        return person.today - datetime.timedelta(days=NEW_FLAGS_DAYS - 1)
    return min(timezone.localdate(person.last_visit), person.today)


def _flag_list_url(compact: str, since: datetime.date, today: datetime.date) -> str:
    """The flag list of one compact, newest found first; narrowed to the last seven days when all the new flags
    fall within them, so the list shows no older flag as new."""
    query = {"compact": compact, "sort": "-found"}
    if since > today - datetime.timedelta(days=NEW_FLAGS_DAYS):
        query["age"] = "new"
    return f"{reverse('commitments:flag_list')}?{urlencode(query)}"


@worklist.source(Role.CHAMPION)
def new_flags(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """One item for each of the champion's compacts with flags found since their last visit and still open or at
    risk: how many, linking to the compact's flags, newest first (one query)."""
    since = new_flags_since(person)
    counts = (
        Flag.objects.filter(compact__in=_championed(person), status__in=LIVE_STATUSES, first_detected__gte=since)
        .values("compact__name", "compact__slug", "compact__nation")
        .annotate(found=Count("pk"))
        .order_by("compact__name")
    )
    if person.last_visit is None:
        why = "Found in the last 7 days; you have not visited before"
    else:
        why = f"Found on or after {long_date(since)}, the day of your last visit"
    for row in counts:
        found = row["found"]
        yield worklist.Waiting(
            role=Role.CHAMPION,
            kind="new_flags",
            key=f"{row['compact__slug']}-{since.isoformat()}",
            what=f"{found} new flag{'s' if found != 1 else ''} in {row['compact__name']}",
            action="See the new flags",
            url=_flag_list_url(row["compact__slug"], since, person.today),
            why=f"{why}: Compact promises broken, or about to be, each citing its clause on the list",
            compact=row["compact__name"],
            nation=row["compact__nation"],
        )


@worklist.source(Role.CHAMPION)
def applications_to_decide(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """Each application to sign one of the champion's compacts still waiting for a decision, oldest first (one
    query). The compacts set no time for deciding, so an application has no date."""
    applications = (
        Signature.objects.filter(status=SignatureStatus.APPLIED, compact__in=_championed(person))
        .select_related("compact", "organisation")
        .order_by("applied_at", "pk")
    )
    for signature in applications:
        compact = signature.compact
        yield worklist.Waiting(
            role=Role.CHAMPION,
            kind="application_to_sign",
            key=str(signature.pk),
            what=f"{signature.organisation} applied to sign {compact} on "
            f"{long_date(timezone.localdate(signature.applied_at))}",
            action="Decide the application",
            url=reverse("commitments:application_decide", args=[signature.pk]),
            why="An organisation signs the compact once one of its champions approves its application",
            compact=compact.name,
            nation=compact.nation,
        )


@worklist.source(Role.CHAMPION)
def changed_entries(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """The directory entries of the organisations that have signed the champion's compacts (and not withdrawn)
    changed since their last visit (the day of it, as for new flags: ``new_flags_since``), each naming the fields
    that changed and linking to the entry; after ``ENTRIES_LISTED_AT_MOST``, one item counts the rest. Nothing to
    decide: the champion knows who changed what. At most four queries (``selectors.entry_changes_since``)."""
    since = new_flags_since(person)
    signed = Signature.objects.filter(
        organisation=OuterRef("pk"), status=SignatureStatus.APPROVED, compact__in=_championed(person)
    )
    changes = entry_changes_since(
        organisations=Organisation.objects.filter(Exists(signed)),
        since=timezone.make_aware(datetime.datetime.combine(since, datetime.time.min)),
    )
    if person.last_visit is None:
        when = "in the last 7 days; you have not visited before"
    else:
        when = f"on or after {long_date(since)}, the day of your last visit"
    why = (
        f"Changed {when}. Organisations keep their own entries; each change is in the entry's history with who made it"
    )
    for change in changes[:ENTRIES_LISTED_AT_MOST]:
        what = f"{change.name} changed its directory entry: {', '.join(change.fields)}"
        by = f" by {change.by}" if change.by else ""
        yield worklist.Waiting(
            role=Role.CHAMPION,
            kind="entry_changed",
            key=f"{change.organisation_id}-{change.history_id}",
            what=f"{what} (last changed on {long_date(timezone.localdate(change.at))}{by})",
            action="See the entry",
            url=reverse("commitments:signatory_detail", args=[change.slug]),
            why=why,
        )
    more = changes[ENTRIES_LISTED_AT_MOST:]
    if more:
        yield worklist.Waiting(
            role=Role.CHAMPION,
            kind="entries_changed",
            key=f"{since.isoformat()}-{more[-1].history_id}",
            what=f"{len(more)} more directory entr{'ies' if len(more) != 1 else 'y'} changed: "
            + ", ".join(change.name for change in more[:REPORT_PERIODS_NAMED_AT_MOST])
            + (" and others" if len(more) > REPORT_PERIODS_NAMED_AT_MOST else ""),
            action="See the directory",
            url=reverse("commitments:directory"),
            why=why,
        )


@worklist.source(Role.VCS_MEMBER)
def applications_waiting(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """Each application the person's VCS organisations made to sign a compact that no champion has decided yet,
    oldest first (one query): nothing for them to do but know it waits, so it has no date and says who acts."""
    applications = (
        Signature.objects.filter(
            status=SignatureStatus.APPLIED, organisation__in=person.organisations_as(Role.VCS_MEMBER)
        )
        .select_related("compact", "organisation")
        .order_by("applied_at", "pk")
    )
    for signature in applications:
        compact = signature.compact
        yield worklist.Waiting(
            role=Role.VCS_MEMBER,
            kind="application_made",
            key=str(signature.pk),
            what=f"{signature.organisation}'s application to sign {compact} is waiting for a champion",
            action="Read the compact",
            url=compact.get_absolute_url(),
            why="An organisation signs the compact once one of its champions approves its application",
            compact=compact.name,
            nation=compact.nation,
            blocked="A champion of the compact decides it.",
        )


def review_window_ends(today: datetime.date) -> datetime.date:
    """The last review date listed on ``today``: three months ahead (``REVIEW_NOTICE``)."""
    return today + REVIEW_NOTICE


@worklist.source(Role.CHAMPION)
def compact_reviews(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """The review of each adopted compact the person champions, from three months before its next review date
    and after it has passed (the compliance check flags it then: ``checks.review_overdue``). Two queries: the
    compacts, and the clauses they give the yearly review (none when no review is near)."""
    compacts = _championed(person).filter(
        status=CompactStatus.ADOPTED,
        next_review_date__isnull=False,
        next_review_date__lte=review_window_ends(person.today),
    )
    promise = Promise(MeasurableRule.COMPACT_REVIEW)
    for compact in compacts.order_by("next_review_date", "name"):
        due = compact.next_review_date
        yield worklist.Waiting(
            role=Role.CHAMPION,
            kind="compact_review",
            key=f"{compact.pk}-{due.isoformat()}",
            what=f"Review of the compact due {long_date(due)}",
            action="Plan the review",
            url=compact.get_absolute_url(),
            **promise.cited(compact),
            due=due,
        )


# --- Administrators: the portal's own jobs --------------------------------------------------------------------


def _last_clean_full_run() -> datetime.datetime | None:
    """When the latest check of every rule across every compact in use started, of those that finished with no
    rule failed: it put right whatever earlier runs left undone (one query)."""
    failed = RuleCheck.objects.filter(run=OuterRef("pk"), status=CheckStatus.FAILED)
    return (
        ComplianceRun.objects.filter(compact__isnull=True, finished_at__isnull=False)
        .exclude(trigger=Trigger.LIVE)
        .exclude(Exists(failed))
        .filter(rules=[])
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )


def _first_line(error: str, at_most: int = 120) -> str:
    line = (error or "").strip().splitlines()[0] if (error or "").strip() else "no error was recorded"
    return line if len(line) <= at_most else line[: at_most - 1] + "…"


@worklist.source(Role.ADMINISTRATOR)
def failed_compliance_checks(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """One item for each rule whose check failed, and one for the runs that died (unfinished
    ``RUN_PRESUMED_DEAD_AFTER`` after they started, as the digest presumes), since the last full run that
    finished cleanly (four queries: that run, the failed checks by rule, the last error of each, the dead runs)."""
    since = _last_clean_full_run()
    after = Q(run__started_at__gt=since) if since else Q()
    failed = (
        RuleCheck.objects.filter(after, status=CheckStatus.FAILED)
        .values("rule")
        .annotate(times=Count("pk"), last=Max("finished_at"), last_check=Max("pk"))
        .order_by("rule")
    )
    failed = list(failed)
    errors = dict(
        RuleCheck.objects.filter(pk__in=[row["last_check"] for row in failed]).values_list("pk", "error")
    ) if failed else {}  # fmt: skip
    for row in failed:
        rule = RuleKey(row["rule"])
        times = row["times"]
        last = timezone.localdate(row["last"]) if row["last"] else person.today
        yield worklist.Waiting(
            role=Role.ADMINISTRATOR,
            kind="compliance_check_failed",
            key=f"{rule.value}-{row['last_check']}",
            what=f"The compliance check of “{rule.label}” failed"
            + (f" {times} times, last on {long_date(last)}" if times > 1 else f" on {long_date(last)}"),
            action="See the rule's flags",
            url=f"{reverse('commitments:flag_list')}?{urlencode({'rule': rule.value})}",
            why="A scheduled job of the portal, not a compact's promise: a failed check changes none of the rule's "
            f"flags until it runs cleanly again (python manage.py check_compliance). "
            f"The error: {_first_line(errors.get(row['last_check'], ''))}",
        )
    dead = ComplianceRun.objects.filter(
        Q(started_at__gt=since) if since else Q(),
        finished_at__isnull=True,
        started_at__lt=timezone.now() - RUN_PRESUMED_DEAD_AFTER,
    ).aggregate(runs=Count("pk"), first=Min("started_at"), last=Max("pk"))
    if dead["runs"]:
        runs = dead["runs"]
        yield worklist.Waiting(
            role=Role.ADMINISTRATOR,
            kind="compliance_run_died",
            key=str(dead["last"]),
            what=f"{runs} compliance run{'s' if runs != 1 else ''} never finished, the first started on "
            f"{long_date(timezone.localdate(dead['first']))}",
            action="See the flags",
            url=reverse("commitments:flag_list"),
            why="A scheduled job of the portal, not a compact's promise: a run killed halfway (its worker stopped "
            "or the server restarted) leaves its unfinished checks undone until the next run of every rule "
            "(python manage.py check_compliance)",
        )


@worklist.source(Role.ADMINISTRATOR)
def failed_reports(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """One item for each compact with PDF reports that failed and were not asked for again since (the same compact
    and period, later, not failed), linking to the compact's reports to ask again (one query)."""
    asked_again = ComplianceReport.objects.filter(
        compact=OuterRef("compact_id"),
        period_start=OuterRef("period_start"),
        period_end=OuterRef("period_end"),
        requested_at__gt=OuterRef("requested_at"),
    ).exclude(status=ReportStatus.FAILED)
    reports = (
        ComplianceReport.objects.filter(status=ReportStatus.FAILED)
        .exclude(Exists(asked_again))
        .select_related("compact")
        .order_by("compact__name", "-requested_at", "-pk")
    )
    by_compact: dict[int, list[ComplianceReport]] = {}
    for report in reports:
        by_compact.setdefault(report.compact_id, []).append(report)
    for failed in by_compact.values():
        compact = failed[0].compact
        periods = ", ".join(r.period.label for r in failed[:REPORT_PERIODS_NAMED_AT_MOST])
        more = len(failed) - REPORT_PERIODS_NAMED_AT_MOST
        if more > 0:
            periods += f" and {more} more"
        count = len(failed)
        yield worklist.Waiting(
            role=Role.ADMINISTRATOR,
            kind="report_failed",
            key=f"{compact.slug}-{failed[0].pk}",
            what=f"{count} compliance report{'s' if count != 1 else ''} of {compact} failed ({periods})",
            action="Ask for the report again",
            url=reverse("commitments:reports", args=[compact.slug]),
            why="A job of the portal, not a compact's promise: the PDF could not be made. "
            f"The error: {_first_line(failed[0].failure_reason)}",
            compact=compact.name,
            nation=compact.nation,
        )


@worklist.source(Role.ADMINISTRATOR)
def registration_numbers_to_approve(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """Each request to change an organisation's registration numbers waiting for an administrator, oldest first
    (one query). The Org-ID is worked out from the numbers, so they change only once approved; no compact sets a
    time for it, so a request has no date."""
    for change in identifier_changes_to_decide():
        yield worklist.Waiting(
            role=Role.ADMINISTRATOR,
            kind="registration_numbers",
            key=str(change.pk),
            what=f"Registration numbers to approve: {change.organisation} asked on "
            f"{long_date(timezone.localdate(change.requested_at))}",
            action="Approve or refuse the numbers",
            url=reverse("commitments:identifier_change_decide", args=[change.pk]),
            why="The portal's own check, not a compact's promise: the Org-ID is worked out from these numbers, so "
            "the directory shows new ones once an administrator approves them",
        )


# How long before an implementation group meeting its pack is offered; how long after one its notes are asked for.
MEETING_PACK_AHEAD = datetime.timedelta(days=14)
MEETING_NOTES_ASKED_FOR = datetime.timedelta(days=60)


@worklist.source(Role.CHAMPION)
def group_meetings(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """The implementation group meetings of the champion's compacts: each one in the next two weeks, with its pack
    ready to download; and each one held in the last sixty days with neither notes nor decisions, to record
    (one query)."""
    today = person.today
    meetings = (
        Meeting.objects.filter(compact__in=_championed(person))
        .filter(
            Q(held_on__gte=today, held_on__lte=today + MEETING_PACK_AHEAD)
            | Q(held_on__lt=today, held_on__gte=today - MEETING_NOTES_ASKED_FOR, notes="", decisions="")
        )
        .select_related("compact")
        .order_by("held_on", "pk")
    )
    for meeting in meetings:
        compact = meeting.compact
        if meeting.held_on >= today:
            yield worklist.Waiting(
                role=Role.CHAMPION,
                kind="group_meeting_pack",
                key=str(meeting.pk),
                what=f"Implementation group meeting of {long_date(meeting.held_on)}: the pack is ready",
                action="See the meeting and its pack",
                url=meeting.get_absolute_url(),
                why="The group follows the action plan and reports its progress; the pack gives the flags since "
                "its last meeting, the late actions, the open concerns and the headline figures",
                compact=compact.name,
                due=meeting.held_on,
                nation=compact.nation,
            )
        else:
            yield worklist.Waiting(
                role=Role.CHAMPION,
                kind="group_meeting_notes",
                key=str(meeting.pk),
                what=f"Implementation group meeting of {long_date(meeting.held_on)}: record the meeting",
                action="Record its notes and decisions",
                url=reverse("commitments:meeting_update", args=[compact.slug, meeting.pk]),
                why="No notes or decisions are recorded for a meeting that has been held",
                compact=compact.name,
                nation=compact.nation,
            )


# --- The action plan: actions due, for their leads; late ones, for the compact's champions -------------------------


def _first_role_held(person: worklist.Person) -> str | None:
    """The first role (in the order of ``Role``) the person holds in an organisation: the one whose list shows the
    actions they lead by name, so each is listed once."""
    return next((role for role in Role.values if person.organisations_as(role)), None)


def _actions_due(person: worklist.Person, role: str) -> Iterator[worklist.Waiting]:
    """The open actions due within ``rules.ACTION_DUE_SOON_DAYS`` days or late that the person leads in ``role``
    (their organisation's in that role, or theirs by name in their first role), and for a champion the late
    actions of their compacts, latest first (one query, and one more for the clauses when there is any)."""
    today = person.today
    mine = Q(pk__in=[])
    if role in LEAD_ROLES:
        mine |= Q(lead_organisation_id__in=person.organisations_as(role))
    if role == _first_role_held(person):
        mine |= Q(lead_person_id=person.user.pk)
    if role == Role.CHAMPION:
        mine |= Q(objective__compact__in=_championed(person), due_date__lt=today)
    if mine == Q(pk__in=[]):
        return
    actions = (
        PlanAction.objects.filter(mine, status__in=OPEN_ACTION_STATUSES, due_date__isnull=False)
        .filter(due_date__lte=rules.action_at_risk_until(today))
        .select_related("objective__compact")
        .order_by("due_date", "pk")
    )
    promise = Promise(MeasurableRule.ACTION_PLAN)
    for action in actions:
        compact = action.objective.compact
        what = action.what if len(action.what) <= 80 else action.what[:79] + "…"
        yield worklist.Waiting(
            role=role,
            kind="action_due",
            key=str(action.pk),
            what=f"Action due: {what} ({compact.name}'s action plan, objective {action.objective.number})",
            action="Update the action",
            url=action.get_absolute_url(),
            **promise.cited(compact),
            due=action.due_date,
        )


@worklist.source(Role.OFFICER)
def actions_due_for_officers(person: worklist.Person) -> Iterator[worklist.Waiting]:
    return _actions_due(person, Role.OFFICER)


@worklist.source(Role.VCS_MEMBER)
def actions_due_for_vcs_members(person: worklist.Person) -> Iterator[worklist.Waiting]:
    return _actions_due(person, Role.VCS_MEMBER)


@worklist.source(Role.CHAMPION)
def actions_due_for_champions(person: worklist.Person) -> Iterator[worklist.Waiting]:
    return _actions_due(person, Role.CHAMPION)


@worklist.source(Role.PANEL_MEMBER)
def actions_due_for_panel_members(person: worklist.Person) -> Iterator[worklist.Waiting]:
    return _actions_due(person, Role.PANEL_MEMBER)  # those they lead by name, if it is their first role


@worklist.source(Role.ADMINISTRATOR)
def actions_due_for_administrators(person: worklist.Person) -> Iterator[worklist.Waiting]:
    return _actions_due(person, Role.ADMINISTRATOR)  # the same
