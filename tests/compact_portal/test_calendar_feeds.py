"""The calendar feeds: each person's private feed of the dated things on their worklist (found by the secret in its
address), and each compact's public feed of consultation closing dates."""

import datetime

import icalendar
import pytest
from django.urls import reverse

from compact_portal import worklist
from compact_portal.accounts import services
from compact_portal.accounts import views as account_views
from compact_portal.accounts.roles import Role
from compact_portal.calendar import CONTENT_TYPE
from consultations.models import PublicationStatus
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import CompactFactory, PublicBodyFactory
from tests.consultations.factories import ConsultationFactory, open_consultation

TODAY = datetime.date(2026, 12, 7)  # a Monday
BASE = "https://compact.example.gov.uk"


@pytest.fixture(autouse=True)
def _portal_address_and_today(settings, monkeypatch):
    settings.PORTAL_BASE_URL = BASE
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: TODAY)


def deadlines_of(person: worklist.Person):
    """A test source: for each public body where the person is an officer, a late invoice, one due in three days
    and an application to decide with no date."""
    for organisation in sorted(person.organisations_as(Role.OFFICER)):
        common = {
            "role": Role.OFFICER,
            "kind": "test_invoice",
            "action": "Record the payment",
            "why": "Invoices are paid within 10 working days",
            "clause": "clause 5.3 of the Test Compact",
            "compact": "Test Compact",
        }
        yield worklist.Waiting(
            key=f"{organisation}-late",
            what=f"Invoice L-{organisation}, £3,125.00",
            url=f"/funding/late-{organisation}/",
            due=person.today - datetime.timedelta(days=2),
            **common,
        )
        yield worklist.Waiting(
            key=f"{organisation}-soon",
            what=f"Invoice S-{organisation}, £40.00",
            url=f"/funding/soon-{organisation}/",
            due=person.today + datetime.timedelta(days=3),
            **common,
        )
        yield worklist.Waiting(
            role=Role.OFFICER,
            kind="test_application",
            key=str(organisation),
            what=f"Application to decide for organisation {organisation}",
            action="Decide",
            url="/funding/",
        )


@pytest.fixture
def test_source(db, monkeypatch):
    """Officers' worklists hold the test source's items alone; the registry is as it was after the test."""
    monkeypatch.setitem(worklist._SOURCES, str(Role.OFFICER), [deadlines_of])


def officer_with_address(**user):
    officer = MembershipFactory(organisation=PublicBodyFactory(), role=Role.OFFICER, **user).user
    services.user_calendar_token_reset(user=officer)
    return officer


def feed_path(user) -> str:
    return reverse("calendar_feed", args=[user.calendar_token])


def events_of(response) -> list[icalendar.Event]:
    return icalendar.Calendar.from_ical(response.content).walk("VEVENT")


def uids(response) -> set[str]:
    return {str(event["UID"]) for event in events_of(response)}


# --- The person's feed ------------------------------------------------------------------------------------------


def test_the_feed_holds_exactly_the_dated_things_on_the_persons_worklist(client, test_source):
    officer = officer_with_address()
    found = worklist.waiting_for(officer, TODAY)

    response = client.get(feed_path(officer))

    assert response.status_code == 200
    dated = [item for item in worklist.all_waiting(found, TODAY) if item.due]
    assert len(dated) == 2  # the undated application is on the list but not in the feed
    assert len(worklist.all_waiting(found, TODAY)) == 3
    assert uids(response) == {f"{item.uid}@compact.example.gov.uk" for item in dated}


def test_each_event_is_a_whole_day_on_the_date_saying_what_why_and_what_to_do(client, test_source):
    officer = officer_with_address()
    (organisation,) = officer.memberships.values_list("organisation_id", flat=True)

    events = {str(event["UID"]): event for event in events_of(client.get(feed_path(officer)))}

    soon = events[f"test_invoice-{organisation}-soon@compact.example.gov.uk"]
    assert soon.decoded("DTSTART") == datetime.date(2026, 12, 10)
    assert soon["DTSTART"].params["VALUE"] == "DATE"
    assert soon.decoded("DTEND") == datetime.date(2026, 12, 11)
    assert str(soon["SUMMARY"]) == f"Invoice S-{organisation}, £40.00"
    assert str(soon["DESCRIPTION"]) == (
        "Invoices are paid within 10 working days (clause 5.3 of the Test Compact).\n"
        "Compact: Test Compact.\n"
        f"Record the payment: {BASE}/funding/soon-{organisation}/"
    )
    assert str(soon["URL"]) == f"{BASE}/funding/soon-{organisation}/"
    late = events[f"test_invoice-{organisation}-late@compact.example.gov.uk"]
    assert late.decoded("DTSTART") == datetime.date(2026, 12, 5)


