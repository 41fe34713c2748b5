import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commitments.models import Organisation, Signature, SignatureStatus
from commitments.services import champion_appoint, compacts_load, signature_record_signed
from tests.commitments.factories import OrganisationFactory, SignatureFactory
from tests.commitments.test_imports import GOOD
from tests.worlds import shared_world

SIGNED_ON = datetime.date(2026, 4, 1)
SIGN_UP = {
    "applicant_name": "Ann Applicant",
    "applicant_email": "ann@example.org",
    "name": "Milton Allotment Society",
    "side": "vcs",
    "organisation_type": "unincorporated_community_group",
    "postcode": "po4 8lr",
    "email": "allotments@example.org",
    "paid_staff": "0",
}


@pytest.fixture(scope="module")
def seed_compacts(django_db_setup, django_db_blocker, tmp_path_factory):
    with shared_world(django_db_blocker, tmp_path_factory):
        yield {compact.slug: compact for compact in compacts_load()}


@pytest.fixture
def compacts(seed_compacts, db):
    """tests/conftest.py's three seed compacts, loaded once for this module (tests/worlds.py): its tests read
    them, and what a test adds goes with its own transaction."""
    return seed_compacts


@pytest.fixture
def portsmouth_champion(portsmouth, champion, council):
    champion_appoint(compact=portsmouth, organisation=council, user=champion, appointed_on=SIGNED_ON)
    return champion


def test_public_pages_render_for_anonymous_visitors(client, portsmouth, charity):
    signature_record_signed(compact=portsmouth, organisation=charity, signed_date=SIGNED_ON)
    for url in (
        reverse("commitments:compact_list"),
        portsmouth.get_absolute_url(),
        reverse("commitments:directory"),
        charity.get_absolute_url(),
        reverse("commitments:sign_up", args=["portsmouth"]),
    ):
        assert client.get(url).status_code == 200, url


def test_the_compact_page_shows_principles_then_commitments_by_section_with_their_side(client, portsmouth):
    html = client.get(portsmouth.get_absolute_url()).content.decode()
    assert html.index("Shared principles") < html.index("Commitments")
    assert "13.3" in html
    assert "22.4" in html
    assert "Involvement in policy development" in html
    assert "Advancing equality" in html
    assert "Voluntary and community sector" in html
    assert "Public bodies" in html


def test_the_compact_page_lists_its_champions(client, portsmouth, portsmouth_champion):
    assert "Cara Champion" in client.get(portsmouth.get_absolute_url()).content.decode()


def test_an_organisation_that_has_not_signed_is_not_public(client, portsmouth):
    applicant = OrganisationFactory(name="Still Applying")
    Signature.objects.create(compact=portsmouth, organisation=applicant)
    assert client.get(applicant.get_absolute_url()).status_code == 404
    assert "Still Applying" not in client.get(reverse("commitments:directory")).content.decode()


def test_signing_up_through_the_web_form_and_approval_by_a_champion(client, portsmouth, portsmouth_champion):
    response = client.post(reverse("commitments:sign_up", args=["portsmouth"]), SIGN_UP)
    assert response.status_code == 200
    assert "Application received" in response.content.decode()
    signature = Signature.objects.get(organisation__name="Milton Allotment Society")
    assert signature.status == SignatureStatus.APPLIED
    assert signature.organisation.postcode == "PO4 8LR"

    client.force_login(portsmouth_champion)
    assert "Milton Allotment Society" in client.get(reverse("commitments:applications")).content.decode()
    client.post(reverse("commitments:application_decide", args=[signature.pk]), {"decision": "approve"})
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.APPROVED
    assert signature.organisation.memberships.get().user.email == "ann@example.org"


def test_a_sign_up_with_mistakes_keeps_what_was_typed_and_says_what_is_wrong(client, portsmouth):
    response = client.post(
        reverse("commitments:sign_up", args=["portsmouth"]), {**SIGN_UP, "postcode": "nowhere", "charity_number": "12"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "real UK postcode" in html
    assert "6 or 7 digits" in html
    assert 'value="Milton Allotment Society"' in html
    assert not Organisation.objects.filter(name="Milton Allotment Society").exists()


def test_a_member_applies_for_their_own_organisation(client, portsmouth, vcs_member, charity):
    client.force_login(vcs_member)
    client.post(reverse("commitments:sign_up_existing", args=["portsmouth", charity.slug]))
    assert Signature.objects.get(organisation=charity).applied_by == vcs_member


def test_a_member_cannot_apply_for_someone_elses_organisation(client, portsmouth, vcs_member, other_charity):
    client.force_login(vcs_member)
    response = client.post(reverse("commitments:sign_up_existing", args=["portsmouth", other_charity.slug]))
    assert response.status_code == 404
    assert not Signature.objects.exists()


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("portsmouth_champion", True),
        ("administrator", True),
        ("champion", False),
        ("officer", False),
        ("vcs_member", False),
    ],
)
def test_who_may_decide_an_application(client, request, portsmouth, who, allowed):
    signature = Signature.objects.create(compact=portsmouth, organisation=OrganisationFactory(name="Applicant"))
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("commitments:application_decide", args=[signature.pk]), {"decision": "approve"})
    signature.refresh_from_db()
    assert (signature.status == SignatureStatus.APPROVED) is allowed
    if not allowed:
        assert response.status_code in (403, 404)


