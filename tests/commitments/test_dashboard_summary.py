"""One verdict everywhere: the summary every dashboard, health check and report opens with, where each promise
stands against its compact's thresholds (commitments/standing.py), and what the pages say when a period holds
nothing.

The data is test_views_dashboard's Southsea Compact: Q2 2026's invoices were paid "50% (1 of 2)" on time (INV-Q2-ON
kept, INV-Q2-LATE broken) against Q1's "0% (0 of 1)"; nothing else has records.
"""

import datetime
import html
import io
import re
from xml.etree import ElementTree

import pypdf
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from commitments.models import Compact
from commitments.reporting.pdf import REPORT_TABLES, render_report, report_tables
from commitments.reporting.tables import NO_OPEN_FLAGS, Group, summary, trend_tables
from commitments.selectors.dashboard import compact_figures
from commitments.standing import NO_RECORDS, Standing, standing, threshold_errors
from compact_portal.charts import NOTHING, bar_chart, column_chart, share_bar
from compact_portal.figures import Share
from compact_portal.periods import Period
from tests.commitments.factories import ChampionFactory
from tests.commitments.test_compact_settings import admin_post
from tests.commitments.test_views_dashboard import southsea

pytestmark = pytest.mark.django_db

D = datetime.date
Q2_2026 = Period.quarter(2026, 2)
TODAY = D(2026, 7, 10)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def compact(council, charity):
    return southsea(council, charity)


@pytest.fixture
def compact_champion(compact, champion, council):
    ChampionFactory(compact=compact, organisation=council, user=champion)
    return champion


def dashboard(client, compact, **query) -> str:
    address = reverse("commitments:dashboard", args=[compact.slug])
    return client.get(address, query or {"year": "2026", "quarter": "2"}).content.decode()


def health_check(client, compact, organisation) -> str:
    address = reverse("commitments:scorecard", args=[compact.slug, organisation.slug])
    return client.get(address, {"year": "2026", "quarter": "2"}).content.decode()


def main_of(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


def section_of(page: str, ident: str) -> str:
    """The ``<section>`` labelled by the heading ``ident``."""
    return re.search(rf'<section aria-labelledby="{ident}".*?</section>', page, re.S).group(0)


def pdf_pages(data: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(data)).pages]


# --- Where a promise stands: one pure function -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "meeting", "slipping", "expected"),
    [
        (Share(90, 100), 90, 75, Standing.MEETING),  # at the meeting threshold
        (Share(89, 100), 90, 75, Standing.SLIPPING),  # just below it
        (Share(75, 100), 90, 75, Standing.SLIPPING),  # at the slipping threshold
        (Share(74, 100), 90, 75, Standing.NOT_MET),  # just below it
        (Share(0, 3), 90, 75, Standing.NOT_MET),
        (Share(100, 100), 90, 75, Standing.MEETING),
        (Share(80, 100, 10), 90, 75, Standing.MEETING),  # kept and explained together
        (Share(60, 100, 15), 90, 75, Standing.SLIPPING),
        (Share(1, 3, 1), 67, 50, Standing.SLIPPING),  # shown as 33% kept and 33% explained: 66, below 67
        (Share(1, 3, 1), 66, 50, Standing.MEETING),
        (Share(99, 100), 100, 100, Standing.NOT_MET),  # a compact that allows no slip at all
        (Share(100, 100), 100, 100, Standing.MEETING),
        (Share(0, 5), 0, 0, Standing.MEETING),
        (Share(9, 10), 95, 90, Standing.SLIPPING),  # the compact's own thresholds
        (Share(0, 0), 90, 75, None),  # nothing in the period: no standing at all
        (Share(0, 0), 0, 0, None),
    ],
)
def test_a_promise_stands_by_its_share_kept_or_explained_against_the_thresholds(share, meeting, slipping, expected):
    assert standing(share, meeting=meeting, slipping=slipping) == expected


def test_the_statuses_read_plainly():
    assert [s.label for s in Standing] == ["Meeting the compact", "Slipping", "Not met"]
    assert NO_RECORDS == "No records in the period"


