"""After a compliance run, one digest e-mail per person: officers hear of their organisation's new flags,
champions of their compact's, and nobody hears of a flag twice.

Invoices payable by Tuesday 20 April 2027 are overdue on the scan of 21 April.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from commitments import rulebook
from commitments.models import ComplianceRun, Flag, FlagStatus, RecordType, RuleKey
from commitments.services import digest
from commitments.services.compliance import compliance_scan
from commitments.services.digest import DIGEST_LISTS_AT_MOST, flag_digest_send
from compact_portal import worklist
from compact_portal.accounts.models import User
from compact_portal.accounts.roles import Role
from compact_portal.accounts.services import user_email_preferences_update
from funding import services as funding_services
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import ChampionFactory, CompactFactory, PublicBodyFactory
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

RECEIVED = datetime.date(2027, 4, 6)
OVERDUE = datetime.date(2027, 4, 21)
NEXT_DAY = datetime.date(2027, 4, 22)
BASE = "https://compact.example.org"


@pytest.fixture(autouse=True)
def portal_address(settings):
    settings.PORTAL_BASE_URL = BASE


@pytest.fixture
def county(db):
    return PublicBodyFactory(name="Hampshire County Council")


@pytest.fixture
def county_invoice(scan_compact, county, charity):
    """INV-0043 from the food bank to the county, also payable by 20 April 2027."""
    funding = AwardedFundingFactory(compact=scan_compact, funder=county, recipient=charity, reference="HCC-2027-001")
    return InvoiceFactory(relationship=funding, invoice_number="INV-0043", received_date=RECEIVED)


@pytest.fixture
def county_officer(county):
    return MembershipFactory(organisation=county, role=Role.OFFICER, user__full_name="Colm County").user


@pytest.fixture
def compact_champion(scan_compact, council):
    """A champion of the Southsea Compact, appointed at the council (not one of its officers)."""
    return ChampionFactory(compact=scan_compact, organisation=council, user__full_name="Cara Champion").user


def scan(today=OVERDUE, **kwargs):
    return compliance_scan(today=today, send_digest=False, **kwargs)


def flag_for(invoice, rule=RuleKey.INVOICE_OVERDUE) -> Flag:
    return Flag.objects.get(rule=rule, record_type=RecordType.INVOICE, record_id=invoice.pk)


def link(flag: Flag) -> str:
    return BASE + flag.get_absolute_url()


def email_to(mailoutbox, person):
    sent = [message for message in mailoutbox if person.email in message.to]
    assert len(sent) == 1, f"{person.email} got {len(sent)} e-mails"
    return sent[0]


def recipients(mailoutbox) -> list[str]:
    return sorted(address for message in mailoutbox for address in message.to)


def test_each_person_gets_one_email_listing_all_their_new_flags(
    unpaid_invoice, county_invoice, compact_champion, mailoutbox
):
    run = scan()

    sent = flag_digest_send(run_id=run.pk)

    assert sent == 1
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [compact_champion.email]
    assert message.subject == "Compact Portal: 2 new compliance flags"
    assert link(flag_for(unpaid_invoice)) in message.body
    assert link(flag_for(county_invoice)) in message.body
    assert "Dear Cara Champion," in message.body
    assert "The compliance check of 21 April 2027 found 2 new flags for you to look at:" in message.body


def test_an_officer_hears_only_of_their_own_organisations_new_flags(
    unpaid_invoice, county_invoice, officer, county_officer, mailoutbox
):
    run = scan()

    assert flag_digest_send(run_id=run.pk) == 2

    council_email = email_to(mailoutbox, officer)
    assert council_email.subject == "Compact Portal: 1 new compliance flag"
    assert link(flag_for(unpaid_invoice)) in council_email.body
    assert "INV-0043" not in council_email.body
    county_email = email_to(mailoutbox, county_officer)
    assert link(flag_for(county_invoice)) in county_email.body
    assert "INV-0042" not in county_email.body


def test_a_champion_hears_of_every_new_flag_in_their_compact_and_no_other(
    unpaid_invoice, county_invoice, county, compact_champion, mailoutbox
):
    elsewhere = CompactFactory(name="Fareham Compact", status="adopted", adopted_date=datetime.date(2026, 4, 1))
    other = InvoiceFactory(
        relationship=AwardedFundingFactory(compact=elsewhere, funder=county),
        invoice_number="F-7",
        received_date=RECEIVED,
    )
    other_champion = ChampionFactory(compact=elsewhere, organisation=county).user
    run = scan()

    flag_digest_send(run_id=run.pk)

    body = email_to(mailoutbox, compact_champion).body
    assert link(flag_for(unpaid_invoice)) in body
    assert link(flag_for(county_invoice)) in body
    assert link(flag_for(other)) not in body
    other_body = email_to(mailoutbox, other_champion).body
    assert link(flag_for(other)) in other_body
    assert "INV-004" not in other_body


def test_an_officer_who_is_also_a_champion_gets_one_email_listing_each_flag_once(
    scan_compact, unpaid_invoice, county_invoice, county, county_officer, mailoutbox
):
    ChampionFactory(compact=scan_compact, organisation=county, user=county_officer)
    run = scan()

    assert flag_digest_send(run_id=run.pk) == 1

    message = email_to(mailoutbox, county_officer)
    assert message.subject == "Compact Portal: 2 new compliance flags"
    assert message.body.count(link(flag_for(county_invoice))) == 1
    assert message.body.count(link(flag_for(unpaid_invoice))) == 1


def test_people_without_new_flags_get_no_email(
    unpaid_invoice, officer, compact_champion, outsider, vcs_member, champion, mailoutbox
):
    """The charity's members, another body's officer, another compact's champion and a former officer."""
    elsewhere = CompactFactory(name="Fareham Compact", status="adopted", adopted_date=datetime.date(2026, 4, 1))
    other_champion = ChampionFactory(compact=elsewhere).user
    idle_officer = MembershipFactory(organisation=PublicBodyFactory(), role=Role.OFFICER).user
    former_officer = MembershipFactory(organisation=unpaid_invoice.relationship.funder, role=Role.OFFICER).user
    former_officer.is_active = False
    former_officer.save()
    run = scan()

    assert flag_digest_send(run_id=run.pk) == 2

    assert recipients(mailoutbox) == sorted([officer.email, compact_champion.email])
    for person in (outsider, vcs_member, champion, other_champion, idle_officer, former_officer):
        assert person.email not in recipients(mailoutbox)