def test_the_feed_is_a_private_calendar_in_london_time(client, test_source):
    officer = officer_with_address()

    response = client.get(feed_path(officer))

    assert response["Content-Type"] == CONTENT_TYPE == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private"
    calendar = icalendar.Calendar.from_ical(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "Compact Portal: your deadlines"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/London"
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/London"]


def test_event_uids_stay_the_same_from_one_fetch_to_the_next_whatever_host_was_asked(client, test_source):
    officer = officer_with_address()

    first = uids(client.get(feed_path(officer)))
    again = uids(client.get(feed_path(officer), HTTP_HOST="localhost"))

    assert first == again
    assert len(first) == 2


def test_another_persons_items_never_appear(client, test_source):
    olivia, oscar = officer_with_address(), officer_with_address()
    olivias_organisation = olivia.memberships.get().organisation_id
    oscars_organisation = oscar.memberships.get().organisation_id

    olivias = client.get(feed_path(olivia))
    oscars = client.get(feed_path(oscar))

    assert all(f"-{olivias_organisation}-" in uid for uid in uids(olivias))
    assert all(f"-{oscars_organisation}-" in uid for uid in uids(oscars))
    assert not uids(olivias) & uids(oscars)
    assert f"Invoice S-{oscars_organisation}".encode() not in olivias.content


def test_a_person_with_nothing_dated_gets_an_empty_calendar(client, test_source, charity):
    member = MembershipFactory(organisation=charity, role=Role.VCS_MEMBER).user  # no source for members here
    services.user_calendar_token_reset(user=member)

    response = client.get(feed_path(member))

    assert response.status_code == 200
    assert events_of(response) == []


def test_the_feed_asks_a_fixed_number_of_queries(client, test_source, django_assert_max_num_queries):
    officer = officer_with_address()
    for _ in range(3):  # more organisations, more items: no more queries
        MembershipFactory(user=officer, organisation=PublicBodyFactory(), role=Role.OFFICER)

    with django_assert_max_num_queries(3):  # the person, their memberships, their roles
        response = client.get(feed_path(officer))

    assert len(events_of(response)) == 8


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("no-such-secret", id="unknown"),
        pytest.param("x" * 43, id="unknown-of-the-right-length"),
    ],
)
def test_an_unknown_secret_is_not_found(client, db, test_source, token):
    officer_with_address()

    assert client.get(reverse("calendar_feed", args=[token])).status_code == 404


def test_an_address_without_a_secret_finds_no_one_who_has_none(client, test_source):
    officer = MembershipFactory(organisation=PublicBodyFactory(), role=Role.OFFICER).user
    assert officer.calendar_token == ""

    assert client.get("/account/calendar/.ics").status_code == 404
    assert client.get("/account/calendar/%20.ics").status_code == 404


def test_a_reset_makes_the_old_address_stop_working(client, test_source):
    officer = officer_with_address()
    old = feed_path(officer)
    assert client.get(old).status_code == 200

    services.user_calendar_token_reset(user=officer)

    assert client.get(old).status_code == 404
    assert client.get(feed_path(officer)).status_code == 200


def test_a_person_no_longer_active_has_no_feed(client, test_source):
    officer = officer_with_address()
    officer.is_active = False
    officer.save(update_fields=["is_active"])

    assert client.get(feed_path(officer)).status_code == 404


