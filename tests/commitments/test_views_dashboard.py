"""The champions' dashboard, the signatories' health checks (scorecards), the records behind each figure and the
compliance reports (commitments/views/dashboard.py): who may open them, what they show for a small data set
counted by hand, how many queries they take, and asking for, following and downloading a report.

The Southsea Compact (``southsea``): the council pays the food bank's invoices within 10 working days (11.2).
Q1 2026: INV-Q1-LATE (14 working days). Q2 2026: INV-Q2-ON (3) and INV-Q2-LATE (13, across the spring bank
holiday), so Q2's share is "50% (1 of 2)" against Q1's "0% (0 of 1)". In Q2 the council also tells the food bank
of a three-year grant in time, gives notice on the old grant, runs a 12-week consultation, and the food bank
raises one concern about it.
"""

import csv
import datetime
import html
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from commitments.models import ComplianceReport, Flag, RecordType, ReportStatus, RuleKey
from commitments.reporting.pdf import REPORT_TABLES
from commitments.services.compliance import compliance_scan
from commitments.services.flags import flag_waive
from compact_portal.accounts.roles import Role
from compact_portal.figures import Share, Verdict
from compact_portal.periods import Period
from funding import services as funding_services
from funding.models import Invoice
from funding.services import monitoring
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import (
    ChampionFactory,
    CommitmentFactory,
    CompactFactory,
    FlagFactory,
    OrganisationFactory,
    PublicBodyFactory,
    SignatureFactory,
)
from tests.consultations.factories import ConsultationFactory
from tests.disputes.factories import ConcernFactory
from tests.funding.factories import FundingRelationshipFactory, InvoiceFactory, NoticeFactory, pay_in_full
from tests.worlds import shared_world

pytestmark = pytest.mark.django_db

D = datetime.date
Q2_2026 = {"year": "2026", "quarter": "2"}
END_BEFORE_START = (
    "The period ends (1 April 2026) before it starts (30 June 2026); choose an end date on or after the start date."
)
RUNNING = {"expected_start": D(2026, 1, 1), "start_date": D(2026, 1, 1), "end_date": D(2028, 12, 31)}


# --- The data --------------------------------------------------------------------------------------------------


def paid_invoice(relationship, number: str, received: datetime.date, paid: datetime.date):
    return pay_in_full(InvoiceFactory(relationship=relationship, invoice_number=number, received_date=received), paid)


def awarded(compact, funder, recipient, *, told: datetime.date, **fields):
    """Funding from ``funder`` to ``recipient``, awarded on ``told`` (running through 2026 unless dates are given)."""
    relationship = FundingRelationshipFactory(compact=compact, funder=funder, recipient=recipient, **(RUNNING | fields))
    funding_services.decision_record(
        relationship=relationship,
        actor=None,
        kind="awarded",
        told_date=told,
        today=told,
        justification="Budget set late.",
    )
    relationship.refresh_from_db()
    return relationship


def southsea(council, charity, *, name: str = "Southsea Compact"):
    """The compact, signed by ``council`` and ``charity``, with the invoices of the module's docstring; nothing
    else, so every other figure is "none in the period"."""
    compact = CompactFactory(name=name, status="adopted", adopted_date=D(2025, 4, 1))
    SignatureFactory(compact=compact, organisation=council, signed_date=D(2025, 6, 1))
    SignatureFactory(compact=compact, organisation=charity, signed_date=D(2025, 6, 1))
    grant = awarded(compact, council, charity, told=D(2025, 9, 1))
    paid_invoice(grant, "INV-Q1-LATE", D(2026, 2, 2), D(2026, 2, 20))
    paid_invoice(grant, "INV-Q2-ON", D(2026, 4, 14), D(2026, 4, 17))
    paid_invoice(grant, "INV-Q2-LATE", D(2026, 5, 11), D(2026, 5, 29))
    return compact