@pytest.mark.parametrize(
    ("meeting", "slipping", "fields"),
    [
        (90, 75, set()),
        (75, 75, set()),  # slipping may equal meeting: then nothing is slipping
        (0, 0, set()),
        (100, 100, set()),
        (75, 90, {"slipping_threshold"}),  # slipping above meeting
        (101, 75, {"meeting_threshold"}),
        (90, -1, {"slipping_threshold"}),
    ],
)
def test_thresholds_are_percentages_and_slipping_is_no_higher_than_meeting(meeting, slipping, fields):
    assert set(threshold_errors(meeting=meeting, slipping=slipping)) == fields


def test_a_compact_defaults_to_90_and_75_and_refuses_slipping_above_meeting(compact):
    assert (compact.meeting_threshold, compact.slipping_threshold) == (90, 75)

    compact.meeting_threshold, compact.slipping_threshold = 80, 85
    with pytest.raises(ValidationError) as refused:
        compact.full_clean()
    assert set(refused.value.message_dict) == {"slipping_threshold"}

    compact.meeting_threshold, compact.slipping_threshold = 101, 75
    with pytest.raises(ValidationError) as refused:
        compact.full_clean()
    assert refused.value.message_dict == {"meeting_threshold": ["Ensure this value is less than or equal to 100."]}


def test_the_admin_sets_a_compacts_thresholds_and_refuses_slipping_above_meeting(client_for, compact):
    client = client_for("administrator")
    address = reverse("admin:commitments_compact_change", args=[compact.pk])

    form = client.get(address).content.decode()
    refused = client.post(address, admin_post(compact, meeting_threshold=70, slipping_threshold=80))
    compact.refresh_from_db()
    unchanged = (compact.meeting_threshold, compact.slipping_threshold)
    saved = client.post(address, admin_post(compact, meeting_threshold=95, slipping_threshold=80))
    compact.refresh_from_db()

    assert 'name="meeting_threshold"' in form
    assert 'name="slipping_threshold"' in form
    assert "Dashboard status" in form
    assert refused.status_code == 200
    assert "slipping_threshold" in refused.context["adminform"].form.errors
    assert unchanged == (90, 75)
    assert saved.status_code == 302
    assert (compact.meeting_threshold, compact.slipping_threshold) == (95, 80)


# --- The summary ---------------------------------------------------------------------------------------------


def test_each_promise_has_a_summary_row_with_its_shares_change_and_status(compact):
    rows = summary(compact_figures(compact=compact, period=Q2_2026, today=TODAY)).rows
    invoices = next(row for row in rows if row.key == "paid_on_time")

    assert [part.text for part in invoices.parts] == ["50% (1 of 2)", "0% (0 of 2)", "50% (1 of 2)"]
    assert [part.count_text for part in invoices.parts] == ["1 of 2", "0 of 2", "1 of 2"]
    assert all(f"verdict={part.verdict}" in part.url for part in invoices.parts)
    assert (invoices.change.arrow, invoices.change.text) == ("↑", "+50 points")
    assert invoices.change.words == "Up 50 points on Q1 2026"
    assert invoices.standing == Standing.NOT_MET
    assert invoices.status == "Not met"
    others = [row for row in rows if row.key != "paid_on_time"]
    assert others
    assert all(row.standing is None and row.status == NO_RECORDS for row in others)
    assert all(row.bar is None and [p.text for p in row.parts] == ["–"] * 3 for row in others)


def test_the_compacts_own_thresholds_decide_the_status(compact):
    Compact.objects.filter(pk=compact.pk).update(meeting_threshold=50, slipping_threshold=40)
    compact.refresh_from_db()

    found = summary(compact_figures(compact=compact, period=Q2_2026, today=TODAY))
    invoices = next(row for row in found.rows if row.key == "paid_on_time")

    assert invoices.status == "Meeting the compact"
    assert "Meeting the compact: 50% or more kept or explained. Slipping: 40% or more." in found.legend


@pytest.mark.parametrize(
    ("now", "before", "arrow", "text", "words"),
    [
        (Share(1, 2), Share(0, 1), "↑", "+50 points", "Up 50 points on Q1 2026"),
        (Share(0, 1), Share(1, 2), "↓", "−50 points", "Down 50 points on Q1 2026"),
        (Share(1, 2), Share(2, 4), "→", "no change", "No change on Q1 2026"),
        (Share(1, 2), Share(0, 2, 1), "→", "no change", "No change on Q1 2026"),  # explained counts with kept
        (Share(1, 2), Share(0, 0), "–", "–", "No records in Q1 2026 to compare"),
        (Share(0, 0), Share(1, 2), "–", "–", "Nothing to compare"),
    ],
)
def test_the_trend_arrow_says_the_change_in_words_too(compact, now, before, arrow, text, words):
    figures = compact_figures(compact=compact, period=Q2_2026, today=TODAY)
    shares = [figures.shares[0].__class__("paid_on_time", "Invoices", "11.2", now, before, [now])]

    change = summary(figures, shares).rows[0].change

    assert (change.arrow, change.text, change.words) == (arrow, text, words)


