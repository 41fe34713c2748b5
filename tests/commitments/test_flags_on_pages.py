"""Compliance flags on the pages of the records they are about: a funding relationship (with its invoices and
notices), a notice, a public consultation and a compact.

The flags are raised by the real scan (``compliance_scan``) over records made through the services, on fixed dates
well away from today; ``today`` is the scan's own argument, so the clock is never mocked.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from commitments.models import Flag, FlagStatus, RecordType, RuleKey
from commitments.services.compliance import compliance_scan
from commitments.services.flags import flag_waive
from compact_portal.accounts.roles import Role
from funding import services as funding_services
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import ChampionFactory, CompactFactory, FlagFactory, PublicBodyFactory
from tests.consultations.factories import ConsultationFactory
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory, NoticeFactory

pytestmark = pytest.mark.django_db

INVOICE_OVERDUE = "Invoice unpaid after its pay-by date"
NOTICE_TOO_SHORT = "Notice of ending shorter than the notice period"
NOT_ANNOUNCED = "Consultation not announced before it opened"
REVIEW_OVERDUE = "Compact review overdue"
PUT_RIGHT = "Resolved by the compliance scan: the record was put right."


def _page(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _flags_section(page: str) -> str:
    """The "Compliance flags" section of a record's page ("" when the page has none)."""
    found = re.search(r'<section aria-labelledby="flags-heading".*?</section>', page, re.S)
    return found.group(0) if found else ""


def _flag_links(page: str) -> list[str]:
    return re.findall(r'href="(/flags/\d+/)"', _flags_section(page))


def _scan(today: datetime.date, compact):
    return compliance_scan(today=today, compact=compact, send_digest=False)


@pytest.fixture
def compact(db):
    return CompactFactory(name="Southsea Compact")


@pytest.fixture
def funding(compact, council, charity):
    """An award from the council (the officer's body) to the charity (the VCS member's organisation)."""
    return AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="GR-2027-001")


@pytest.fixture
def championed(compact, council, champion):
    return ChampionFactory(compact=compact, organisation=council, user=champion)


@pytest.fixture
def overdue_invoice(funding, compact):
    """Received on 6 April 2027 and still unpaid on 1 June 2027, when the scan runs."""
    invoice = InvoiceFactory(relationship=funding, invoice_number="INV-0042", received_date=datetime.date(2027, 4, 6))
    _scan(datetime.date(2027, 6, 1), compact)
    return invoice


@pytest.fixture
def short_notice(funding, compact):
    """One month's notice of ending where the compact asks for three, scanned the day after it was given."""
    notice = NoticeFactory(
        relationship=funding,
        notice_date=datetime.date(2027, 9, 1),
        effective_date=datetime.date(2027, 10, 1),
        impact_assessed_date=datetime.date(2027, 8, 1),
    )
    _scan(datetime.date(2027, 9, 2), compact)
    return notice


@pytest.fixture
def unannounced(compact, council):
    """A published consultation never announced before it opened on 5 January 2026, scanned a month later."""
    consultation = ConsultationFactory(
        compact=compact, body=council, title="Library services review", announced_date=None, publish=True
    )
    _scan(datetime.date(2026, 2, 5), compact)
    return consultation


@pytest.fixture
def review_overdue(db):
    """An adopted compact whose review fell due on 1 January 2026, scanned a month later."""
    compact = CompactFactory(
        name="Havant Compact",
        status="adopted",
        adopted_date=datetime.date(2025, 1, 1),
        next_review_date=datetime.date(2026, 1, 1),
    )
    _scan(datetime.date(2026, 2, 1), compact)
    return compact


# --- The flag shows on its record's page -------------------------------------------------------------------------


def test_an_overdue_invoice_is_flagged_on_its_relationships_page_for_the_officer(client_for, overdue_invoice):
    flag = Flag.objects.get(rule=RuleKey.INVOICE_OVERDUE)

    page = _page(
        client_for("officer").get(reverse("funding:relationship_detail", args=[overdue_invoice.relationship_id]))
    )

    section = _flags_section(page)
    assert "Compliance flags" in section
    assert '<span class="badge text-bg-danger">Open</span>' in section
    payment = "portal default: invoices paid within 10 working days; this compact states no such rule"
    assert f"{INVOICE_OVERDUE} ({payment}), invoice INV-0042" in section
    assert "found 1 June 2027, Portsmouth City Council." in section
    assert _flag_links(page) == [flag.get_absolute_url()]


def test_a_notice_too_short_is_flagged_on_the_notice_page_and_its_relationships_page(client_for, short_notice):
    client = client_for("officer")

    notice_page = _page(client.get(reverse("funding:notice_detail", args=[short_notice.pk])))
    relationship_page = _page(client.get(reverse("funding:relationship_detail", args=[short_notice.relationship_id])))

    for page in (notice_page, relationship_page):
        assert f"{NOTICE_TOO_SHORT} (portal default: 3 months&#x27; notice" in _flags_section(page)
        assert "due 1 September 2027, found 2 September 2027" in _flags_section(page)


def test_a_consultation_flag_shows_on_the_public_consultation_page(client, unannounced):
    page = _page(client.get(unannounced.get_absolute_url()))

    assert f"{NOT_ANNOUNCED} (portal default: consultations are announced" in _flags_section(page)
    assert "due 5 January 2026, found 5 February 2026, Portsmouth City Council." in _flags_section(page)


def test_an_overdue_review_is_flagged_on_the_compacts_page(client, review_overdue):
    page = _page(client.get(reverse("commitments:compact_detail", args=[review_overdue.slug])))

    section = _flags_section(page)
    assert f"{REVIEW_OVERDUE} (portal default: the compact reviewed every year; " in section
    assert "due 1 January 2026, found 1 February 2026." in section  # no organisation: the champions are responsible