def more_of_q2(compact, council, charity, raiser_member, *, n: int = 1, tag: str = "A"):
    """``n`` of each other kind of Q2 record the dashboard counts, between ``council`` and ``charity``: an award
    told in time for a three-year grant with its monitoring plan agreed (twice a year, within its band), a notice
    giving the full three months for performance after an improvement timetable, a monitoring return sent on time,
    a 12-week consultation, a concern the charity raises (``raiser_member`` acts for it) and an open flag."""
    if not compact.commitments.filter(code="13.3").exists():
        CommitmentFactory(compact=compact, code="13.3", side="public")
    for i in range(n):
        grant = awarded(
            compact,
            council,
            charity,
            reference=f"GR-{tag}-{i}",
            told=D(2026, 4, 20),
            expected_start=D(2026, 10, 1),
            start_date=D(2026, 10, 1),
            end_date=D(2029, 9, 30),
        )
        running = awarded(compact, council, charity, reference=f"GR-{tag}-OLD-{i}", told=D(2025, 9, 1))
        monitoring.improvement_timetable_agree(
            relationship=running,
            actor=None,
            today=D(2026, 3, 2),
            problems="Fewer sessions than agreed.",
            agreed_on=D(2026, 3, 2),
            review_on=D(2026, 4, 6),
            actions=[("Run the missed sessions", D(2026, 4, 6))],
        )
        NoticeFactory(
            relationship=running, notice_date=D(2026, 5, 1), effective_date=D(2026, 8, 3), for_performance=True
        )
        plan = monitoring.monitoring_plan_set(
            relationship=grant,
            actor=None,
            today=D(2026, 12, 31),
            questions="How many households did you help?",
            purpose="To report to the cabinet.",
            returns_per_year=2,
            service_user_views=False,
            agreed_on=D(2026, 4, 20),
        )
        monitoring.return_record(
            plan=plan,
            actor=None,
            today=D(2026, 4, 29),
            period_start=D(2026, 3, 1),
            period_end=D(2026, 3, 31),
            submitted_date=D(2026, 4, 29),
        )
        paid_invoice(grant, f"INV-{tag}-{i}", D(2026, 6, 1), D(2026, 6, 3))
        ConsultationFactory(
            compact=compact,
            body=council,
            publish=True,
            announced_date=D(2026, 3, 6),
            open_date=D(2026, 4, 6),
            close_date=D(2026, 6, 28),
        )
        ConcernFactory(
            actor=raiser_member,
            raiser=charity,
            compact=compact,
            respondent=council,
            happened_on=D(2026, 5, 1),
            today=D(2026, 5, 11),
        )
        FlagFactory(compact=compact, organisation=council)
        FlagFactory(compact=compact, organisation=charity, clause="3.5")


def grow(compact, council, charity, raiser_member):
    """Many more records of every kind, for more signatories: what must not cost more queries."""
    more_of_q2(compact, council, charity, raiser_member, n=3, tag="B")
    for i in range(3):
        body, group = PublicBodyFactory(name=f"Havant Council {i}"), OrganisationFactory(name=f"Havant Lunch Club {i}")
        SignatureFactory(compact=compact, organisation=body, signed_date=D(2026, 2, 1))
        SignatureFactory(compact=compact, organisation=group, signed_date=D(2026, 5, 1))
        grant = awarded(compact, body, group, reference=f"GR-H-{i}", told=D(2026, 1, 15))
        paid_invoice(grant, f"INV-H-{i}", D(2026, 4, 1), D(2026, 4, 30))
        paid_invoice(grant, f"INV-H2-{i}", D(2026, 3, 2), D(2026, 3, 4))
        FlagFactory(compact=compact, organisation=body)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Rendered reports land in the test's own directory, never in the repository."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(scope="module")
def shared_southsea(django_db_setup, django_db_blocker, tmp_path_factory):
    """The council, the food bank (as tests/conftest.py names them) and their compact, made once for the module
    (tests/worlds.py): its tests read them, and what a test adds (people, reports, more records) goes with its own
    transaction."""
    with shared_world(django_db_blocker, tmp_path_factory):
        council = PublicBodyFactory(name="Portsmouth City Council")
        charity = OrganisationFactory(name="Southsea Community Food Bank")
        yield {"council": council, "charity": charity, "compact": southsea(council, charity)}