def test_the_dashboard_opens_with_the_summary_each_share_drilling_down_to_its_records(
    client_for, compact, compact_champion
):
    page = main_of(dashboard(client_for("compact_champion"), compact))
    at_a_glance = section_of(page, "summary")
    row = re.search(r"<tr>\s*<th scope=\"row\"><a [^>]*>Invoices paid within.*?</tr>", at_a_glance, re.S).group(0)
    links = [html.unescape(href) for href in re.findall(r'href="([^"]+)"', row)]

    assert page.index('id="summary"') < page.index('id="headline"') < page.index('id="trends"')
    assert "Q2 2026 at a glance" in at_a_glance
    assert len(links) == 4  # all the records, then kept, explained, broken
    assert "/dashboard/records/paid_on_time/" in links[0]
    assert "verdict" not in links[0]
    assert [re.search(r"verdict=(\w+)", link).group(1) for link in links[1:]] == ["kept", "explained", "broken"]
    assert all("start=2026-04-01" in link and "end=2026-06-30" in link for link in links)
    assert re.findall(r'<span class="fw-semibold">(\d+%)</span>', row) == ["50%", "0%", "50%"]
    # The status and the change are words; the arrow and the bar are hidden from screen readers, which read words.
    assert '<span class="status status-not_met">Not met</span>' in row
    assert '<span aria-hidden="true">↑ +50 points</span>' in row
    assert '<span class="visually-hidden">Up 50 points on Q1 2026</span>' in row
    assert re.search(r'<svg [^>]*class="share-bar"[^>]*aria-hidden="true"', row)
    assert at_a_glance.count(NO_RECORDS) >= 6  # decisions, notices, multi-year (twice), consultations, feedback
    assert "Meeting the compact: 90% or more kept or explained. Slipping: 75% or more. Not met: below 75%." in page


def test_the_headline_table_has_kept_explained_and_broken_columns_linking_to_their_records(
    client_for, compact, compact_champion
):
    page = main_of(dashboard(client_for("compact_champion"), compact))
    headline = page[page.index('id="headline"') :]
    headline = headline[: headline.index("</table>")]
    row = re.search(r"Invoices paid within the agreed working days</th>(.*?)</tr>", headline, re.S).group(1)
    cells = re.findall(r'<a href="([^"]+)">([^<]+)</a>', row)

    assert '<th scope="col">Kept</th><th scope="col">Explained</th><th scope="col">Broken</th>' in headline
    assert [text for _, text in cells] == ["50% (1 of 2)", "0% (0 of 1)", "1", "0", "1"]
    assert [re.search(r"verdict=(\w+)", html.unescape(href)).group(1) for href, _ in cells[2:]] == [
        "kept",
        "explained",
        "broken",
    ]


def test_a_share_bar_draws_the_three_in_order_and_leaves_out_an_empty_one():
    bar = ElementTree.fromstring(str(share_bar(kept=60, explained=0, broken=40)))
    rects = list(bar.iter(f"{SVG}rect"))[1:]  # after the background

    assert bar.get("aria-hidden") == "true"
    assert [(float(r.get("x")), float(r.get("width"))) for r in rects] == [(0.0, 72.0), (72.0, 48.0)]
    assert [r.get("fill") for r in rects] == ["#00703c", "#d4351c"]


# --- Zeros, empty charts and long labels ---------------------------------------------------------------------


def test_a_zero_is_drawn_as_a_thin_mark_with_its_figure():
    chart = column_chart(
        title="Invoices paid on time",
        steps=["Apr 2026", "May 2026", "Jun 2026"],
        values=[100, 0, None],
        texts=["100%", "0%", "–"],
        percent=True,
        columns=["Month", "Share kept"],
        rows=[],
    )
    svg = ElementTree.fromstring(str(chart.svg))
    heights = [float(rect.get("height")) for rect in svg.iter(f"{SVG}rect")]
    texts = [text.text for text in svg.iter(f"{SVG}text")]

    assert heights == [140.0, 3.0]  # a zero is a visible mark; a step with nothing to count has none
    assert "0%" in texts
    bars = ElementTree.fromstring(
        str(bar_chart(title="Awards", items=[("A", 4, "4"), ("B", 0, "0")], columns=[], rows=[]).svg)
    )
    assert [float(rect.get("width")) for rect in bars.iter(f"{SVG}rect")] == [330.0, 3.0]


