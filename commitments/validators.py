"""UK organisation identifiers and postcodes: pure normalising validators and Org-ID derivation.

Written here because no maintained library covers these registers: python-stdnum knows VAT and
company-style numbers of many countries but not the Charity Commission or OSCR formats, and UK
postcode packages are unmaintained. The formats are stable and published:
- Charity Commission for England and Wales: a 6 or 7 digit registered number (e.g. 1012345).
- OSCR (Scotland): "SC" and six digits (e.g. SC012345).
- Companies House: eight characters, digits or a two-letter prefix and six digits (SC, NI, OC...).
- Org-ID (org-id.guide): a list prefix such as GB-CHC, GB-SC, GB-COH or GB-LAE, then the identifier.
"""

import re

from django.core.exceptions import ValidationError

_CHARITY = re.compile(r"^\d{6,7}$")
_SCOTTISH_CHARITY = re.compile(r"^SC\d{6}$")
_COMPANY = re.compile(r"^(\d{8}|[A-Z]{2}\d{6})$")
_ORG_ID = re.compile(r"^[A-Z]{2}-[A-Z0-9]{2,}-[A-Za-z0-9][A-Za-z0-9-]*$")
# Outward code (area, district) and inward code (sector, unit), per the Royal Mail format.
_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$")


def _compact(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def normalise_charity_number(value: str) -> str:
    number = _compact(value)
    if number and not _CHARITY.match(number):
        raise ValidationError(
            "Enter a charity number for England and Wales as 6 or 7 digits, for example 1012345.", code="charity"
        )
    return number


def normalise_scottish_charity_number(value: str) -> str:
    number = _compact(value)
    if number and not _SCOTTISH_CHARITY.match(number):
        raise ValidationError(
            "Enter a Scottish charity number as SC followed by 6 digits, for example SC012345.", code="scottish"
        )
    return number


def normalise_company_number(value: str) -> str:
    number = _compact(value)
    if number.isdigit() and len(number) < 8:
        number = number.zfill(8)  # Companies House numbers are often written without their leading zeros
    if number and not _COMPANY.match(number):
        raise ValidationError(
            "Enter a company number as 8 digits, or 2 letters and 6 digits, for example 04123456 or SC123456.",
            code="company",
        )
    return number


def normalise_org_id(value: str) -> str:
    org_id = (value or "").strip()
    if org_id and not _ORG_ID.match(org_id):
        raise ValidationError(
            "Enter an Org-ID as a list code and an identifier, for example GB-LAE-POR or GB-CHC-1012345.",
            code="org_id",
        )
    return org_id


def normalise_postcode(value: str) -> str:
    """Return the postcode in capitals with one space before the inward code (e.g. "PO1 2AB")."""
    compact = _compact(value)
    if not compact:
        return ""
    match = _POSTCODE.match(compact)
    if not match:
        raise ValidationError("Enter a real UK postcode, for example PO1 2AB.", code="postcode")
    return f"{match.group(1)} {match.group(2)}"


def derive_org_id(*, charity_number: str = "", scottish_charity_number: str = "", company_number: str = "") -> str:
    """The Org-ID from the strongest identifier held: charity, then Scottish charity, then company."""
    if charity_number:
        return f"GB-CHC-{charity_number}"
    if scottish_charity_number:
        return f"GB-SC-{scottish_charity_number}"
    if company_number:
        return f"GB-COH-{company_number}"
    return ""