@pytest.fixture
def council(shared_southsea, db):
    return shared_southsea["council"]


@pytest.fixture
def charity(shared_southsea, db):
    return shared_southsea["charity"]


@pytest.fixture
def compact(shared_southsea, db):
    return shared_southsea["compact"]


@pytest.fixture
def compact_champion(compact, champion, council):
    """The ``champion`` fixture, appointed a champion of the Southsea Compact."""
    ChampionFactory(compact=compact, organisation=council, user=champion)
    return champion


@pytest.fixture
def other_champion(council):
    """A champion of another compact only."""
    user = MembershipFactory(organisation=council, role=Role.CHAMPION, user__full_name="Frank Fareham").user
    ChampionFactory(compact=CompactFactory(name="Fareham Compact"), organisation=council, user=user)
    return user


@pytest.fixture
def charity_signs(compact, other_charity):
    """The outsider's organisation signs too: it has a card of its own, but not the food bank's."""
    SignatureFactory(compact=compact, organisation=other_charity, signed_date=D(2025, 6, 1))


@pytest.fixture
def queued_report(compact, champion):
    return ComplianceReport.objects.create(
        compact=compact, period_start=D(2026, 4, 1), period_end=D(2026, 6, 30), requested_by=champion
    )


def url(name: str, *args, **query) -> str:
    address = reverse(f"commitments:{name}", args=args)
    return f"{address}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else address


def text_of(response) -> str:
    return response.content.decode()


def records_count(response) -> int:
    """The number of records a drill-down list says it holds: "…: 2 records." (then, for a promise, its clause)."""
    return int(re.search(r": (\d+) records?\.(?: The promise: [^<]*)?</p>", text_of(response)).group(1))


def queries_of(client, address: str, data=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address, data).status_code == 200
    return len(queries)


# --- Who may open what -------------------------------------------------------------------------------------------


def champions_pages(compact, report) -> dict[str, str]:
    return {
        "dashboard": url("dashboard", compact.slug),
        "reports": url("reports", compact.slug),
        "report_detail": url("report_detail", report.pk),
        "report_table_csv": url("report_table_csv", report.pk, "headline"),
        "figure_records": url("figure_records", compact.slug, "paid_on_time", start="2026-04-01", end="2026-06-30"),
    }


PAGES = ["dashboard", "reports", "report_detail", "report_table_csv", "figure_records"]


@pytest.mark.parametrize("page_name", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, compact, queued_report, page_name):
    response = client.get(champions_pages(compact, queued_report)[page_name])

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("person", "status"),
    [
        ("compact_champion", 200),
        ("administrator", 200),
        ("other_champion", 404),
        ("officer", 404),
        ("vcs_member", 404),
        ("outsider", 404),
    ],
)
@pytest.mark.parametrize("page_name", PAGES)
def test_only_the_compacts_champions_and_administrators_see_its_dashboard_and_reports(
    client_for, compact, queued_report, page_name, person, status
):
    assert client_for(person).get(champions_pages(compact, queued_report)[page_name]).status_code == status


@pytest.mark.parametrize(
    ("person", "card", "status"),
    [
        ("compact_champion", "charity", 200),
        ("administrator", "charity", 200),
        ("vcs_member", "charity", 200),  # the food bank's own member
        ("outsider", "charity", 404),  # a member of another signatory
        ("outsider", "other_charity", 200),  # ... who sees its own card
        ("officer", "charity", 404),
        ("officer", "council", 200),
        ("other_champion", "charity", 404),
    ],
)
def test_an_organisation_sees_only_its_own_health_check(
    client_for, request, compact, charity_signs, person, card, status
):
    organisation = request.getfixturevalue(card)

    response = client_for(person).get(url("scorecard", compact.slug, organisation.slug, **Q2_2026))

    assert response.status_code == status
    if status == 200:
        assert f"{organisation.name}: Compact health check" in text_of(response)