def test_the_dashboards_monthly_trend_shows_mays_zero(client_for, compact, compact_champion):
    """Q1 2026 by month: January had no invoice, February's was late (0%), March had none."""
    page = main_of(dashboard(client_for("compact_champion"), compact, year="2026", quarter="1"))
    chart = re.search(r'<section class="chart-block[^>]*trend-paid_on_time-heading.*?</svg>', page, re.S).group(0)

    assert re.search(r'<rect [^>]*height="3"', chart)
    assert ">0%</text>" in chart


def test_a_trend_with_nothing_in_the_period_is_one_line_not_a_chart(client_for, compact, compact_champion):
    page = main_of(dashboard(client_for("compact_champion"), compact))
    trends = page[page.index('id="trends"') : page.index('id="breakdowns"')]

    assert trends.count('<section class="chart-block') == 2  # invoices paid on time; days to pay
    assert "trend-told_in_time-heading" not in trends
    lines = re.findall(r'<p class="nothing">([^<]*)</p>', trends)
    assert lines == [
        "Nothing in this period for: Funding decisions told in time before the start; Notices giving the full notice "
        "period; Awards of multi-year funding; Multi-year funding, by value; Monitoring plans proportionate to the "
        "funding&#x27;s value; Monitoring returns made on time; Improvement timetable agreed before ending for "
        "performance; Consultations lasting the minimum length; Consultation feedback published on time; Compact "
        "concerns received."
    ]
    assert "Nothing to show for this period." not in page
    assert "None." not in page


def test_a_trend_table_knows_it_is_empty_and_a_group_names_the_empty_ones(compact):
    figures = compact_figures(compact=compact, period=Q2_2026, today=TODAY)
    tables = trend_tables(figures)
    group = Group("Trends", tables, group_empty=True)

    assert [t.slug for t in tables if not t.empty] == ["trend-paid_on_time", "trend-days-to-pay"]
    assert all(t.chart is None and t.rows for t in tables if t.empty)  # the CSV still has each step
    assert [t.slug for t in group.shown] == ["trend-paid_on_time", "trend-days-to-pay"]
    assert group.empty_names.startswith("Funding decisions told in time before the start; ")
    assert Group("Nothing", [t for t in tables if t.empty]).empty


def test_the_breakdowns_say_once_that_there_is_nothing(client_for, compact, compact_champion):
    page = main_of(dashboard(client_for("compact_champion"), compact))
    breakdowns = page[page.index('id="breakdowns"') :]
    breakdowns = breakdowns[: breakdowns.index("</details>")]

    assert re.findall(r'<p class="nothing">([^<]*)</p>', breakdowns) == [NOTHING]
    assert "<svg" not in breakdowns


# --- The health check: whose promise it is -------------------------------------------------------------------


def test_a_charitys_health_check_scores_the_council_not_the_charity(client_for, compact, charity, vcs_member):
    page = main_of(health_check(client_for("vcs_member"), compact, charity))
    made = section_of(page, "promises-made")
    to_it = section_of(page, "promises-to")

    assert f"Promises {charity.name} made" in made
    assert re.findall(r'<p class="nothing">([^<]*)</p>', made) == [NOTHING]  # it made none: one line
    assert "<table" not in made
    assert f"How others kept their promises to {charity.name}" in to_it
    assert '<span class="status status-not_met">Not met</span>' in to_it  # the council's late invoice
    links = [html.unescape(href) for href in re.findall(r'href="([^"]+)"', to_it)]
    assert links
    assert all(f"organisation={charity.slug}" in link and "role=recipient" in link for link in links)
    assert "status-" not in made


def test_a_councils_health_check_scores_its_own_promises(client_for, compact, council, officer):
    page = main_of(health_check(client_for("officer"), compact, council))
    made = section_of(page, "promises-made")
    to_it = section_of(page, "promises-to")

    assert '<span class="status status-not_met">Not met</span>' in made
    links = [html.unescape(href) for href in re.findall(r'href="([^"]+)"', made)]
    assert links
    assert all(f"organisation={council.slug}" in link and "role=promiser" in link for link in links)
    assert re.findall(r'<p class="nothing">([^<]*)</p>', to_it) == [NOTHING]


