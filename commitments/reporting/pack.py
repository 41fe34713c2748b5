"""An implementation group meeting's pack: a PDF in the compliance report's look (Nottinghamshire KP3.3: the group
reports progress), drawn by WeasyPrint when someone asks for it on the meeting's page.

It holds, counted when it is drawn:

- the flags raised since the group's previous meeting (from that meeting's day; the three months before this
  meeting for the first), still open today;
- where the action plan stands ("Action plan: 3 done, 4 on track, 2 late") and its late actions, as the
  compliance report gives them (the action plan's panel, through the figure registry);
- the open Compact concerns by stage, however long ago received, with no organisation named (the disputes app's
  panel, through the figure registry);
- the headline figures of the same period against the one before (the dashboard's, from the figure registry).

Unlike the compliance report it is drawn in the request, not by the report job: it is a few short tables with no
charts over a few months, so it takes about a second, and a meeting has nowhere to keep a file.
"""

import datetime
from dataclasses import dataclass

from django.template.loader import render_to_string

from compact_portal.formatting import long_date
from compact_portal.periods import Period

from .. import figures as registry
from ..models import Flag, FlagStatus, Meeting
from ..selectors.dashboard import compact_figures
from ..selectors.group import pack_period, previous_meeting
from .pdf import RenderedReport, flags_table
from .tables import Table, action_plan_tables, headline_table

NO_OPEN_CONCERNS = "No Compact concern is open."
# Concerns received since this day count among the open ones: any day before the portal could hold one.
EVER = datetime.date(1998, 1, 1)


@dataclass(frozen=True)
class MeetingPack:
    meeting: Meeting
    period: Period
    since: str  # what the new flags are counted from, in words
    new_flags: Table
    late_actions: Table
    plan: str  # "Action plan: 3 done, 4 on track, 2 late"
    open_concerns: Table
    headline: Table
    today: datetime.date

    @property
    def tables(self) -> list[Table]:
        return [self.new_flags, self.late_actions, self.open_concerns, self.headline]


def meeting_pack(*, meeting: Meeting, today: datetime.date) -> MeetingPack:
    """What the pack of ``meeting`` holds today; a fixed number of queries whatever the size of the data."""
    compact = meeting.compact
    period = pack_period(meeting, today=today)
    before = previous_meeting(meeting)
    since = (
        f"since the group's previous meeting, of {long_date(before.held_on)}"
        if before
        else f"in the three months before this meeting, from {long_date(period.start)}"
    )
    flags = (
        Flag.objects.filter(compact=compact, status=FlagStatus.OPEN, first_detected__range=(period.start, period.end))
        .select_related("organisation")
        .order_by("first_detected", "due_date", "pk")
    )
    figures = compact_figures(compact=compact, period=period, today=today)
    plan, late = action_plan_tables(figures, links=False)  # the report's, from the action plan's panel
    return MeetingPack(
        meeting=meeting,
        period=period,
        since=since,
        new_flags=flags_table(
            flags, "new-flags", "Open flags raised since the last meeting", "No flag raised in the period is open."
        ),
        late_actions=late,
        plan=plan.empty_text if plan.empty else plan.title,
        open_concerns=_open_concerns(compact, today),
        headline=headline_table(figures, links=False),
        today=today,
    )


def _open_concerns(compact, today: datetime.date) -> Table:
    """The compact's open concerns by the stage each has reached, from the disputes app's panel of concerns by
    stage, counted over every concern ever received: a stage still running has the age of its oldest case."""
    everything = Period(EVER, today)
    scope = registry.PanelScope(compact, None, everything, everything.previous(), [], [], today)
    stages, _received = registry.panel("cases_by_stage", scope) or ([], [])
    rows = [[s.label, s.count, s.oldest_days] for s in stages if s.count and s.oldest_days is not None]
    return Table(
        "open-concerns",
        "Open concerns by stage",
        ["Stage", "Open concerns", "Oldest (days since received)"],
        rows,
        note="Every concern not yet closed or withdrawn, however long ago it was received. No organisation is named.",
        empty_text=NO_OPEN_CONCERNS,
    )


def render_pack(*, meeting: Meeting, today: datetime.date, requested_by: str = "") -> RenderedReport:
    """The meeting's pack as PDF bytes, with its page count."""
    from weasyprint import HTML  # loads Pango: only when a pack is drawn

    pack = meeting_pack(meeting=meeting, today=today)
    html = render_to_string(
        "commitments/group/pack.html",
        {"compact": meeting.compact, "meeting": meeting, "pack": pack, "requested_by": requested_by, "today": today},
    )
    document = HTML(string=html).render()
    return RenderedReport(document.write_pdf(), len(document.pages))


def pack_name(meeting: Meeting) -> str:
    return f"{meeting.compact.slug}-implementation-group-pack-{meeting.held_on:%Y-%m-%d}.pdf"