def test_declining_without_a_reason_is_refused(client, portsmouth, administrator):
    signature = Signature.objects.create(compact=portsmouth, organisation=OrganisationFactory(name="Applicant"))
    client.force_login(administrator)
    response = client.post(reverse("commitments:application_decide", args=[signature.pk]), {"decision": "decline"})
    assert "Say why you are declining" in response.content.decode()
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.APPLIED


def test_a_member_withdraws_their_organisation(client, portsmouth, vcs_member, charity):
    signature = signature_record_signed(compact=portsmouth, organisation=charity, signed_date=SIGNED_ON)
    client.force_login(vcs_member)
    url = reverse("commitments:withdraw", args=[charity.slug, signature.pk])
    client.post(url, {"reason": "We have merged with another charity."})
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.WITHDRAWN
    assert signature.history.first().history_user == vcs_member  # who withdrew it is kept


def test_an_outsider_cannot_withdraw_another_organisation(client, portsmouth, outsider, charity):
    signature = signature_record_signed(compact=portsmouth, organisation=charity, signed_date=SIGNED_ON)
    client.force_login(outsider)
    response = client.post(reverse("commitments:withdraw", args=[charity.slug, signature.pk]), {"reason": "x"})
    assert response.status_code == 403


@pytest.fixture
def directory(portsmouth):
    def sign(name, **fields):
        organisation = OrganisationFactory(name=name, **fields)
        SignatureFactory(compact=portsmouth, organisation=organisation)
        return organisation

    from commitments.models import Community

    food = sign("Food Bank", organisation_type="registered_charity")
    food.communities.add(Community.objects.get(slug="disability"))
    sign("Youth Club", organisation_type="faith_group")
    sign("City Council", side="public", organisation_type="local_authority")
    OrganisationFactory(name="Not Signed")
    return portsmouth


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({}, ["City Council", "Food Bank", "Youth Club"]),
        ({"q": "food"}, ["Food Bank"]),
        ({"side": "public"}, ["City Council"]),
        ({"organisation_type": "faith_group"}, ["Youth Club"]),
        ({"community": "disability"}, ["Food Bank"]),
        ({"compact": "portsmouth", "sort": "-name"}, ["Youth Club", "Food Bank", "City Council"]),
        ({"compact": "leicestershire"}, []),
    ],
)
def test_directory_search_filters_and_sort(client, directory, query, names):
    page = client.get(reverse("commitments:directory"), query).context["page_obj"]
    assert [organisation.name for organisation in page] == names


def test_directory_pages_keep_the_filters(client, portsmouth):
    for n in range(30):
        SignatureFactory(compact=portsmouth, organisation=OrganisationFactory(name=f"Group {n:02d}"))
    response = client.get(reverse("commitments:directory"), {"side": "vcs"})
    assert len(response.context["page_obj"]) == 25
    assert "side=vcs&amp;page=2" in response.content.decode()


@pytest.mark.parametrize("count", [3, 40])
def test_public_pages_use_a_fixed_number_of_queries_however_many_organisations(
    client, portsmouth, django_assert_max_num_queries, count
):
    from commitments.models import Community

    community = Community.objects.first()
    for n in range(count):
        organisation = OrganisationFactory(name=f"Group {n:02d}")
        organisation.communities.add(community)
        SignatureFactory(compact=portsmouth, organisation=organisation)
    with django_assert_max_num_queries(6):
        client.get(reverse("commitments:directory"))
    with django_assert_max_num_queries(6):
        client.get(portsmouth.get_absolute_url())


def test_administrators_import_organisations_in_the_browser(client, portsmouth, administrator):
    client.force_login(administrator)
    upload = SimpleUploadedFile("orgs.csv", GOOD.encode(), content_type="text/csv")
    response = client.post(reverse("commitments:import"), {"file": upload})
    assert "Imported: 4 new" in response.content.decode()
    bad = SimpleUploadedFile("bad.csv", GOOD.replace("PO1 5LA", "NOWHERE").encode(), content_type="text/csv")
    html = client.post(reverse("commitments:import"), {"file": bad}).content.decode()
    assert "Nothing was imported" in html
    assert "Row 4:" in html