def test_the_same_late_invoice_is_the_councils_broken_promise_and_one_broken_to_the_charity(
    client_for, compact, council, charity, compact_champion
):
    client = client_for("compact_champion")

    def broken_link(organisation, section: str) -> str:
        page = section_of(main_of(health_check(client, compact, organisation)), section)
        return html.unescape(re.search(r'href="([^"]*paid_on_time[^"]*verdict=broken[^"]*)"', page).group(1))

    by_the_council = client.get(broken_link(council, "promises-made")).content.decode()
    to_the_charity = client.get(broken_link(charity, "promises-to")).content.decode()
    as_the_charitys_own = client.get(
        reverse("commitments:figure_records", args=[compact.slug, "paid_on_time"]),
        {"start": "2026-04-01", "end": "2026-06-30", "organisation": charity.slug, "role": "promiser"},
    ).content.decode()

    assert "INV-Q2-LATE" in by_the_council
    assert "INV-Q2-ON" not in by_the_council
    assert "INV-Q2-LATE" in to_the_charity
    assert "(promises made to it)" in to_the_charity
    assert "INV-Q2-LATE" not in as_the_charitys_own


# --- The report ----------------------------------------------------------------------------------------------


def test_the_report_opens_with_the_summary_table(compact):
    tables = report_tables(compact=compact, period=Q2_2026, today=TODAY)
    first = tables[0]

    assert REPORT_TABLES[0] == ("summary", "Summary: where each promise stands")
    assert first.slug == "summary"
    assert first.columns == ["Promise", "Clause", "Kept", "Explained", "Broken", "Change on Q1 2026", "Status"]
    assert first.rows[0] == [
        "Invoices paid within the agreed working days",
        "Portal default",
        "50% (1 of 2)",
        "0% (0 of 2)",
        "50% (1 of 2)",
        "↑ +50 points",
        "Not met",
    ]
    assert first.rows[1][2:] == ["–", "–", "–", "–", NO_RECORDS]


def test_the_reports_empty_tables_say_so_in_one_wording(compact):
    tables = {table.slug: table for table in report_tables(compact=compact, period=Q2_2026, today=TODAY)}

    empty = {slug: table.empty_text for slug, table in tables.items() if table.empty}
    assert {"consultations", "notices", "disputes-by-stage", "funding-by-mechanism", "trend-told_in_time"} <= set(empty)
    of_today = ("flags", "breaches", "action")  # what stands today, whatever the period, says what is missing
    assert {text for slug, text in empty.items() if not any(word in slug for word in of_today)} == {NOTHING}
    assert {empty[slug] for slug in ("flags-by-rule", "breaches-by-signatory", "open-flags")} == {NO_OPEN_FLAGS}
    assert empty["action-plan"] == "The compact has no action plan yet."
    assert empty["late-actions"] == "No action of the plan is late."


def test_the_pdf_opens_with_the_summary_and_empty_sections_take_no_page_of_their_own(compact):
    pages = pdf_pages(render_report(compact=compact, period=Q2_2026, today=TODAY).pdf)
    text = " ".join(pages)

    def page_of(heading: str) -> int:
        return next(i for i, page in enumerate(pages) if heading in page)

    assert pages[1].startswith("Summary")
    assert "Status" in pages[1]
    assert "Invoices paid within the agreed working days Portal default 50% 1 of 2 0% 0 of 2 50% 1 of 2" in pages[1]
    assert "↑ +50 points Not met" in pages[1]
    assert "Nothing to show for this period." not in text
    assert "None." not in text
    assert "Nothing in this period for: Funding decisions told in time before the start;" in text
    # No open flags, no concerns and no consultations: each section says so once, and they share one page.
    assert "Where the compact is broken No flags are open today. Disputes" in text
    assert "No organisation is named. Nothing in this period. Consultations Nothing in this period." in text
    disputes, consultations = "Disputes Compact concerns received", "Consultations Nothing in this period."
    assert page_of("Where the compact is broken") == page_of(disputes) == page_of(consultations)
    assert page_of("Appendix: open flags") == len(pages) - 1
    assert not pages[-1].startswith("Appendix")  # the empty appendix runs on after the funding section