def test_a_runs_digest_is_sent_once(unpaid_invoice, officer, mailoutbox):
    run = scan()

    first = flag_digest_send(run_id=run.pk)
    second = flag_digest_send(run_id=run.pk)

    assert (first, second) == (1, 0)
    assert len(mailoutbox) == 1
    run.refresh_from_db()
    assert run.digest_sent_at is not None


def test_flags_unchanged_by_a_later_scan_are_not_sent_again(scan_compact, unpaid_invoice, county, officer, mailoutbox):
    flag_digest_send(run_id=scan().pk)
    later = InvoiceFactory(
        relationship=AwardedFundingFactory(compact=scan_compact, funder=unpaid_invoice.relationship.funder),
        invoice_number="INV-0099",
        received_date=datetime.date(2027, 4, 7),  # payable by Wednesday 21 April: overdue on the 22nd
    )
    mailoutbox.clear()

    flag_digest_send(run_id=scan(NEXT_DAY).pk)

    message = email_to(mailoutbox, officer)
    assert message.subject == "Compact Portal: 1 new compliance flag"
    assert link(flag_for(later)) in message.body
    assert link(flag_for(unpaid_invoice)) not in message.body

    mailoutbox.clear()
    assert flag_digest_send(run_id=scan(NEXT_DAY).pk) == 0  # nothing new at all
    assert mailoutbox == []