def test_a_health_check_needs_a_signature(client_for, compact, administrator):
    unsigned = OrganisationFactory(name="Never Signed")

    assert client_for("administrator").get(url("scorecard", compact.slug, unsigned.slug)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in_from_a_health_check(client, compact, charity):
    response = client.get(url("scorecard", compact.slug, charity.slug))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_member_opens_the_records_behind_its_own_cards_figures_only(client_for, compact, charity, charity_signs):
    client = client_for("vcs_member")
    period = {"start": "2026-04-01", "end": "2026-06-30"}

    own = client.get(url("figure_records", compact.slug, "paid_on_time", organisation=charity.slug, **period))
    whole = client.get(url("figure_records", compact.slug, "paid_on_time", **period))
    others = client_for("outsider").get(
        url("figure_records", compact.slug, "paid_on_time", organisation=charity.slug, **period)
    )

    assert own.status_code == 200
    assert records_count(own) == 2
    assert whole.status_code == 404
    assert others.status_code == 404


# --- What the dashboard shows -----------------------------------------------------------------------------------


def test_the_dashboard_shows_the_headline_figures_against_the_previous_period(client_for, compact, compact_champion):
    page = text_of(client_for("compact_champion").get(url("dashboard", compact.slug), Q2_2026))

    assert "Q2 2026 (1 April 2026 to 30 June 2026), compared with Q1 2026." in page
    assert '<th scope="col">Q2 2026</th><th scope="col">Q1 2026</th>' in page
    row = re.search(r"Invoices paid within the agreed working days</th>(.*?)</tr>", page).group(1)
    assert re.findall(r">([^<>]+)</a>", row)[:2] == ["50% (1 of 2)", "0% (0 of 1)"]  # then kept, explained, broken
    assert "<td>+50 points</td>" in row
    assert ">3 working days</a>" in page  # half paid within: INV-Q2-ON's 3 days
    assert ">13 working days</a>" in page  # nine in ten within: INV-Q2-LATE's 13
    assert ">14 working days</a>" in page  # Q1: INV-Q1-LATE's 14
    assert "none in the period" in page  # no decisions, notices or consultations


def test_a_signatorys_health_check_counts_only_its_part(client_for, compact, compact_champion, council, other_charity):
    """The youth network receives one invoice from the council, paid on time: the council's promise to it, so
    its health check counts it among the promises made to it (``treated``), not as its own (``shares``, which
    hold nothing: it made no promise). Before the figure registry a charity's received funding was counted as
    its own figures; that changed on purpose."""
    SignatureFactory(compact=compact, organisation=other_charity, signed_date=D(2025, 6, 1))
    elsewhere = awarded(compact, council, other_charity, told=D(2025, 9, 1))
    paid_invoice(elsewhere, "INV-OTHER", D(2026, 4, 1), D(2026, 4, 2))
    client = client_for("compact_champion")

    dashboard = text_of(client.get(url("dashboard", compact.slug), Q2_2026))
    response = client.get(url("scorecard", compact.slug, other_charity.slug), Q2_2026)
    own, figures = text_of(response), response.context["figures"]
    council_figures = client.get(url("scorecard", compact.slug, council.slug), Q2_2026).context["figures"]

    assert ">67% (2 of 3)</a>" in dashboard
    assert figures.organisation == other_charity
    assert next(f for f in figures.treated if f.key == "paid_on_time").current == Share(1, 1)
    assert next(f for f in figures.shares if f.key == "paid_on_time").current == Share(0, 0)
    assert all(f.current.total == 0 for f in figures.shares)
    assert ">67% (2 of 3)</a>" not in own
    assert "Signatories by side" not in own
    # The council's own health check: all three invoices are its promises, none made to it.
    assert council_figures.share("paid_on_time").current == Share(2, 3)
    assert all(f.current.total == 0 for f in council_figures.treated)
    assert ">67% (2 of 3)</a>" in text_of(client.get(url("scorecard", compact.slug, council.slug), Q2_2026))
    listed = client.get(
        url(
            "figure_records",
            compact.slug,
            "paid_on_time",
            organisation=other_charity.slug,
            role="recipient",
            start="2026-04-01",
            end="2026-06-30",
        )
    )
    assert records_count(listed) == 1
    assert "INV-OTHER" in text_of(listed)
    as_promiser = client.get(
        url(
            "figure_records",
            compact.slug,
            "paid_on_time",
            organisation=other_charity.slug,
            role="promiser",
            start="2026-04-01",
            end="2026-06-30",
        )
    )
    assert records_count(as_promiser) == 0


def test_a_chosen_year_shows_a_trend_month_by_month(client_for, compact, compact_champion):
    page = text_of(client_for("compact_champion").get(url("dashboard", compact.slug), {"year": "2026"}))

    assert "2026 (1 January 2026 to 31 December 2026), compared with 2025." in page
    assert "Trends, month by month" in page
    assert all(f"{month} 2026" in page for month in ("Jan", "Feb", "Jun", "Dec"))
    assert ">67% (2 of 3)</a>" not in page
    assert ">33% (1 of 3)</a>" in page


def test_a_trend_by_quarter_shows_quarters(client_for, compact, compact_champion):
    page = text_of(
        client_for("compact_champion").get(url("dashboard", compact.slug), {"year": "2026", "step": "quarter"})
    )

    assert "Trends, quarter by quarter" in page
    assert all(f'<th scope="row">Q{n} 2026</th>' in page for n in (1, 2, 3, 4))
    assert "Jan 2026" not in page
    assert '<option value="quarter" selected>' in page


def test_chosen_dates_are_compared_with_as_many_days_before(client_for, compact, compact_champion):
    page = text_of(
        client_for("compact_champion").get(url("dashboard", compact.slug), {"start": "2026-04-01", "end": "2026-05-15"})
    )

    assert (
        "1 April 2026 to 15 May 2026 (1 April 2026 to 15 May 2026), compared with 15 February 2026 to 31 March 2026."
        in page
    )
    row = re.search(r"Invoices paid within the agreed working days</th>(.*?)</tr>", page).group(1)
    assert re.findall(r">([^<>]+)</a>", row)[:2] == ["100% (1 of 1)", "0% (0 of 1)"]


def test_an_end_before_the_start_is_explained_and_the_default_period_shown(client_for, compact, compact_champion):
    response = client_for("compact_champion").get(
        url("dashboard", compact.slug), {"start": "2026-06-30", "end": "2026-04-01"}
    )
    page = text_of(response)
    default = Period.quarter_of(timezone.localdate())

    assert response.status_code == 200
    assert END_BEFORE_START in page
    assert f'<p class="lead">{default.label} ({default.start:%-d %B %Y} to {default.end:%-d %B %Y})' in page
    assert '<details class="period-chooser mb-4" open>' in page


def test_every_chart_is_an_inline_svg_with_a_text_alternative_and_its_table_and_the_page_has_no_script(
    client_for, compact, compact_champion
):
    page = text_of(client_for("compact_champion").get(url("dashboard", compact.slug), Q2_2026))
    main = page[page.index("<main") : page.index("</main>")]
    charts = re.findall(r'<section class="chart-block.*?</section>', main, re.S)

    assert len(charts) == 2  # only charts with records in Q2: invoices paid on time, days to pay (the rest: a line)
    assert main.count("<svg") == 3  # and the summary's small bar for invoices
    for chart in charts:
        assert re.search(r'<svg [^>]*role="img"', chart)
        assert re.search(r"<title [^>]*>[^<]+</title>", chart)
        assert re.search(r"<desc [^>]*>[^<]+</desc>", chart)
        assert "<table" in chart
        assert "<style" not in chart
        assert " style=" not in chart
    assert "<script" not in main
    # The only scripts are the site-wide ones (Bootstrap's bundle, portal.js, the session-timeout warning), loaded
    # from files; none is written into the page.
    assert re.findall(r"<script src=\"([^\"]+)\"", page) == [
        "/static/bootstrap/js/bootstrap.bundle.min.js",
        "/static/js/portal.js",
        "/static/js/session-timeout.js",
    ]
    assert all(tag.startswith("<script src=") for tag in re.findall(r"<script[^>]*>", page))


# --- The records behind the figures -------------------------------------------------------------------------------


def test_each_headline_figure_lists_the_records_it_counted(
    client_for, compact, compact_champion, council, charity, vcs_member
):
    """Each promise's records, this period and the previous one, listed by the drill-down: as many kept,
    explained and broken as the dashboard counted; and every link of the page's figures opens a list."""
    more_of_q2(compact, council, charity, vcs_member)
    client = client_for("compact_champion")
    response = client.get(url("dashboard", compact.slug), Q2_2026)
    figures = response.context["figures"]
    promises = [figure for figure in figures.shares if not figure.by_value]
    assert [f.key for f in promises] == [
        "paid_on_time",
        "told_in_time",
        "notice_long_enough",
        "multi_year",
        "monitoring_proportionate",
        "returns_on_time",
        "improvement_timetable",
        "long_enough",
        "feedback_on_time",
    ]

    for figure in promises:
        for period, share in ((figures.period, figure.current), (figures.previous, figure.previous)):
            address = url("figure_records", compact.slug, figure.key, start=period.start, end=period.end)
            listed = [records_count(client.get(f"{address}&verdict={verdict}")) for verdict in Verdict.values]
            assert listed == [share.met, share.explained, share.broken], (figure.key, period)
            assert records_count(client.get(address)) == share.total, (figure.key, period)
    cases = url("figure_records", compact.slug, "cases", start=figures.period.start, end=figures.period.end)
    assert records_count(client.get(cases)) == figures.cases_received.current.total == 1
    assert (figures.share("paid_on_time").current, figures.share("told_in_time").current) == (Share(2, 3), Share(1, 1))

    links = {html.unescape(href) for href in re.findall(r'href="([^"]*/dashboard/records/[^"]*)"', text_of(response))}
    assert len(links) >= 2 * len(promises)
    for address in links:
        assert client.get(address).status_code == 200, address


def test_the_invoices_that_broke_the_promise_are_the_late_ones(client_for, compact, compact_champion):
    client = client_for("compact_champion")
    address, period = url("figure_records", compact.slug, "paid_on_time"), {"start": "2026-04-01", "end": "2026-06-30"}

    late, kept, explained, every = (
        text_of(client.get(address, {**period, "verdict": verdict})) for verdict in ("broken", "kept", "explained", "")
    )

    assert "INV-Q2-LATE" in late
    assert "INV-Q2-ON" not in late
    assert "INV-Q1-LATE" not in late
    assert "Invoices paid in full: broken" in late
    assert "INV-Q2-ON" in kept
    assert "INV-Q2-LATE" not in kept
    assert "INV-Q2-" not in explained  # no flag was waived
    assert "INV-Q2-ON" in every
    assert "INV-Q2-LATE" in every
    assert "INV-Q1-LATE" not in every


def test_a_late_invoice_whose_flag_a_champion_waived_is_explained(client_for, compact, compact_champion):
    """INV-Q2-LATE's paid-late flag, found by the scan and waived by the compact's champion with a reason: the
    invoice moves from broken to explained, on the dashboard and in its drill-down."""
    invoice = Invoice.objects.get(invoice_number="INV-Q2-LATE")
    compliance_scan(today=D(2026, 7, 1), compact=compact, rule_keys=[RuleKey.INVOICE_PAID_LATE], send_digest=False)
    flag = Flag.objects.get(rule=RuleKey.INVOICE_PAID_LATE, record_type=RecordType.INVOICE, record_id=invoice.pk)
    flag_waive(flag=flag, actor=compact_champion, reason="The invoice went to the wrong address.")
    client = client_for("compact_champion")
    address, period = url("figure_records", compact.slug, "paid_on_time"), {"start": "2026-04-01", "end": "2026-06-30"}

    late, explained = (
        text_of(client.get(address, {**period, "verdict": verdict})) for verdict in ("broken", "explained")
    )
    figures = client.get(url("dashboard", compact.slug), Q2_2026).context["figures"]

    assert "INV-Q2-LATE" in explained
    assert "INV-Q2-ON" not in explained
    assert "INV-Q2-LATE" not in late
    assert figures.share("paid_on_time").current == Share(1, 2, 1)


def test_the_signatories_figures_list_the_signatories(client_for, compact, compact_champion, charity):
    client = client_for("compact_champion")
    page = text_of(client.get(url("dashboard", compact.slug), Q2_2026))
    vcs = re.search(r'<th scope="row">Voluntary and community sector</th><td><a href="([^"]+)">(\d+)</a>', page)

    listed = client.get(html.unescape(vcs.group(1)))

    assert records_count(listed) == int(vcs.group(2)) == 1
    assert charity.name in text_of(listed)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "Give the period&#x27;s first and last days."),
        ({"start": "2026-04-01"}, "Give the period&#x27;s first and last days."),
        ({"start": "2026-04-01", "end": "30/06/2026"}, "Give the period&#x27;s first and last days."),
        ({"start": "2026-06-30", "end": "2026-04-01"}, END_BEFORE_START),
    ],
)
def test_a_list_without_a_proper_period_is_refused_with_a_reason(client_for, compact, compact_champion, query, message):
    response = client_for("compact_champion").get(url("figure_records", compact.slug, "paid_on_time"), query)

    assert response.status_code == 400
    assert message in text_of(response)


