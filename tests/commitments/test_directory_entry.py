"""An organisation keeps its own directory entry: who may edit it (its own members, whatever their role there, and
administrators; anyone else finds no page), what a bad form keeps, the history of who changed what, the public
page's new fields, the directory's filters by area and service, and the champions' list of entries changed since
their last visit, in a number of queries that does not grow with the data."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from commitments import waiting
from commitments.models import Community, GoverningDocument, Organisation, Service, SignatureStatus
from commitments.selectors import entry_changes_since
from commitments.services.entries import organisation_entry_update
from commitments.services.imports import organisations_import, read_csv
from compact_portal import worklist
from compact_portal.accounts.roles import Role
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.commitments.factories import ChampionFactory, CompactFactory, OrganisationFactory, SignatureFactory

GOOD = {
    "email": "hello@foodbank.example.org",
    "phone": "023 9200 0000",
    "website": "www.foodbank.example.org",
    "address": "1 Albert Road\nSouthsea",
    "postcode": "po5 2sf",
    "aims_and_services": "We give emergency food parcels and advice.",
    "area_served": "Southsea and Fratton",
    "paid_staff": "3",
    "governing_document": GoverningDocument.CIO_CONSTITUTION,
}


def _edit_url(organisation):
    return reverse("commitments:signatory_edit", args=[organisation.slug])


def _service(slug):
    return Service.objects.get(slug=slug)


@pytest.fixture
def compact(db, charity):
    compact = CompactFactory(name="Portsmouth Compact", status="adopted")
    SignatureFactory(compact=compact, organisation=charity)
    return compact


@pytest.fixture
def compact_champion(compact, council):
    """A champion of the compact the food bank signed, appointed in the council: not one of the food bank."""
    user = UserFactory(full_name="Cora Champion")
    MembershipFactory(user=user, organisation=council, role=Role.CHAMPION)
    ChampionFactory(user=user, compact=compact, organisation=council)
    return user


# --- Who may edit -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("vcs_member", 200),  # the food bank's own member
        ("administrator", 200),  # any entry
        ("officer", 404),  # the council's
        ("outsider", 404),  # another charity's member
        ("panel_member", 404),
        ("compact_champion", 404),  # a champion of the compact the food bank signed
        ("person_without_roles", 404),
    ],
)
def test_who_finds_the_edit_page(client, request, charity, compact, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(_edit_url(charity)).status_code == status


def test_any_role_held_in_the_organisation_lets_a_person_edit_its_entry(client, charity):
    champion_there = MembershipFactory(organisation=charity, role=Role.CHAMPION).user
    client.force_login(champion_there)
    assert client.get(_edit_url(charity)).status_code == 200


def test_a_visitor_is_asked_to_sign_in(client, charity):
    response = client.get(_edit_url(charity))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={_edit_url(charity)}"


def test_no_such_organisation_is_404(client, administrator):
    client.force_login(administrator)
    assert client.get(reverse("commitments:signatory_edit", args=["no-such-organisation"])).status_code == 404


def test_a_post_from_another_organisations_member_changes_nothing(client, charity, outsider):
    client.force_login(outsider)
    assert client.post(_edit_url(charity), GOOD).status_code == 404
    charity.refresh_from_db()
    assert charity.email == ""


# --- Editing ------------------------------------------------------------------------------------------------------


def test_a_member_edits_the_entry_and_the_directory_shows_it(client, charity, compact, vcs_member):
    client.force_login(vcs_member)
    data = {**GOOD, "services": [_service("food-support").pk, _service("advice-and-information").pk]}
    data["communities"] = [Community.objects.get(slug="disability").pk]

    response = client.post(_edit_url(charity), data, follow=True)

    assert response.redirect_chain[-1][0] == charity.get_absolute_url()
    charity.refresh_from_db()
    assert (charity.postcode, charity.paid_staff, charity.website) == ("PO5 2SF", 3, "https://www.foodbank.example.org")
    assert charity.governing_document == GoverningDocument.CIO_CONSTITUTION
    assert set(charity.services.values_list("slug", flat=True)) == {"food-support", "advice-and-information"}
    html = response.content.decode()
    assert "The directory entry is saved: contact e-mail, phone" in html
    assert "services offered, communities served" in html
    assert "We give emergency food parcels and advice." in html
    assert "Southsea and Fratton" in html
    assert "CIO constitution" in html
    assert "Food support" in html


def test_an_administrator_edits_any_entry_and_is_named_in_its_history(client, charity, administrator):
    client.force_login(administrator)
    client.post(_edit_url(charity), {**GOOD, "area_served": "Havant"})
    latest = charity.history.latest()
    assert latest.area_served == "Havant"
    assert latest.history_user == administrator


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("postcode", "NOWHERE 1", "Enter a real UK postcode"),
        ("email", "not an address", "Enter a valid email address"),
        ("paid_staff", "-1", "greater than or equal to 0"),
        ("website", "not a website", "Enter a valid URL"),
        ("governing_document", "a napkin", "Select a valid choice"),
    ],
)
def test_a_mistake_shows_the_form_again_with_what_was_typed(client, charity, vcs_member, field, typed, message):
    client.force_login(vcs_member)
    data = {**GOOD, field: typed, "services": [_service("youth-work").pk]}

    response = client.post(_edit_url(charity), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "We give emergency food parcels and advice." in html  # the other fields kept
    assert typed.replace(" ", "") in html.replace(" ", "") or field == "governing_document"
    form = response.context["form"]
    assert field in form.errors
    assert [service.pk for service in form.cleaned_data["services"]] == [_service("youth-work").pk]
    charity.refresh_from_db()
    assert (charity.email, charity.aims_and_services) == ("", "")
    assert not charity.services.exists()


def test_the_edit_page_shows_what_is_there_and_the_registration_numbers(client, charity, vcs_member):
    organisation_entry_update(organisation=charity, actor=vcs_member, aims_and_services="Emergency food.")
    Organisation.objects.filter(pk=charity.pk).update(charity_number="1012345", org_id="GB-CHC-1012345")
    client.force_login(vcs_member)
    html = client.get(_edit_url(charity)).content.decode()
    assert "Emergency food." in html
    assert "1012345" in html
    assert "GB-CHC-1012345" in html
    assert reverse("commitments:identifier_change_request", args=[charity.slug]) in html


def test_the_account_page_links_to_the_entry_of_each_organisation_of_the_person(client, charity, vcs_member):
    client.force_login(vcs_member)
    html = client.get(reverse("account")).content.decode()
    assert f'href="{_edit_url(charity)}"' in html
    assert client.get(_edit_url(charity)).status_code == 200


# --- The service and the history -----------------------------------------------------------------------------------


def test_the_history_records_who_changed_what(charity, vcs_member):
    organisation_entry_update(organisation=charity, actor=vcs_member, area_served="Portsea")
    organisation_entry_update(organisation=charity, actor=vcs_member, services=[_service("transport")])

    versions = list(charity.history.order_by("history_date", "history_id"))
    assert {version.history_user for version in versions[1:]} == {vcs_member}
    assert versions[-1].area_served == "Portsea"
    assert [row.service.slug for row in versions[-1].services.all()] == ["transport"]
    assert [row.service_id for row in versions[1].services.all()] == []


def test_saving_what_is_there_adds_nothing_to_the_history(charity, vcs_member):
    organisation_entry_update(organisation=charity, actor=vcs_member, area_served="Portsea", postcode="PO1 2AB")
    count = charity.history.count()
    saved = organisation_entry_update(
        organisation=charity, actor=vcs_member, area_served="Portsea", postcode="po1  2ab", services=[]
    )
    assert saved.changed_fields == []
    assert charity.history.count() == count


def test_the_service_refuses_another_organisations_member_and_fields_it_does_not_set(charity, outsider, vcs_member):
    with pytest.raises(PermissionDenied):
        organisation_entry_update(organisation=charity, actor=outsider, area_served="Everywhere")
    with pytest.raises(TypeError):
        organisation_entry_update(organisation=charity, actor=vcs_member, charity_number="1012345")
    charity.refresh_from_db()
    assert (charity.area_served, charity.charity_number) == ("", "")


# --- The public page ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "offered"), [(None, False), ("outsider", False), ("vcs_member", True)])
def test_the_public_page_shows_the_new_fields_and_offers_editing_to_members(
    client, request, charity, compact, who, offered
):
    organisation_entry_update(
        organisation=charity,
        actor=None,
        aims_and_services="Food parcels.",
        area_served="Southsea",
        governing_document=GoverningDocument.TRUST_DEED,
        services=[_service("food-support")],
    )
    if who:
        client.force_login(request.getfixturevalue(who))
    html = client.get(charity.get_absolute_url()).content.decode()
    for shown in ("Aims and services", "Food parcels.", "Area served", "Southsea", "Trust deed", "Food support"):
        assert shown in html
    assert ("Edit this entry" in html) is offered


# --- The directory's filters --------------------------------------------------------------------------------------


@pytest.fixture
def directory(compact):
    def sign(name, *, area="", services=(), **fields):
        organisation = OrganisationFactory(name=name, area_served=area, **fields)
        organisation.services.set([_service(slug) for slug in services])
        SignatureFactory(compact=compact, organisation=organisation)

    sign("Food Bank", area="Southsea", services=["food-support", "advice-and-information"])
    sign("Youth Club", area="Fratton and SOUTHSEA", services=["youth-work"])
    sign("Advice Centre", area="Portsmouth", services=["advice-and-information"], side="vcs")
    sign("City Council", area="Portsmouth", side="public")
    OrganisationFactory(name="Not Signed", area_served="Southsea")
    return compact


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"area": "southsea"}, ["Food Bank", "Youth Club"]),
        ({"area": "  "}, ["Advice Centre", "City Council", "Food Bank", "Southsea Community Food Bank", "Youth Club"]),
        ({"service": "advice-and-information"}, ["Advice Centre", "Food Bank"]),
        ({"service": "advice-and-information", "area": "south"}, ["Food Bank"]),
        ({"service": "advice-and-information", "sort": "-name"}, ["Food Bank", "Advice Centre"]),
        ({"area": "portsmouth", "side": "public"}, ["City Council"]),
        ({"service": "transport"}, []),
    ],
)
def test_the_directory_filters_by_area_and_service_with_the_other_filters_and_sorts(client, directory, query, names):
    page = client.get(reverse("commitments:directory"), query).context["page_obj"]
    assert [organisation.name for organisation in page] == names


def test_an_unknown_service_is_left_out_as_the_other_filters_are(client, directory):
    response = client.get(reverse("commitments:directory"), {"service": "no-such-service", "area": "southsea"})
    assert response.status_code == 200
    assert [organisation.name for organisation in response.context["page_obj"]] == ["Food Bank", "Youth Club"]


def test_the_directory_pages_keep_the_new_filters(client, compact):
    for n in range(30):
        organisation = OrganisationFactory(name=f"Group {n:02d}", area_served="Cosham")
        organisation.services.set([_service("volunteering")])
        SignatureFactory(compact=compact, organisation=organisation)
    response = client.get(reverse("commitments:directory"), {"area": "cosham", "service": "volunteering"})
    assert len(response.context["page_obj"]) == 25
    assert "area=cosham&amp;service=volunteering&amp;page=2" in response.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_the_directory_and_the_entry_take_a_fixed_number_of_queries(
    client, compact, vcs_member, charity, django_assert_max_num_queries, count
):
    for n in range(count):
        organisation = OrganisationFactory(name=f"Group {n:02d}", area_served="Cosham")
        organisation.services.set(Service.objects.all()[:3])
        organisation.communities.set(Community.objects.all()[:2])
        SignatureFactory(compact=compact, organisation=organisation)
    charity.services.set(Service.objects.all()[: count // 3])
    with django_assert_max_num_queries(7):
        client.get(reverse("commitments:directory"), {"area": "cosham", "service": "advice-and-information"})
    client.force_login(vcs_member)
    with django_assert_max_num_queries(9):  # the session, the person, their roles, the entry and its choices
        client.get(_edit_url(charity))
    with django_assert_max_num_queries(11):
        client.get(charity.get_absolute_url())


# --- The organisations import ----------------------------------------------------------------------------------


ENTRY_HEADER = "name,side,organisation_type,charity_number,company_number,postcode,email"


def _import(text):
    header, rows = read_csv(text.encode("utf-8"))
    return organisations_import(header=header, rows=rows, today=timezone.localdate())


def test_the_import_sets_the_entry_columns_a_file_has_and_leaves_the_others(db):
    with_entry = (
        f"{ENTRY_HEADER},aims_and_services,area_served,governing_document,services\n"
        "Food Bank,vcs,registered_charity,,,PO4 0AA,,Food parcels.,Southsea,Trust deed,Food support;Youth work\n"
    )
    result = _import(with_entry)
    assert result.ok, result.errors
    food_bank = Organisation.objects.get(name="Food Bank")
    assert (food_bank.aims_and_services, food_bank.area_served) == ("Food parcels.", "Southsea")
    assert food_bank.governing_document == GoverningDocument.TRUST_DEED
    assert sorted(food_bank.services.values_list("slug", flat=True)) == ["food-support", "youth-work"]
    assert _import(with_entry).unchanged == 1

    older = f"{ENTRY_HEADER}\nFood Bank,vcs,registered_charity,,,PO4 0AA,info@food.example.org\n"
    assert _import(older).updated == 1
    food_bank.refresh_from_db()
    assert (food_bank.email, food_bank.area_served, food_bank.services.count()) == (
        "info@food.example.org",
        "Southsea",
        2,
    )


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        ("services", "Food support;Juggling", "Unknown service 'Juggling'; use one of: Advice and information"),
        ("governing_document", "A napkin", "Governing document 'A napkin' is not one of"),
    ],
)
def test_the_import_refuses_what_the_entry_cannot_hold(db, column, cell, message):
    result = _import(f"{ENTRY_HEADER},{column}\nFood Bank,vcs,registered_charity,,,PO4 0AA,,{cell}\n")
    assert [(error.row, message in error.message) for error in result.errors] == [(2, True)]
    assert not Organisation.objects.exists()


# --- The champions' list of changed entries ------------------------------------------------------------------------


def _backdate(organisation, days):
    """Make the organisation's history so far ``days`` old, as if it had been in the directory that long."""
    organisation.history.update(history_date=timezone.now() - datetime.timedelta(days=days))