def test_a_flag_the_scan_resolves_is_not_news_but_the_late_payment_is(unpaid_invoice, officer, mailoutbox):
    scan()
    funding_services.payment_record(
        invoice=unpaid_invoice, actor=None, paid_date=NEXT_DAY, today=NEXT_DAY, amount=unpaid_invoice.amount
    )

    flag_digest_send(run_id=scan(datetime.date(2027, 4, 23)).pk)

    message = email_to(mailoutbox, officer)
    assert flag_for(unpaid_invoice).status == FlagStatus.RESOLVED
    assert link(flag_for(unpaid_invoice)) not in message.body
    assert link(flag_for(unpaid_invoice, RuleKey.INVOICE_PAID_LATE)) in message.body
    assert message.subject == "Compact Portal: 1 new compliance flag"


def test_the_email_links_to_each_flag_page_and_the_flag_list_on_the_portal(unpaid_invoice, officer, mailoutbox):
    flag_digest_send(run_id=scan().pk)

    flag = flag_for(unpaid_invoice)
    body = email_to(mailoutbox, officer).body
    assert re.search(rf"^  https://compact\.example\.org/flags/{flag.pk}/$", body, re.MULTILINE)
    assert "See every open flag: https://compact.example.org/flags/" in body
    assert (
        "Invoice unpaid after its pay-by date (portal default: invoices paid within 10 working days; this compact "
        in body
    )


def test_an_email_lists_at_most_25_flags_and_says_how_many_more(scan_compact, council, charity, officer, mailoutbox):
    funding = AwardedFundingFactory(compact=scan_compact, funder=council, recipient=charity)
    for number in range(DIGEST_LISTS_AT_MOST + 2):
        InvoiceFactory(relationship=funding, invoice_number=f"INV-{number:04d}", received_date=RECEIVED)

    flag_digest_send(run_id=scan().pk)

    message = email_to(mailoutbox, officer)
    assert DIGEST_LISTS_AT_MOST == 25
    assert message.subject == "Compact Portal: 27 new compliance flags"
    listed = [flag for flag in Flag.objects.all() if link(flag) in message.body]
    assert len(listed) == 25
    assert "…and 2 more." in message.body


def died_hours_ago(run, hours: int) -> None:
    """Make ``run`` look like one that died ``hours`` ago: never finished, no digest sent."""
    ComplianceRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=hours), finished_at=None, digest_sent_at=None
    )


@pytest.mark.parametrize(("hours", "reported"), [(5, False), (7, True)])
def test_flags_of_a_run_that_died_before_its_digest_go_out_with_the_next_digest(
    scan_compact, unpaid_invoice, officer, mailoutbox, hours, reported
):
    died_hours_ago(scan(), hours)  # raised INV-0042's flag, then died (or may still be running, at 5 hours)

    flag_digest_send(run_id=scan(NEXT_DAY).pk)

    assert (link(flag_for(unpaid_invoice)) in "".join(m.body for m in mailoutbox)) is reported


def test_a_dead_runs_flags_are_reported_once_and_only_while_live(scan_compact, unpaid_invoice, officer, mailoutbox):
    died_hours_ago(scan(), 7)
    funding_services.payment_record(
        invoice=unpaid_invoice, actor=None, paid_date=NEXT_DAY, today=NEXT_DAY, amount=unpaid_invoice.amount
    )

    flag_digest_send(run_id=scan(datetime.date(2027, 4, 23)).pk)  # the overdue flag is resolved by now
    first = [m.body for m in mailoutbox]
    mailoutbox.clear()
    flag_digest_send(run_id=scan(datetime.date(2027, 4, 24)).pk)

    assert link(flag_for(unpaid_invoice)) not in "".join(first)
    assert link(flag_for(unpaid_invoice, RuleKey.INVOICE_PAID_LATE)) in "".join(first)
    assert mailoutbox == []


# --- The "Waiting for you" list in the digest, and each person's choice of how often ---------------------------

MONDAY = datetime.date(2026, 12, 7)
TUESDAY = datetime.date(2026, 12, 8)
WAITING: dict[int, list[worklist.Waiting]] = {}