def test_an_unknown_figure_has_no_records(client_for, compact, compact_champion):
    response = client_for("compact_champion").get(
        url("figure_records", compact.slug, "no_such_figure", start="2026-04-01", end="2026-06-30")
    )

    assert response.status_code == 404


# --- Queries ------------------------------------------------------------------------------------------------------

# The most queries a dashboard or health check takes: the figures' (one per kind of record counted, one or two per
# panel, the action plan's among them) and the page's own.
DASHBOARD_QUERIES = 19


def test_the_dashboard_takes_the_same_few_queries_however_much_there_is(
    client_for, compact, compact_champion, council, charity, vcs_member, django_assert_max_num_queries
):
    client = client_for("compact_champion")
    address = url("dashboard", compact.slug)
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        client.get(address, Q2_2026)
    small = queries_of(client, address, Q2_2026)

    grow(compact, council, charity, vcs_member)

    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        client.get(address, Q2_2026)
    assert queries_of(client, address, Q2_2026) == small
    assert queries_of(client, address, {"year": "2026"}) == small


def test_the_health_check_takes_the_same_few_queries_however_much_there_is(
    client_for, compact, compact_champion, council, charity, vcs_member, django_assert_max_num_queries
):
    client = client_for("vcs_member")
    address = url("scorecard", compact.slug, charity.slug)
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        client.get(address, Q2_2026)
    small = queries_of(client, address, Q2_2026)

    grow(compact, council, charity, vcs_member)

    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        client.get(address, Q2_2026)
    assert queries_of(client, address, Q2_2026) == small