@pytest.mark.parametrize("who", ["champion", "officer", "vcs_member"])
def test_only_administrators_may_import(client_for, who):
    assert client_for(who).get(reverse("commitments:import")).status_code == 403


def test_administrators_see_the_history_of_an_organisation(client, administrator, charity):
    from commitments.services import organisation_update

    organisation_update(organisation=charity, email="changed@example.org")
    client.force_login(administrator)
    response = client.get(reverse("admin:commitments_organisation_history", args=[charity.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Contact e-mail" in html
    assert "changed@example.org" in html


def test_others_cannot_see_the_history(client_for, charity):
    url = reverse("admin:commitments_organisation_history", args=[charity.pk])
    assert client_for("champion").get(url).status_code == 403


def test_signing_up_an_organisation_already_registered_says_so(client, portsmouth):
    OrganisationFactory(name="Existing Charity", charity_number="1012345", org_id="GB-CHC-1012345")
    response = client.post(
        reverse("commitments:sign_up", args=["portsmouth"]), {**SIGN_UP, "charity_number": "1012345"}
    )
    assert "An organisation with this Org-ID is already registered." in response.content.decode()
    assert not Organisation.objects.filter(name="Milton Allotment Society").exists()


def test_sign_up_accepts_numbers_typed_with_spaces_and_stores_them_tidied(client, portsmouth):
    typed = {**SIGN_UP, "charity_number": "101 2345", "company_number": "OC 301234", "postcode": "  po4  8lr "}
    response = client.post(reverse("commitments:sign_up", args=["portsmouth"]), typed)
    assert "Application received" in response.content.decode()
    organisation = Organisation.objects.get(name="Milton Allotment Society")
    assert (organisation.charity_number, organisation.company_number) == ("1012345", "OC301234")
    assert organisation.postcode == "PO4 8LR"
    assert organisation.org_id == "GB-CHC-1012345"


def test_a_second_application_for_an_organisation_waiting_for_a_decision_shows_the_first(client, portsmouth):
    """Matched on the organisation's name (capitals and spaces aside) and postcode, whatever form it came from."""
    url = reverse("commitments:sign_up", args=["portsmouth"])
    client.post(url, SIGN_UP)

    again = client.post(
        url, {**SIGN_UP, "name": "  milton  ALLOTMENT society", "postcode": "PO48LR", "applicant_name": "Bo"}
    )

    page = again.content.decode()
    assert again.status_code == 200
    assert "Application received" in page
    assert "Milton Allotment Society has already applied to sign Portsmouth Compact" in page
    assert Organisation.objects.filter(postcode="PO4 8LR").count() == 1
    assert Signature.objects.get().applicant_name == SIGN_UP["applicant_name"]


def test_a_second_application_with_the_organisations_charity_number_shows_the_first_too(client, portsmouth):
    url = reverse("commitments:sign_up", args=["portsmouth"])
    client.post(url, {**SIGN_UP, "charity_number": "1012345"})

    again = client.post(url, {**SIGN_UP, "charity_number": "1012345"})

    assert "Application received" in again.content.decode()
    assert Organisation.objects.filter(org_id="GB-CHC-1012345").count() == 1


def test_an_organisation_of_the_same_name_elsewhere_or_applying_again_after_a_decline_is_a_new_application(
    client, portsmouth
):
    url = reverse("commitments:sign_up", args=["portsmouth"])
    client.post(url, SIGN_UP)
    client.post(url, {**SIGN_UP, "postcode": "PO5 1AA"})  # another society of the same name
    assert Signature.objects.filter(status=SignatureStatus.APPLIED).count() == 2

    Signature.objects.filter(organisation__postcode="PO4 8LR").update(status=SignatureStatus.DECLINED)
    client.post(url, SIGN_UP)

    assert Signature.objects.filter(status=SignatureStatus.APPLIED).count() == 2
    assert Organisation.objects.filter(postcode="PO4 8LR").count() == 2


def test_applications_to_sign_are_rate_limited_per_address_keeping_what_was_typed(client, portsmouth, settings):
    settings.RATE_LIMIT_SIGN_UP = "1/h"
    url = reverse("commitments:sign_up", args=["portsmouth"])
    client.post(url, SIGN_UP)

    refused = client.post(url, {**SIGN_UP, "name": "Eastney Swimming Club"})
    from_elsewhere = client.post(url, {**SIGN_UP, "name": "Eastney Swimming Club"}, REMOTE_ADDR="198.51.100.9")

    assert refused.status_code == 429
    assert "too many applications from your connection" in refused.content.decode()
    assert 'value="Eastney Swimming Club"' in refused.content.decode()
    assert from_elsewhere.status_code == 200
    assert Organisation.objects.filter(name="Eastney Swimming Club").count() == 1