def waiting_in_test(person: worklist.Person):
    """A source of the test's own: what ``WAITING`` holds for the person."""
    yield from WAITING.get(person.user.pk, ())


@pytest.fixture
def waiting():
    """Put things on a person's list: ``waiting[user.pk] = [Waiting, ...]`` (as an officer)."""
    worklist.source(Role.OFFICER)(waiting_in_test)
    WAITING.clear()
    yield WAITING
    WAITING.clear()
    worklist._SOURCES[Role.OFFICER].remove(waiting_in_test)


def item(key: str, due: datetime.date | None, **fields) -> worklist.Waiting:
    return worklist.Waiting(
        role=Role.OFFICER,
        kind="test_thing",
        key=key,
        what=f"Thing {key}",
        action=f"Do thing {key}",
        url=f"/things/{key}/",
        nation="england_wales",
        **({"due": due, "why": "Things are done in time", "clause": "commitment 9.9", "compact": "Southsea"} | fields),
    )


def full_scan(today):
    return compliance_scan(today=today, send_digest=False)


def waiting_section(body: str) -> str:
    return body[body.index("Waiting for you:") : body.index("You get this e-mail")]


def test_the_digest_lists_exactly_the_home_pages_waiting_items_in_its_order_and_words(
    officer, waiting, client_for, mailoutbox
):
    today = timezone.localdate()
    waiting[officer.pk] = [
        item("undated", None),
        item("soon", today + datetime.timedelta(days=14)),
        item("late", today - datetime.timedelta(days=3), blocked="Every champion has a conflict"),
        item("today", today, why="", clause=""),
    ]

    assert flag_digest_send(run_id=full_scan(today).pk) == 1

    message = email_to(mailoutbox, officer)
    listed = worklist.waiting_for(officer, today)
    count = sum(len(items) for items in listed.values())
    assert message.subject == f"Compact Portal: {count} things waiting for you"
    section = waiting_section(message.body)
    assert section.startswith(f"Waiting for you: {count} things to do, the most urgent first.\n")
    home = client_for("officer").get("/").content.decode()
    on_the_page = re.findall(r'data-waiting="[^"]*">\s*<p class="mb-1"><strong>([^<]*)</strong>', home)
    in_the_email = re.findall(r"^- (.*?)(?: \([^)]*\))?$", section, re.MULTILINE)
    assert in_the_email == on_the_page == [thing.what for items in listed.values() for thing in items]
    assert in_the_email.index("Thing late") < in_the_email.index("Thing today") < in_the_email.index("Thing soon")
    assert in_the_email.index("Thing soon") < in_the_email.index("Thing undated")
    late = listed[Role.OFFICER][[thing.key for thing in listed[Role.OFFICER]].index("late")]
    assert (
        f"- Thing late (Southsea)\n"
        f"  Late: By {late.when(today)} · Things are done in time (commitment 9.9)\n"
        f"  Every champion has a conflict\n"
        f"  Do thing late: {BASE}/things/late/\n"
    ) in section
    assert "\nAs a public-body officer\n" in section  # the home page's heading of the role's list
    assert "The compliance check" not in message.body  # no new flags, so no flags part
    assert f"Choose how often you get it (every day, every Monday or never) on your account page: {BASE}/account/" in (
        message.body
    )


def test_only_people_with_something_waiting_or_new_flags_get_a_digest(
    unpaid_invoice, officer, county_officer, vcs_member, outsider, waiting, mailoutbox
):
    """The council's officer has a new flag, the county's only something waiting; the others neither."""
    waiting[county_officer.pk] = [item("1", OVERDUE)]

    assert flag_digest_send(run_id=scan().pk) == 2

    assert recipients(mailoutbox) == sorted([officer.email, county_officer.email])
    county_email = email_to(mailoutbox, county_officer)
    assert county_email.subject == "Compact Portal: 1 thing waiting for you"
    assert "Thing 1" in county_email.body