def test_a_record_with_no_flags_shows_no_flags_section(client_for, funding, compact):
    _scan(datetime.date(2027, 6, 1), compact)

    page = _page(client_for("officer").get(reverse("funding:relationship_detail", args=[funding.pk])))

    assert _flags_section(page) == ""
    assert 'id="flags-heading"' not in page


def test_a_flag_on_another_invoice_does_not_show_on_this_relationship(client_for, overdue_invoice, compact, council):
    other = AwardedFundingFactory(compact=compact, funder=council, reference="GR-2027-777")

    page = _page(client_for("officer").get(reverse("funding:relationship_detail", args=[other.pk])))

    assert _flags_section(page) == ""


def test_a_waived_flag_shows_with_the_champions_reason(client_for, overdue_invoice, championed, champion):
    flag_waive(flag=Flag.objects.get(rule=RuleKey.INVOICE_OVERDUE), actor=champion, reason="Paid by cheque; slow bank.")

    page = _page(
        client_for("officer").get(reverse("funding:relationship_detail", args=[overdue_invoice.relationship_id]))
    )

    assert '<span class="badge text-bg-secondary">Waived</span>' in _flags_section(page)
    assert "Paid by cheque; slow bank." in _flags_section(page)


def test_once_the_invoice_is_paid_the_next_scan_shows_the_flag_resolved_after_the_live_ones(
    client_for, overdue_invoice, compact
):
    funding_services.payment_record(
        invoice=overdue_invoice,
        actor=None,
        paid_date=datetime.date(2027, 6, 2),
        today=datetime.date(2027, 6, 2),
        amount=Decimal("2500.00"),
    )
    _scan(datetime.date(2027, 6, 3), compact)

    section = _flags_section(
        _page(client_for("officer").get(reverse("funding:relationship_detail", args=[overdue_invoice.relationship_id])))
    )

    assert Flag.objects.get(rule=RuleKey.INVOICE_OVERDUE).status == FlagStatus.RESOLVED
    assert PUT_RIGHT in section
    # Paid, but late: the new flag is live and comes first.
    assert section.index("Invoice paid late") < section.index(INVOICE_OVERDUE)


# --- Who is offered the link to the flag's page ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "linked"),
    [
        ("officer", True),
        ("champion", True),
        ("administrator", True),
        ("vcs_member", False),  # the charity sees the flag about its funding, not the flag's page
    ],
)
def test_on_the_relationship_page_only_people_who_work_with_flags_get_a_link_to_the_flag(
    client_for, overdue_invoice, championed, person, linked
):
    client = client_for(person)

    page = _page(client.get(reverse("funding:relationship_detail", args=[overdue_invoice.relationship_id])))

    assert INVOICE_OVERDUE in _flags_section(page)
    links = _flag_links(page)
    assert bool(links) == linked
    for link in links:
        assert client.get(link).status_code == 200


@pytest.mark.parametrize(
    ("person", "linked"),
    [
        ("anonymous", False),
        ("vcs_member", False),
        ("panel_member", False),
        ("person_without_roles", False),
        ("officer", True),  # of the council that runs the consultation
        ("champion", True),
        ("administrator", True),
    ],
)
def test_on_the_public_consultation_page_only_people_who_work_with_flags_get_a_link_to_the_flag(
    client, request, unannounced, championed, person, linked
):
    if person != "anonymous":
        client.force_login(request.getfixturevalue(person))

    page = _page(client.get(unannounced.get_absolute_url()))

    assert NOT_ANNOUNCED in _flags_section(page)
    links = _flag_links(page)
    assert bool(links) == linked
    for link in links:
        assert client.get(link).status_code == 200


@pytest.fixture
def officer_elsewhere(db):
    return MembershipFactory(organisation=PublicBodyFactory(name="Hampshire County Council"), role=Role.OFFICER).user


@pytest.fixture
def champion_elsewhere(council):
    user = MembershipFactory(organisation=council, role=Role.CHAMPION, user__full_name="Elsie Elsewhere").user
    ChampionFactory(compact=CompactFactory(name="Fareham Compact"), organisation=council, user=user)
    return user


@pytest.fixture
def review_flag(db):
    """A compact review flag as the scan writes it (made directly, so this does not depend on the scan's database)."""
    compact = CompactFactory(name="Havant Compact", status="adopted", next_review_date=datetime.date(2026, 1, 1))
    return FlagFactory(
        compact=compact,
        organisation=None,
        rule=RuleKey.COMPACT_REVIEW_OVERDUE,
        clause="8",
        record_type=RecordType.COMPACT,
        record_id=compact.pk,
        record_label=compact.slug,
        due_date=datetime.date(2026, 1, 1),
    )


@pytest.mark.parametrize(
    ("person", "record"),
    [
        ("officer_elsewhere", "consultation"),
        ("champion_elsewhere", "consultation"),
        ("officer", "compact"),  # nobody's officer sees a review flag: the compact's champions answer for it
        ("champion_elsewhere", "compact"),
    ],
)
def test_nobody_is_offered_a_link_to_a_flag_page_they_would_be_refused(client, request, person, record):
    page_url = {
        "consultation": lambda: request.getfixturevalue("unannounced").get_absolute_url(),
        "compact": lambda: request.getfixturevalue("review_flag").compact.get_absolute_url(),
    }[record]()
    client.force_login(request.getfixturevalue(person))

    page = _page(client.get(page_url))

    assert "Compliance flags" in _flags_section(page)
    for link in _flag_links(page):
        assert client.get(link).status_code == 200
