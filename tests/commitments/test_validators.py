import pytest
from django.core.exceptions import ValidationError

from commitments import validators


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("1012345", "1012345"), (" 212 345 ", "212345"), ("", "")],
)
def test_good_charity_numbers_are_normalised(typed, stored):
    assert validators.normalise_charity_number(typed) == stored


@pytest.mark.parametrize("typed", ["12345", "12345678", "10123A5", "GB-CHC-1012345"])
def test_bad_charity_numbers_are_refused(typed):
    with pytest.raises(ValidationError, match="6 or 7 digits"):
        validators.normalise_charity_number(typed)


@pytest.mark.parametrize(("typed", "stored"), [("SC012345", "SC012345"), ("sc 012345", "SC012345")])
def test_good_scottish_charity_numbers(typed, stored):
    assert validators.normalise_scottish_charity_number(typed) == stored


@pytest.mark.parametrize("typed", ["SC12345", "SC0123456", "NI012345", "012345"])
def test_bad_scottish_charity_numbers(typed):
    with pytest.raises(ValidationError, match="SC followed by 6 digits"):
        validators.normalise_scottish_charity_number(typed)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("04123456", "04123456"), ("4123456", "04123456"), ("sc123456", "SC123456"), ("OC 301234", "OC301234")],
)
def test_good_company_numbers(typed, stored):
    assert validators.normalise_company_number(typed) == stored


@pytest.mark.parametrize("typed", ["041234567", "S1234567", "AB12345", "12-34"])
def test_bad_company_numbers(typed):
    with pytest.raises(ValidationError, match="company number"):
        validators.normalise_company_number(typed)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("PO1 2AL", "PO1 2AL"),
        ("po12al", "PO1 2AL"),
        ("  sw1a 1aa ", "SW1A 1AA"),
        ("M1 1AE", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("W1A 0AX", "W1A 0AX"),
    ],
)
def test_good_postcodes_are_normalised(typed, stored):
    assert validators.normalise_postcode(typed) == stored


@pytest.mark.parametrize("typed", ["PO1", "12345", "PO1 2A", "POO 2AL", "PO1 2ALX", "PO1 AAL"])
def test_bad_postcodes_are_refused(typed):
    with pytest.raises(ValidationError, match="real UK postcode"):
        validators.normalise_postcode(typed)


@pytest.mark.parametrize("typed", ["GB-LAE-POR", "GB-NHS-QRL", "GB-CHC-1012345", "GB-COH-SC123456"])
def test_good_org_ids(typed):
    assert validators.normalise_org_id(typed) == typed


@pytest.mark.parametrize("typed", ["LAE-POR", "GB_LAE_POR", "GB-LAE-", "1012345"])
def test_bad_org_ids(typed):
    with pytest.raises(ValidationError, match="Org-ID"):
        validators.normalise_org_id(typed)


@pytest.mark.parametrize(
    ("identifiers", "org_id"),
    [
        ({"charity_number": "1012345"}, "GB-CHC-1012345"),
        ({"charity_number": "1012345", "company_number": "04123456"}, "GB-CHC-1012345"),  # charity wins
        ({"scottish_charity_number": "SC012345", "company_number": "SC123456"}, "GB-SC-SC012345"),
        ({"company_number": "04123456"}, "GB-COH-04123456"),
        ({}, ""),
    ],
)
def test_org_id_is_derived_from_the_strongest_identifier(identifiers, org_id):
    assert validators.derive_org_id(**identifiers) == org_id
