"""The awards CSV and the 360Giving package, validated offline against the schema kept in the project."""

import copy
import csv
import datetime
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

import funding
from funding.exports import AWARDS_CSV_COLUMNS, awards_csv_rows, giving360_package
from funding.models import FundingRelationship, Mechanism
from tests.commitments.factories import CompactFactory, OrganisationFactory, PublicBodyFactory
from tests.funding.factories import AwardedFundingFactory, DecisionFactory, FundingRelationshipFactory

SCHEMA_DIR = Path(funding.__file__).parent / "standards" / "360giving"
# The package schema's grants "$ref" (it names 1.4.2, though the grant schema's own $id says 1.4.3).
GRANT_SCHEMA_URL = "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json"
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _load(name: str) -> dict:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


def _format_checker() -> FormatChecker:
    """Check formats, date-time included: jsonschema checks it only with an optional package installed."""
    checker = FormatChecker()

    @checker.checks("date-time")
    def is_date_time(value) -> bool:
        if not isinstance(value, str):
            return True
        if not _RFC3339.match(value):
            return False
        datetime.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # a ValueError fails the check
        return True

    return checker


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    package_schema, grant_schema = _load("360-giving-package-schema.json"), _load("360-giving-schema.json")
    # Both declare "http://json-schema.org/draft/2020-12/schema", which neither library recognises: say so.
    assert package_schema["$schema"].endswith("//json-schema.org/draft/2020-12/schema")
    assert package_schema["properties"]["grants"]["items"]["$ref"] == GRANT_SCHEMA_URL
    Draft202012Validator.check_schema(package_schema)
    Draft202012Validator.check_schema(grant_schema)
    registry = Registry().with_resource(GRANT_SCHEMA_URL, DRAFT202012.create_resource(grant_schema))
    return Draft202012Validator(package_schema, registry=registry, format_checker=_format_checker())


def _errors(validator, package) -> list[str]:
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(package)]


def _exported():
    return FundingRelationship.objects.select_related("funder", "recipient", "compact").prefetch_related("decisions")


@pytest.fixture
def awards(db):
    """Three awards of one council (grant and contract, with and without an end date), a pending and a declined."""
    compact = CompactFactory(name="Portsmouth Compact")
    council = PublicBodyFactory(name="Portsmouth City Council", org_id="GB-LAE-POR")
    charity = OrganisationFactory(
        name="Southsea Food Bank", org_id="GB-CHC-1234567", charity_number="1234567", postcode="PO4 0AA"
    )
    company = OrganisationFactory(name="Fratton Care Ltd", org_id="GB-COH-04123456", company_number="04123456")
    group = OrganisationFactory(name="Knit and Natter")  # an unregistered group: no Org-ID
    common = {"compact": compact, "funder": council}
    return {
        "grant": AwardedFundingFactory(
            **common, recipient=charity, reference="GR-2026-001", amount=Decimal("12345.67"), purpose="Meals."
        ),
        "contract": AwardedFundingFactory(
            **common,
            recipient=company,
            reference="CT 2026/7",
            title="Home care",
            mechanism=Mechanism.CONTRACT,
            amount=Decimal("50000.00"),
            end_date=None,
        ),
        "small": AwardedFundingFactory(**common, recipient=group, reference="GR-2026-003", amount=Decimal("999.99")),
        "pending": FundingRelationshipFactory(**common, recipient=charity, reference="GR-2026-004"),
        "declined": DecisionFactory(
            relationship=FundingRelationshipFactory(**common, recipient=group, reference="GR-2026-005"),
            kind="declined",
            feedback="The budget was spent.",
        ).relationship,
    }


# --- 360Giving ----------------------------------------------------------------------------------


def test_package_validates_against_the_360giving_schema(awards, validator):
    package = giving360_package(_exported())

    assert len(package["grants"]) == 3
    assert _errors(validator, package) == []


def test_a_broken_grant_fails_validation(awards, validator):
    package = giving360_package(_exported())
    broken = copy.deepcopy(package)
    del broken["grants"][0]["amountAwarded"]
    bad_date = copy.deepcopy(package)
    bad_date["grants"][0]["awardDate"] = "01/10/2026"

    assert _errors(validator, broken)
    assert _errors(validator, bad_date)
    assert _errors(validator, {"grants": []})  # the schema wants at least one grant


