"""This app's records in the administrators' audit trail (``compact_portal/selectors/audit.py``): compacts,
organisations and their requests to change registration numbers, signatures, champions and the people's
memberships of organisations, and each compliance flag's changes of status (its ``FlagEvent`` rows, by a person
or by a compliance run). Imported when the apps are ready (``CompactPortalConfig.ready``)."""

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse

from compact_portal.selectors.audit import AuditEntry, Change, Events, Kind, register, shown_choice, shown_day

from .models import FlagEvent, FlagStatus

FLAG = "flag"


def _earlier_events():
    """The same flag's events before this one (ordered by time, then id)."""
    return FlagEvent.objects.filter(flag_id=OuterRef("flag_id")).filter(
        Q(at__lt=OuterRef("at")) | Q(at=OuterRef("at"), pk__lt=OuterRef("pk"))
    )


def _of_action(events: QuerySet, action: str) -> QuerySet | None:
    """A flag's first event raised it (created); the others changed its status. Flags are never deleted, only
    resolved or waived."""
    if action == "deleted":
        return None
    earlier = Exists(_earlier_events())
    return events.filter(earlier if action == "changed" else ~earlier)


def _flag_entry(event) -> AuditEntry:
    statuses = dict(FlagStatus.choices)
    before = statuses.get(event.previous_status, event.previous_status) if event.previous_status else None
    run = f"Compliance check (run {event.run_id})" if event.run_id else "Compliance check"
    return AuditEntry(
        kind=FLAG,
        kind_label="Compliance flag",
        at=event.at,
        action="changed" if event.previous_status else "created",
        person=event.by,
        via="" if event.by_id else run,
        record=str(event.flag),
        url=reverse("commitments:flag_detail", args=[event.flag_id]),
        changes=(Change("Status", before, statuses.get(event.status, event.status)),),
        note=f"Reason: {event.reason}" if event.reason else "",
    )


def _flag_entries(ids: list[int]) -> dict[int, AuditEntry]:
    previous_status = _earlier_events().order_by("-at", "-pk").values("status")[:1]
    events = (
        FlagEvent.objects.filter(pk__in=ids)
        .select_related("flag", "by")
        .annotate(previous_status=Subquery(previous_status))
    )
    return {event.pk: _flag_entry(event) for event in events}


register(
    Kind("compact", "Compact", "commitments.Compact", lambda r, ref: r.name),
    Kind("organisation", "Organisation", "commitments.Organisation", lambda r, ref: r.name),
    Kind(
        "identifier_change", "Registration numbers request", "commitments.IdentifierChange",
        lambda r, ref: f"Change of registration numbers for {ref('organisation')}",
    ),
    Kind(
        "signature", "Signature", "commitments.Signature",
        lambda r, ref: f"{ref('organisation')} – {ref('compact')}",
    ),
    Kind(
        "champion", "Champion", "commitments.Champion",
        lambda r, ref: f"{ref('user')}, champion of {ref('compact')} at {ref('organisation')}"
        + (f" ({r.service_team})" if r.service_team else ""),
    ),
    # A person's role at one of these organisations (a membership names its organisation, so it has none
    # without this app): listed with them.
    Kind(
        "membership", "Membership", "accounts.Membership",
        lambda r, ref: f"{ref('user')} – {shown_choice(r, 'role')} at {ref('organisation')}",
    ),
    # A body's API tokens (a token names its organisation, so it has none without this app); its digest stays
    # out of sight (compact_portal/history_privacy.py).
    Kind(
        "api_token", "API token", "accounts.ApiToken",
        lambda r, ref: f"API token \u201c{r.name}\u201d of {ref('organisation')}",
    ),
    Kind("objective", "Action plan objective", "commitments.Objective",
         lambda r, ref: f"Objective {r.number}. {r.title} ({ref('compact')})", link="compact"),
    Kind("plan_action", "Action plan action", "commitments.PlanAction",
         lambda r, ref: f"{r.what[:80]} ({shown_choice(r, 'status')}) under {ref('objective')}", link=None),
    Kind("review", "Compact review", "commitments.Review",
         lambda r, ref: f"{shown_choice(r, 'kind')} held {shown_day(r.held_on)} ({ref('compact')})", link="compact"),
    Kind("group_member", "Implementation group member", "commitments.GroupMember",
         lambda r, ref: f"{r.name} on the implementation group of {ref('compact')}"
         + (" (chair)" if r.chair else ""), link="compact"),
    Kind("meeting", "Implementation group meeting", "commitments.Meeting",
         lambda r, ref: f"Meeting of {shown_day(r.held_on)} ({ref('compact')})", link="compact"),
    Events(
        FLAG, "Compliance flag (status)", "commitments.FlagEvent", person="by", date="at",
        of_action=_of_action, entries=_flag_entries,
    ),
)  # fmt: skip