# --- Compliance reports -------------------------------------------------------------------------------------------


def test_asking_for_a_report_queues_it_and_the_job_makes_it_ready_to_download(
    client_for, compact, compact_champion, tasks_run_in_process, django_capture_on_commit_callbacks
):
    client = client_for("compact_champion")
    meeting = "the Local Strategic Partnership board, 14 July 2026"

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url("reports", compact.slug), {**Q2_2026, "meeting": meeting})

    report = ComplianceReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("report_detail", report.pk)
    assert len(callbacks) == 1
    assert (report.period_start, report.period_end, report.meeting) == (D(2026, 4, 1), D(2026, 6, 30), meeting)
    assert report.requested_by == compact_champion
    assert report.status == ReportStatus.READY

    detail = text_of(client.get(response["Location"]))
    assert "Ready (" in detail
    assert "data-poll-seconds" not in detail  # nothing left to wait for: the page stops checking
    assert "js/report-status.js" not in detail
    download = client.get(url("report_download", report.pk))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "southsea-compact-compliance-report-2026-04-01-to-2026-06-30.pdf" in download["Content-Disposition"]
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_queued_report_says_so_checks_again_by_itself_and_cannot_be_downloaded_yet(
    client_for, queued_report, compact_champion, settings
):
    settings.REPORT_STATUS_POLL_SECONDS = 7
    client = client_for("compact_champion")

    detail = text_of(client.get(url("report_detail", queued_report.pk)))

    assert "Queued: waiting for the report job to start." in detail
    assert 'id="report-progress" role="status" class="mb-4" data-poll-seconds="7"' in detail
    assert "js/report-status.js" in detail
    assert 'http-equiv="refresh"' not in detail  # a meta refresh would reload the page under a screen reader
    assert f'you can also <a href="{url("report_detail", queued_report.pk)}">check again</a>' in detail
    assert client.get(url("report_download", queued_report.pk)).status_code == 404