def test_grant_fields(awards):
    grants = {grant["id"]: grant for grant in giving360_package(_exported())["grants"]}

    grant = grants["360G-GB-LAE-POR-GR-2026-001"]
    assert grant["title"] == "Community food project"
    assert grant["description"] == "Meals."
    assert grant["currency"] == "GBP"
    assert grant["amountAwarded"] == 12345.67
    assert grant["awardDate"] == "2026-10-01"
    assert grant["plannedDates"] == [{"startDate": "2027-04-01", "endDate": "2030-03-31", "duration": 36}]
    assert grant["recipientOrganization"] == [
        {"id": "GB-CHC-1234567", "name": "Southsea Food Bank", "charityNumber": "1234567", "postalCode": "PO4 0AA"}
    ]
    assert grant["fundingOrganization"] == [{"id": "GB-LAE-POR", "name": "Portsmouth City Council"}]
    assert "T" in grant["dateModified"]

    contract = grants["360G-GB-LAE-POR-CT_2026_7"]  # space and slash replaced, as 360Giving advises
    assert contract["amountAwarded"] == 50000
    assert contract["description"] == "Home care"
    assert contract["plannedDates"] == [{"startDate": "2027-04-01"}]
    assert contract["recipientOrganization"][0]["companyNumber"] == "04123456"

    small = grants["360G-GB-LAE-POR-GR-2026-003"]
    assert small["recipientOrganization"] == [{"id": "360G-GB-LAE-POR-knit-and-natter", "name": "Knit and Natter"}]


def test_pending_and_declined_are_left_out(awards):
    ids = [grant["id"] for grant in giving360_package(_exported())["grants"]]

    assert "360G-GB-LAE-POR-GR-2026-004" not in ids
    assert "360G-GB-LAE-POR-GR-2026-005" not in ids
    assert giving360_package(_exported().filter(reference__in=["GR-2026-004", "GR-2026-005"])) == {
        "version": "1.4",
        "grants": [],
    }


def test_prefix_and_data_source_can_be_given(awards, validator):
    package = giving360_package(
        _exported(), funder_prefix_for=lambda funder: "portsmouthcc", data_source="https://example.org/grants.json"
    )

    assert {grant["id"] for grant in package["grants"]} >= {"360G-portsmouthcc-GR-2026-001"}
    assert {grant["dataSource"] for grant in package["grants"]} == {"https://example.org/grants.json"}
    assert _errors(validator, package) == []


def test_package_serialises_as_json(awards):
    text = json.dumps(giving360_package(_exported()))

    assert '"amountAwarded": 12345.67' in text


def test_exports_make_no_query_per_row(awards, django_assert_num_queries):
    with django_assert_num_queries(2):  # the relationships with their joins, then the prefetched decisions
        giving360_package(_exported())
    with django_assert_num_queries(2):
        list(awards_csv_rows(_exported()))


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_header_and_row(awards):
    rows = list(awards_csv_rows(_exported().order_by("reference")))

    assert rows[0] == list(AWARDS_CSV_COLUMNS)
    assert len(rows) == 6
    assert rows[2] == [
        "GR-2026-001",
        "Community food project",
        "Portsmouth City Council",
        "GB-LAE-POR",
        "Southsea Food Bank",
        "GB-CHC-1234567",
        "Portsmouth Compact",
        "Grant",
        "12345.67",
        "Awarded",
        "2026-10-01",
        "2027-04-01",
        "2027-04-01",
        "2030-03-31",
        "No",
        "No",
        "No",
    ]
    by_reference = {row[0]: row for row in rows[1:]}
    assert by_reference["CT 2026/7"][7] == "Contract"
    assert by_reference["CT 2026/7"][13] == ""  # no end date
    assert by_reference["GR-2026-004"][9:11] == ["Awaiting a decision", ""]  # no award date without an award


def test_csv_neutralises_formulas(awards):
    relationship = awards["grant"]
    relationship.title = '=HYPERLINK("https://example.org","Click")'
    relationship.save()

    rows = list(awards_csv_rows(_exported().filter(pk=relationship.pk)))

    assert rows[1][1] == '\'=HYPERLINK("https://example.org","Click")'


def test_csv_rows_write_as_csv(awards):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(awards_csv_rows(_exported()))

    assert list(csv.reader(io.StringIO(buffer.getvalue())))[0][0] == "Reference"