def test_new_flags_and_what_is_waiting_come_in_one_email(unpaid_invoice, officer, waiting, mailoutbox):
    waiting[officer.pk] = [item("1", OVERDUE)]

    assert flag_digest_send(run_id=scan().pk) == 1

    body = email_to(mailoutbox, officer).body
    assert body.index("found 1 new flag") < body.index("Waiting for you:") < body.index("- Thing 1")


@pytest.mark.parametrize(
    ("frequency", "day", "sent"),
    [
        ("daily", MONDAY, True),
        ("daily", TUESDAY, True),
        ("weekly", MONDAY, True),
        ("weekly", TUESDAY, False),
        ("weekly", MONDAY + datetime.timedelta(days=6), False),  # Sunday
        ("off", MONDAY, False),
        ("off", TUESDAY, False),
    ],
)
def test_the_digest_of_whats_waiting_follows_each_persons_choice(officer, waiting, frequency, day, sent, mailoutbox):
    user_email_preferences_update(user=officer, digest_frequency=frequency, case_emails=True)
    waiting[officer.pk] = [item("1", day)]

    assert flag_digest_send(run_id=full_scan(day).pk) == int(sent)

    assert recipients(mailoutbox) == ([officer.email] if sent else [])


@pytest.mark.parametrize(("frequency", "sent"), [("daily", True), ("weekly", False), ("off", False)])
def test_new_flags_follow_the_choice_too(unpaid_invoice, officer, frequency, sent, mailoutbox):
    """21 April 2027 is a Wednesday: a weekly reader's digest is Monday's."""
    user_email_preferences_update(user=officer, digest_frequency=frequency, case_emails=True)

    flag_digest_send(run_id=scan().pk)

    assert (officer.email in recipients(mailoutbox)) is sent


def test_the_waiting_list_goes_once_a_day_with_the_days_first_full_check(officer, waiting, mailoutbox):
    waiting[officer.pk] = [item("1", TUESDAY)]

    first = flag_digest_send(run_id=full_scan(MONDAY).pk)
    again = flag_digest_send(run_id=full_scan(MONDAY).pk)
    payments = compliance_scan(
        today=MONDAY, send_digest=False, rule_keys=[str(rule.key) for rule in rulebook.payment_rules()]
    )
    hourly = flag_digest_send(run_id=payments.pk)
    next_day = flag_digest_send(run_id=full_scan(TUESDAY).pk)

    assert (first, again, hourly, next_day) == (1, 0, 0, 1)


def test_of_two_full_checks_claimed_together_only_the_first_claim_carries_the_list(officer, waiting, mailoutbox):
    """Two checks of the same day whose digests are both claimed before either is sent: one list goes out."""
    waiting[officer.pk] = [item("1", TUESDAY)]
    first, second = full_scan(MONDAY), full_scan(MONDAY)
    claimed = timezone.now()
    ComplianceRun.objects.filter(pk__in=[first.pk, second.pk]).update(digest_sent_at=claimed)

    assert (digest._carries_worklist(ComplianceRun.objects.get(pk=second.pk))) is False
    assert (digest._carries_worklist(ComplianceRun.objects.get(pk=first.pk))) is True


def test_the_queries_grow_with_the_people_only_by_what_their_own_lists_ask(council, waiting, mailoutbox):
    def officers(count):
        people = [MembershipFactory(organisation=council, role=Role.OFFICER).user for _ in range(count)]
        for person in people:
            waiting[person.pk] = [item(str(person.pk), TUESDAY)]
        return people

    def queries_of_digest(day) -> int:
        run = full_scan(day)
        with CaptureQueriesContext(connection) as queries:
            flag_digest_send(run_id=run.pk)
        return len(queries)

    officers(2)
    with_two = queries_of_digest(MONDAY)
    one_more = officers(2)[0]
    with_four = queries_of_digest(TUESDAY)
    with CaptureQueriesContext(connection) as own:
        worklist.waiting_for(User.objects.get(pk=one_more.pk), TUESDAY)

    assert len(mailoutbox) == 2 + 4
    assert with_four - with_two <= 2 * len(own)
