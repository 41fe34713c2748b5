import datetime

import pytest

from tests.commitments.factories import CompactFactory
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory

# --- The compliance scan (test_compliance_engine, test_compliance_commands, test_digest, test_tasks) ---


@pytest.fixture
def scan_compact(db):
    """The adopted Southsea Compact (England and Wales, invoices paid within 10 working days, no review due)."""
    return CompactFactory(name="Southsea Compact", status="adopted", adopted_date=datetime.date(2026, 4, 1))


@pytest.fixture
def unpaid_invoice(scan_compact, council, charity):
    """Invoice INV-0042 from the food bank to the council, received Tuesday 6 April 2027, so payable by
    Tuesday 20 April 2027; not paid. The award was told in good time, so nothing else about it is broken."""
    funding = AwardedFundingFactory(compact=scan_compact, funder=council, recipient=charity, reference="GR-2027-001")
    invoice = InvoiceFactory(relationship=funding, invoice_number="INV-0042", received_date=datetime.date(2027, 4, 6))
    assert invoice.pay_by == datetime.date(2027, 4, 20)
    return invoice