def test_a_report_ending_before_it_starts_is_refused_and_nothing_saved(client_for, compact, compact_champion):
    response = client_for("compact_champion").post(
        url("reports", compact.slug), {"start": "2026-06-30", "end": "2026-04-01", "meeting": "the board"}
    )

    assert response.status_code == 400
    assert END_BEFORE_START in text_of(response)
    assert 'value="2026-06-30"' in text_of(response)
    assert not ComplianceReport.objects.exists()


def test_the_reports_page_lists_earlier_reports(client_for, compact, compact_champion, queued_report):
    ComplianceReport.objects.create(
        compact=compact,
        period_start=D(2026, 1, 1),
        period_end=D(2026, 3, 31),
        meeting="the Local Strategic Partnership board, 14 April 2026",
        requested_by=compact_champion,
        status=ReportStatus.FAILED,
    )
    ComplianceReport.objects.create(
        compact=CompactFactory(name="Fareham Compact"), period_start=D(2025, 1, 1), period_end=D(2025, 12, 31)
    )

    page = text_of(client_for("compact_champion").get(url("reports", compact.slug)))

    assert "Q1 2026" in page
    assert "Q2 2026" in page
    assert "the Local Strategic Partnership board, 14 April 2026" in page
    assert page.count("<td>Cara Champion</td>") == 2
    assert "<td>Failed</td>" in page
    assert "<td>Queued</td>" in page
    assert url("report_detail", queued_report.pk) in page
    assert page.count('<th scope="row"><a href="/reports/') == 2  # not the other compact's report