def _changed_items(user, today=None):
    today = today or timezone.localdate()
    return [item for item in worklist.waiting_for(user, today).get(Role.CHAMPION, []) if item.kind == "entry_changed"]


def test_the_champions_of_a_signed_compact_see_what_changed_in_its_signatories_entries(
    client, charity, compact_champion, vcs_member, compact
):
    _backdate(charity, 30)
    organisation_entry_update(
        organisation=charity, actor=vcs_member, area_served="Southsea", services=[_service("food-support")]
    )

    [item] = _changed_items(compact_champion)

    assert item.what.startswith(
        "Southsea Community Food Bank changed its directory entry: area served, services offered (last changed on "
    )
    assert item.what.endswith("by Val Member)")
    assert item.url == charity.get_absolute_url()
    assert item.due is None
    assert "in the last 7 days; you have not visited before" in item.why
    client.force_login(compact_champion)
    assert client.get(item.url).status_code == 200


def test_others_do_not_see_it(charity, compact, vcs_member, champion):
    """The champion role without an appointment in the compact the organisation signed; and a compact whose
    signature was withdrawn."""
    other = CompactFactory(name="Havant Compact")
    ChampionFactory(user=champion, compact=other)
    SignatureFactory(
        compact=other,
        organisation=charity,
        status=SignatureStatus.WITHDRAWN,
        withdrawn_date=datetime.date(2026, 5, 1),
    )
    _backdate(charity, 30)
    organisation_entry_update(organisation=charity, actor=vcs_member, area_served="Southsea")
    assert _changed_items(champion) == []


