"""The public 360Giving files: valid against the schema kept in the project, with the licence and publisher, only
the awards their funders publish, cache-friendly; and the page where a funder's officers make their choices."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from funding.models import FunderPublishing, Licence
from funding.open_data import funder_for_key, funder_key
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import CompactFactory, OrganisationFactory, PublicBodyFactory
from tests.funding.factories import AwardedFundingFactory, FundingRelationshipFactory
from tests.funding.test_exports import _errors, validator  # noqa: F401 (the schema validator fixture)

ALL = "/open-data/360giving.json"


@pytest.fixture
def published(db):
    """Portsmouth (Org-ID, website, default choices) and Havant (no Org-ID, CC BY) with awards; Gosport opted out."""
    compact = CompactFactory(name="Portsmouth Compact")
    portsmouth = PublicBodyFactory(name="Portsmouth City Council", org_id="GB-LAE-POR", website="https://example.org/")
    havant = PublicBodyFactory(name="Havant Borough Council", slug="havant")
    gosport = PublicBodyFactory(name="Gosport Borough Council", org_id="GB-LAE-GOS")
    charity = OrganisationFactory(name="Southsea Food Bank", org_id="GB-CHC-1234567", charity_number="1234567")
    group = OrganisationFactory(name="Knit and Natter", slug="knit-and-natter")  # unregistered: no Org-ID
    FunderPublishing.objects.create(funder=havant, licence=Licence.CC_BY)
    FunderPublishing.objects.create(funder=gosport, publishes=False)
    return {
        "portsmouth": portsmouth,
        "havant": havant,
        "gosport": gosport,
        "grant": AwardedFundingFactory(
            compact=compact, funder=portsmouth, recipient=charity, reference="GR-1", amount=Decimal("1000.50")
        ),
        "group": AwardedFundingFactory(compact=compact, funder=portsmouth, recipient=group, reference="GR-2"),
        "left_out": AwardedFundingFactory(
            compact=compact, funder=portsmouth, recipient=charity, reference="GR-3", published_as_open_data=False
        ),
        "pending": FundingRelationshipFactory(compact=compact, funder=portsmouth, recipient=charity, reference="GR-4"),
        "havant_award": AwardedFundingFactory(compact=compact, funder=havant, recipient=charity, reference="HB-1"),
        "gosport_award": AwardedFundingFactory(compact=compact, funder=gosport, recipient=charity, reference="GO-1"),
    }


def _ids(response) -> set[str]:
    return {grant["id"] for grant in json.loads(response.content)["grants"]}


def test_the_funders_file_is_valid_and_carries_licence_and_publisher(client, published, validator):  # noqa: F811
    response = client.get("/open-data/360giving/GB-LAE-POR.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    package = json.loads(response.content)
    assert _errors(validator, package) == []
    assert package["license"] == Licence.OGL  # the default
    assert package["publisher"] == {
        "name": "Portsmouth City Council",
        "identifier": "GB-LAE-POR",
        "website": "https://example.org/",
    }
    assert package["downloadURL"] == "http://testserver/open-data/360giving/GB-LAE-POR.json"
    assert _ids(response) == {"360G-GB-LAE-POR-GR-1", "360G-GB-LAE-POR-GR-2"}  # not left out, not pending
    group = next(grant for grant in package["grants"] if grant["id"] == "360G-GB-LAE-POR-GR-2")
    assert group["recipientOrganization"][0]["id"] == "360G-GB-LAE-POR-knit-and-natter"  # as the export does


def test_a_funder_without_an_org_id_is_found_by_its_slug(client, published, validator):  # noqa: F811
    response = client.get("/open-data/360giving/havant.json")
    package = json.loads(response.content)
    assert _errors(validator, package) == []
    assert package["license"] == Licence.CC_BY
    assert package["publisher"] == {"name": "Havant Borough Council"}
    assert _ids(response) == {"360G-havant-HB-1"}


def test_the_portal_file_is_valid_and_has_every_published_award(client, published, validator):  # noqa: F811
    response = client.get(ALL)
    assert response.status_code == 200
    package = json.loads(response.content)
    assert _errors(validator, package) == []
    assert _ids(response) == {"360G-GB-LAE-POR-GR-1", "360G-GB-LAE-POR-GR-2", "360G-havant-HB-1"}
    assert "license" not in package  # two licences: each grant's dataSource is its funder's file, which has its own
    sources = {grant["id"]: grant["dataSource"] for grant in package["grants"]}
    assert sources["360G-havant-HB-1"] == "http://testserver/open-data/360giving/havant.json"


def test_one_licence_for_all_is_given_on_the_portal_file(client, published):
    FunderPublishing.objects.filter(funder=published["havant"]).update(licence=Licence.OGL)
    assert json.loads(client.get(ALL).content)["license"] == Licence.OGL


def test_a_funder_that_does_not_publish_has_no_file(client, published):
    assert client.get("/open-data/360giving/GB-LAE-GOS.json").status_code == 404
    assert client.get("/open-data/360giving/GB-LAE-NOPE.json").status_code == 404


def test_no_published_award_means_no_file(client, db):
    assert client.get(ALL).status_code == 404  # the schema requires at least one grant


def test_files_answer_not_modified_to_a_matching_etag(client, published):
    first = client.get(ALL)
    assert first["ETag"]
    assert first["Last-Modified"]
    assert "public" in first["Cache-Control"]
    again = client.get(ALL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert client.get(ALL, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    FunderPublishing.objects.filter(funder=published["havant"]).update(publishes=False)
    changed = client.get(ALL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_funder_key_round_trips(published):
    for funder in (published["portsmouth"], published["havant"]):
        assert funder_for_key(funder_key(funder)) == funder
    derived = PublicBodyFactory(name="A trust", charity_number="7654321")
    assert funder_key(derived) == "GB-CHC-7654321"
    assert funder_for_key("GB-CHC-7654321") == derived


def test_the_index_lists_the_addresses(client, published):
    page = client.get(reverse("open_data:index")).content.decode()
    assert "http://testserver/open-data/360giving/GB-LAE-POR.json" in page
    assert "GB-LAE-GOS" not in page


def test_an_officer_chooses_not_to_publish_and_the_licence(client, published):
    officer = MembershipFactory(organisation=published["portsmouth"], role="officer").user
    client.force_login(officer)
    url = reverse("open_data:publishing", args=[published["portsmouth"].slug])
    assert client.get(url).status_code == 200
    response = client.post(url, {"licence": Licence.CC0})  # the box left unticked
    assert response.status_code == 302
    choice = FunderPublishing.objects.get(funder=published["portsmouth"])
    assert (choice.publishes, choice.licence, choice.changed_by) == (False, Licence.CC0, officer)
    assert client.get("/open-data/360giving/GB-LAE-POR.json").status_code == 404
    # Another body's choices are not theirs to make.
    other = reverse("open_data:publishing", args=[published["havant"].slug])
    assert client.get(other).status_code == 404


def test_an_award_is_left_out_from_its_edit_form(client, published):
    officer = MembershipFactory(organisation=published["portsmouth"], role="officer").user
    client.force_login(officer)
    form = client.get(reverse("funding:relationship_edit", args=[published["grant"].pk])).context["form"]
    assert "published_as_open_data" in form.fields
