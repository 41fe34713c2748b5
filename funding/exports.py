"""Funding awards as a CSV table and as a 360Giving Data Standard package (schema 1.4.3, in standards/360giving).

These functions only format. The caller decides which relationships a person may export and passes them as
``.select_related("funder", "recipient", "compact").prefetch_related("decisions")``: the decisions are read
from that prefetch in Python, so no function here issues a query per relationship.
"""

import datetime
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from commitments.models import Organisation
from commitments.validators import derive_org_id
from compact_portal.csv_export import safe_cell

from .models import Decision, DecisionKind, FundingRelationship

AWARDS_CSV_COLUMNS = (
    "Reference", "Title", "Funder", "Funder Org-ID", "Recipient", "Recipient Org-ID", "Compact", "Mechanism",
    "Amount (£)", "Status", "Award date", "Expected start", "Start", "End", "Strategic", "Full cost recovery",
    "Payment in advance",
)  # fmt: skip

GIVING360_VERSION = "1.4"  # the package's "version": major.minor of the standard followed
# 360Giving's identifier guidance: replace spaces and special characters (slashes too) with underscores.
_NOT_ID_SAFE = re.compile(r"[^A-Za-z0-9_-]+")


def award_decision(relationship: FundingRelationship) -> Decision | None:
    """The latest 'awarded' decision among the relationship's (prefetched) decisions, or ``None``."""
    awards = [decision for decision in relationship.decisions.all() if decision.kind == DecisionKind.AWARDED]
    return max(awards, key=lambda decision: (decision.told_date, decision.recorded_at), default=None)


def _org_id(organisation: Organisation) -> str:
    """The stored Org-ID, else the one its charity or company number gives (as ``Organisation.clean`` does)."""
    return organisation.org_id or derive_org_id(
        charity_number=organisation.charity_number,
        scottish_charity_number=organisation.scottish_charity_number,
        company_number=organisation.company_number,
    )


def _date(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def awards_csv_rows(relationships: Iterable[FundingRelationship]) -> Iterator[list[str]]:
    """Yield ``AWARDS_CSV_COLUMNS`` and then one row of strings per relationship, in the order given.

    Every relationship passed is written, awarded or not (the award date is blank without an award). Text
    typed by people passes through ``safe_cell``; amounts (two decimals), ISO dates and Yes/No are
    written by this function and left as they are.
    """
    yield list(AWARDS_CSV_COLUMNS)
    for relationship in relationships:
        award = award_decision(relationship)
        text = [
            relationship.reference,
            relationship.title,
            relationship.funder.name,
            _org_id(relationship.funder),
            relationship.recipient.name,
            _org_id(relationship.recipient),
            relationship.compact.name,
            relationship.get_mechanism_display(),
        ]
        yield [
            *(safe_cell(value) for value in text),
            f"{relationship.amount:.2f}",
            safe_cell(relationship.get_status_display()),
            _date(award.told_date if award else None),
            _date(relationship.expected_start),
            _date(relationship.start_date),
            _date(relationship.end_date),
            _yes_no(relationship.strategic),
            _yes_no(relationship.full_cost_recovery),
            _yes_no(relationship.payment_in_advance),
        ]


def default_funder_prefix(funder: Organisation) -> str:
    """The funder's part of its grant identifiers (after ``360G-``): its Org-ID, else its slug."""
    return _org_id(funder) or funder.slug


def _amount(amount: Decimal) -> int | float:
    # A JSON number: json.dumps cannot write a Decimal, and DjangoJSONEncoder would write it as a string.
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _months(start: datetime.date, end: datetime.date) -> int:
    """Whole months from ``start`` to ``end`` inclusive (1 April to 31 March is 12); a part month counts as one."""
    span = relativedelta(end + datetime.timedelta(days=1), start)
    return span.years * 12 + span.months + (1 if span.days else 0)


def _planned_dates(relationship: FundingRelationship) -> list[dict]:
    start = relationship.start_date or relationship.expected_start
    event: dict = {"startDate": start.isoformat()}
    if relationship.end_date:
        event["endDate"] = relationship.end_date.isoformat()
        if relationship.end_date >= start:
            event["duration"] = _months(start, relationship.end_date)
    return [event]


def _recipient(recipient: Organisation, prefix: str) -> dict:
    # An organisation with no Org-ID (e.g. an unregistered community group) gets an id made, as 360Giving's
    # identifier guidance asks, of the publisher's 360Giving prefix and its internal identifier: the slug.
    data = {"id": _org_id(recipient) or f"360G-{prefix}-{recipient.slug}", "name": recipient.name}
    charity_number = recipient.charity_number or recipient.scottish_charity_number
    optional = {
        "charityNumber": charity_number,
        "companyNumber": recipient.company_number,
        "postalCode": recipient.postcode,
    }
    data.update({key: value for key, value in optional.items() if value})
    return data


def giving360_grant(relationship: FundingRelationship, award: Decision, *, prefix: str) -> dict:
    """One grant of the 360Giving schema: every required field, amounts as JSON numbers, dates as YYYY-MM-DD."""
    funder = relationship.funder
    grant = {
        "id": f"360G-{prefix}-{_NOT_ID_SAFE.sub('_', relationship.reference.strip())}",
        "title": relationship.title,
        "description": relationship.purpose.strip() or relationship.title,
        "currency": "GBP",
        "amountAwarded": _amount(relationship.amount),
        "awardDate": award.told_date.isoformat(),
        "plannedDates": _planned_dates(relationship),
        "recipientOrganization": [_recipient(relationship.recipient, prefix)],
        # A funder without an Org-ID is identified by its 360Giving prefix alone.
        "fundingOrganization": [{"id": _org_id(funder) or f"360G-{prefix}", "name": funder.name}],
    }
    if relationship.updated_at:
        grant["dateModified"] = relationship.updated_at.isoformat()  # full date-time with offset, as required
    return grant


def giving360_package(
    relationships: Iterable[FundingRelationship],
    *,
    funder_prefix_for: Callable[[Organisation], str] | None = None,
    data_source: str | None = None,
) -> dict:
    """A 360Giving package ``{"version": "1.4", "grants": [...]}`` of the relationships that were awarded.

    Relationships without an 'awarded' decision (pending, declined) are skipped; an ended one that was
    awarded stays. Grant ids are ``360G-<prefix>-<reference>``, the prefix being
    ``funder_prefix_for(funder)`` (without ``360G-``) or, by default, the funder's Org-ID. ``data_source``,
    a URL, is given to every grant as its ``dataSource``. The schema requires at least one grant: when
    ``grants`` is empty, the caller should offer no file rather than an invalid one.
    """
    prefix_for = funder_prefix_for or default_funder_prefix
    grants = []
    for relationship in relationships:
        award = award_decision(relationship)
        if award is None:
            continue
        grant = giving360_grant(relationship, award, prefix=prefix_for(relationship.funder))
        if data_source:
            grant["dataSource"] = data_source
        grants.append(grant)
    return {"version": GIVING360_VERSION, "grants": grants}