@pytest.mark.parametrize(
    ("visited_days_ago", "changed_days_ago", "listed"),
    [
        (None, 6, True),  # never visited: the last seven days, today included
        (None, 7, False),
        (10, 10, True),  # on the day of the last visit
        (10, 11, False),
    ],
)
def test_changes_since_the_last_visit(
    charity, compact, compact_champion, vcs_member, visited_days_ago, changed_days_ago, listed
):
    _backdate(charity, 40)
    organisation_entry_update(organisation=charity, actor=vcs_member, phone="023 9200 0000")
    latest = charity.history.latest()
    type(latest).objects.filter(pk=latest.pk).update(
        history_date=timezone.localtime().replace(hour=12) - datetime.timedelta(days=changed_days_ago)
    )
    if visited_days_ago is not None:
        compact_champion.last_login = timezone.localtime().replace(hour=9) - datetime.timedelta(days=visited_days_ago)
        compact_champion.save(update_fields=["last_login"])
    assert bool(_changed_items(compact_champion)) is listed


def test_a_change_undone_and_a_new_organisation_are_not_listed(compact, compact_champion, charity, vcs_member):
    _backdate(charity, 30)
    organisation_entry_update(organisation=charity, actor=vcs_member, area_served="Southsea")
    organisation_entry_update(organisation=charity, actor=vcs_member, area_served="")
    newcomer = OrganisationFactory(name="New Group")
    SignatureFactory(compact=compact, organisation=newcomer)
    organisation_entry_update(organisation=newcomer, actor=None, area_served="Cosham")
    assert _changed_items(compact_champion) == []