@pytest.mark.parametrize("table", [slug for slug, _ in REPORT_TABLES])
def test_each_table_of_a_report_downloads_as_csv(client_for, queued_report, compact_champion, table):
    response = client_for("compact_champion").get(url("report_table_csv", queued_report.pk, table))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"southsea-compact-2026-04-01-2026-06-30-{table}.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows
    assert all(rows[0])


def test_the_headline_csv_holds_the_figures(client_for, queued_report, compact_champion):
    response = client_for("compact_champion").get(url("report_table_csv", queued_report.pk, "headline"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))

    assert rows[0] == ["Figure", "Clause", "Q2 2026", "Q1 2026", "Change", "Kept", "Explained", "Broken"]
    invoices = next(row for row in rows if row[0] == "Invoices paid within the agreed working days")
    assert invoices[1:4] == ["Portal default", "50% (1 of 2)", "0% (0 of 1)"]  # the compact states no payment term
    assert invoices[4].endswith("+50 points")
    half = next(row for row in rows if row[0] == "Half of invoices paid within")
    assert half[2:4] == ["3 working days", "14 working days"]


def test_an_unknown_report_table_is_not_found(client_for, queued_report, compact_champion):
    assert (
        client_for("compact_champion").get(url("report_table_csv", queued_report.pk, "no-such-table")).status_code
        == 404
    )


def test_a_failed_report_cannot_be_downloaded(client_for, queued_report, compact_champion):
    ComplianceReport.objects.filter(pk=queued_report.pk).update(status=ReportStatus.FAILED, failure_reason="Boom.")
    client = client_for("compact_champion")

    assert client.get(url("report_download", queued_report.pk)).status_code == 404
    assert "Failed. Boom." in text_of(client.get(url("report_detail", queued_report.pk)))
