"""Bulk import of organisations from CSV: every bad row reported by number, all rows or none saved.

Row numbers are the spreadsheet's: the header is row 1, the first organisation row 2. Re-importing
the same file creates no duplicates: a row matches an existing organisation on its Org-ID, or else
on its name and postcode, and updates it. The columns of what an organisation says about itself in its
directory entry (``ENTRY_COLUMNS``) change it only when the file has them, so an older file leaves what
members wrote since.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from compact_portal.csv_import import RowError, validation_messages
from compact_portal.csv_import import read_csv as read_csv  # re-exported for the view and the command

from ..models import Community, Compact, GoverningDocument, Organisation, OrganisationType, Service, Side
from . import _unique_slug, signature_record_signed

REQUIRED_COLUMNS = ("name", "side", "organisation_type", "charity_number", "company_number", "postcode", "email")
OPTIONAL_COLUMNS = (
    "org_id",
    "website",
    "paid_staff",
    "communities_served",
    "compact",
    "scottish_charity_number",
    "address",
    "phone",
)
# The directory entry's own columns, optional: set only when the file has the column (see the module docstring).
ENTRY_COLUMNS = ("aims_and_services", "area_served", "governing_document", "services")
IMPORT_VIA = "Organisations import"  # how the audit trail names this import (followed there by the file's name)
_TEXT_COLUMNS = (
    "charity_number",
    "scottish_charity_number",
    "company_number",
    "org_id",
    "postcode",
    "email",
    "website",
    "address",
    "phone",
)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    signed: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _choice(value: str, choices, what: str):
    wanted = value.strip().lower()
    for key, label in choices:
        if wanted in (key, label.lower(), slugify(label).replace("-", "_")):
            return key
    raise ValidationError(f"{what} {value!r} is not one of: {', '.join(key for key, _ in choices)}.")


def organisations_import(*, header: list[str], rows: list[dict[str, str]], today: datetime.date) -> ImportResult:
    """Validate every row, then save them all in one transaction, or save nothing if any row is bad."""
    result = ImportResult()
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        result.errors.append(RowError(1, f"The header is missing the column(s): {', '.join(missing)}."))
        return result
    if not rows:
        result.errors.append(RowError(1, "The file has a header but no organisations."))
        return result

    communities = {c.slug: c for c in Community.objects.all()}
    services = {s.slug: s for s in Service.objects.all()} if "services" in header else {}
    compacts = {c.slug: c for c in Compact.objects.all()}
    planned: list[tuple[Organisation, list[Community], list[Service] | None, Compact | None, str]] = []
    seen: dict[str, int] = {}

    for number, raw in enumerate(rows, start=2):
        values = {key: (value or "").strip() for key, value in raw.items() if key}
        try:
            planned.append(_plan_row(values, communities, services, compacts, seen, number))
        except ValidationError as error:
            result.errors.append(RowError(number, validation_messages(error)))
    if result.errors:
        return result

    with transaction.atomic():
        for organisation, row_communities, row_services, compact, outcome in planned:
            if outcome == "unchanged" and not compact:
                result.unchanged += 1
                continue
            if outcome != "unchanged":
                if organisation.pk is None:
                    organisation.slug = _unique_slug(organisation.name)
                organisation.save()
                organisation.communities.set(row_communities)
                if row_services is not None:
                    organisation.services.set(row_services)
            setattr(result, outcome, getattr(result, outcome) + 1)
            if compact:
                already = organisation.signatures.filter(compact=compact, status="approved").exists()
                signature_record_signed(compact=compact, organisation=organisation, signed_date=today)
                result.signed += 0 if already else 1
    return result


def _named(values, column, known: dict, what: str) -> list:
    """The items a cell names, separated by semicolons, each one of ``known`` (by the slug of its name)."""
    found = []
    for name in filter(None, (part.strip() for part in values.get(column, "").split(";"))):
        item = known.get(slugify(name))
        if item is None:
            raise ValidationError(f"Unknown {what} {name!r}; use one of: {', '.join(i.name for i in known.values())}.")
        found.append(item)
    return found


def _plan_row(values, communities, services, compacts, seen, number):
    if not values.get("name"):
        raise ValidationError("The name is empty.")
    fields = {column: values.get(column, "") for column in _TEXT_COLUMNS}
    fields["name"] = values["name"]
    fields["side"] = _choice(values.get("side", ""), Side.choices, "Side")
    fields["organisation_type"] = _choice(values.get("organisation_type", ""), OrganisationType.choices, "Type")
    staff = values.get("paid_staff", "")
    if staff and not staff.isdigit():
        raise ValidationError(f"paid_staff must be a whole number; got {staff!r}.")
    fields["paid_staff"] = int(staff) if staff else None
    for column in ("aims_and_services", "area_served"):
        if column in values:
            fields[column] = values[column]
    if "governing_document" in values:
        document = values["governing_document"]
        fields["governing_document"] = (
            _choice(document, GoverningDocument.choices, "Governing document") if document else ""
        )

    row_communities = _named(values, "communities_served", communities, "community")
    row_services = _named(values, "services", services, "service") if "services" in values else None
    compact = None
    if values.get("compact"):
        compact = compacts.get(values["compact"])
        if compact is None:
            raise ValidationError(f"No compact has the slug {values['compact']!r}.")

    candidate = Organisation(slug="pending-import", **fields)
    candidate.full_clean(
        validate_unique=False, validate_constraints=False
    )  # normalises identifiers and postcode, derives the Org-ID

    key = candidate.org_id or f"{candidate.name.lower()}|{candidate.postcode}"
    if key in seen:
        raise ValidationError(f"This organisation is already on row {seen[key]}.")
    seen[key] = number

    existing = None
    if candidate.org_id:
        existing = Organisation.objects.filter(org_id=candidate.org_id).first()
    if existing is None:
        existing = Organisation.objects.filter(name__iexact=candidate.name, postcode=candidate.postcode).first()
    if existing is None:
        return candidate, row_communities, row_services, compact, "created"

    normalised = {name: getattr(candidate, name) for name in fields}
    if not fields["org_id"] and existing.org_id and not candidate.org_id:
        normalised.pop("org_id")
    same = (
        all(getattr(existing, name) == value for name, value in normalised.items())
        and set(existing.communities.values_list("pk", flat=True)) == {c.pk for c in row_communities}
        and (
            row_services is None or set(existing.services.values_list("pk", flat=True)) == {s.pk for s in row_services}
        )
    )
    for name, value in normalised.items():
        setattr(existing, name, value)
    existing.full_clean()
    return existing, row_communities, row_services, compact, "unchanged" if same else "updated"