def test_a_change_made_by_an_import_names_no_one(compact, compact_champion, charity):
    _backdate(charity, 30)
    organisation_entry_update(organisation=charity, actor=None, area_served="Southsea")
    [item] = _changed_items(compact_champion)
    assert item.what.endswith(")")
    assert " by " not in item.what


def test_beyond_ten_entries_the_rest_are_counted(compact, compact_champion):
    for n in range(12):
        organisation = OrganisationFactory(name=f"Group {n:02d}")
        SignatureFactory(compact=compact, organisation=organisation)
        _backdate(organisation, 30)
        organisation_entry_update(organisation=organisation, actor=None, area_served="Cosham")
    items = worklist.waiting_for(compact_champion, timezone.localdate())[Role.CHAMPION]
    assert [item.kind for item in items].count("entry_changed") == waiting.ENTRIES_LISTED_AT_MOST
    [rest] = [item for item in items if item.kind == "entries_changed"]
    assert rest.what == "2 more directory entries changed: Group 10, Group 11"
    assert rest.url == reverse("commitments:directory")


def _queries(user) -> int:
    person = worklist.person_for(user, timezone.localdate())
    with CaptureQueriesContext(connection) as captured:
        list(waiting.changed_entries(person))
    return len(captured.captured_queries)


def test_the_changed_entries_take_four_queries_whatever_the_data(compact, compact_champion, charity, vcs_member):
    _backdate(charity, 30)
    organisation_entry_update(organisation=charity, actor=vcs_member, area_served="Southsea")
    few = _queries(compact_champion)
    for n in range(5):
        organisation = OrganisationFactory(name=f"Group {n}")
        organisation.communities.set(Community.objects.all()[:3])
        SignatureFactory(compact=compact, organisation=organisation)
        _backdate(organisation, 30)
        organisation_entry_update(
            organisation=organisation, actor=None, area_served="Cosham", services=Service.objects.all()[:n]
        )
    assert len(_changed_items(compact_champion)) == 6
    assert _queries(compact_champion) == few == 4


def test_with_nothing_changed_the_list_takes_one_query(compact, compact_champion):
    assert _queries(compact_champion) == 1


def test_the_selector_compares_the_latest_version_with_the_one_before(charity, vcs_member):
    _backdate(charity, 30)
    since = timezone.now() - datetime.timedelta(days=1)
    organisation_entry_update(organisation=charity, actor=vcs_member, services=[_service("transport")])
    organisation_entry_update(organisation=charity, actor=vcs_member, communities=[Community.objects.first()])
    [change] = entry_changes_since(organisations=Organisation.objects.all(), since=since)
    assert change.fields == ("communities served", "services offered")
    assert change.by == "Val Member"