def test_a_feed_asked_for_too_often_is_refused_for_a_while(client, test_source, monkeypatch):
    monkeypatch.setattr(account_views, "CALENDAR_FEED_RATE", "2/h")
    officer, other = officer_with_address(), officer_with_address()

    statuses = [client.get(feed_path(officer)).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert client.get(feed_path(other)).status_code == 200  # counted by the address, not by who asks


# --- The secret and the account page ------------------------------------------------------------------------------


def test_the_service_gives_a_new_long_secret_each_time(db, officer):
    first = services.user_calendar_token_reset(user=officer)
    second = services.user_calendar_token_reset(user=officer)

    officer.refresh_from_db()
    assert officer.calendar_token == second != first
    assert len(first) >= 43  # 32 random bytes


def test_the_account_page_offers_an_address_without_making_one(client_for, officer):
    client = client_for("officer")

    response = client.get(reverse("account"))

    officer.refresh_from_db()
    assert officer.calendar_token == ""
    assert b"Your calendar of deadlines" in response.content
    assert b"Get your calendar address" in response.content
    assert b"Reset the address" not in response.content


def test_asking_for_an_address_shows_it_with_how_to_subscribe(client_for, officer):
    client = client_for("officer")

    response = client.post(reverse("calendar_address"), follow=True)

    officer.refresh_from_db()
    assert officer.calendar_token
    page = response.content.decode()
    assert f"{BASE}/account/calendar/{officer.calendar_token}.ics" in page
    assert "Your calendar address is ready" in page
    assert "Subscribe from web" in page
    assert "From URL" in page
    assert "Reset the address" in page


def test_the_reset_button_gives_a_new_address_and_the_old_one_stops(client_for, officer, test_source):
    client = client_for("officer")
    old = services.user_calendar_token_reset(user=officer)

    response = client.post(reverse("calendar_address"), follow=True)

    officer.refresh_from_db()
    assert officer.calendar_token != old
    assert "The old address no longer works" in response.content.decode()
    client.logout()
    assert client.get(reverse("calendar_feed", args=[old])).status_code == 404
    assert client.get(feed_path(officer)).status_code == 200


def test_only_a_signed_in_person_gets_an_address_and_only_by_posting(client, client_for, officer):
    assert client.post(reverse("calendar_address")).status_code == 302  # to sign in
    assert client_for("officer").get(reverse("calendar_address")).status_code == 405
    officer.refresh_from_db()
    assert officer.calendar_token == ""


# --- Each compact's consultation closing dates --------------------------------------------------------------------


@pytest.fixture
def consultations_world(db):
    compact = CompactFactory(name="Test Compact")
    other = CompactFactory(name="Other Compact")
    published = open_consultation(today=TODAY, compact=compact, title="Library services review")
    draft = ConsultationFactory(compact=compact, title="Draft parks plan")
    elsewhere = open_consultation(today=TODAY, compact=other, title="Harbour plan")
    return compact, published, draft, elsewhere


def test_the_compact_feed_lists_only_its_published_consultations(client, consultations_world):
    compact, published, draft, elsewhere = consultations_world
    assert draft.status == PublicationStatus.DRAFT

    response = client.get(reverse("consultation_calendar", args=[compact.slug]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    (event,) = events_of(response)
    assert str(event["UID"]) == f"consultation-{published.pk}-closes@compact.example.gov.uk"
    assert str(event["SUMMARY"]) == "Consultation closes: Library services review"
    assert event.decoded("DTSTART") == published.close_date
    assert event.decoded("DTEND") == published.close_date + datetime.timedelta(days=1)
    assert str(event["URL"]) == f"{BASE}/consultations/{published.pk}/"
    assert b"Draft parks plan" not in response.content
    assert b"Harbour plan" not in response.content
    calendar = icalendar.Calendar.from_ical(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "Test Compact: consultations closing"


def test_an_unknown_compact_has_no_feed(client, db):
    assert client.get(reverse("consultation_calendar", args=["no-such-compact"])).status_code == 404


def test_the_compact_page_and_the_register_link_to_the_feed(client, portsmouth):
    feed = reverse("consultation_calendar", args=["portsmouth"])

    compact_page = client.get(reverse("commitments:compact_detail", args=["portsmouth"])).content.decode()
    register = client.get(reverse("consultations:register")).content.decode()

    assert f'<a href="{feed}">Add closing dates to your calendar</a>' in compact_page
    assert "Add closing dates to your calendar" in register
    assert f'href="{feed}"' in register
    assert client.get(feed).status_code == 200
