"""An officer's Monday: signed in, the first page lists what is waiting for them, the overdue invoice first; they
follow its link, record the payment, come back to the first page, and the invoice is no longer listed."""

import datetime

from playwright.sync_api import expect

from tests.browser.checks import field
from tests.browser.steps import sign_in
from tests.consultations.factories import ConsultationFactory
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory


def test_an_officer_pays_the_overdue_invoice_the_first_page_lists_first(
    page, audit, today, portsmouth, council, charity, officer
):
    funding = AwardedFundingFactory(compact=portsmouth, funder=council, recipient=charity, reference="PCC-GR-2026-3")
    InvoiceFactory(
        relationship=funding,
        invoice_number="SCFB-0201",
        amount="3125",
        received_date=today - datetime.timedelta(days=40),
    )
    ConsultationFactory(  # something later waits too: a draft to publish before it opens in a month
        compact=portsmouth, body=council, title="Library services review", announced_date=today,
        open_date=today + datetime.timedelta(days=30), close_date=today + datetime.timedelta(days=120),
    )  # fmt: skip

    page.goto("/")
    audit(page)
    sign_in(page, audit, officer)
    page.get_by_role("link", name="Home", exact=True).click()
    waiting = page.get_by_role("region", name="Waiting for you")
    items = waiting.get_by_role("listitem")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("Invoice SCFB-0201 from Southsea Community Food Bank, £3,125.00")
    expect(items.first).to_contain_text("Late:")
    expect(items.first).to_contain_text("clause 11.2")
    expect(items.nth(1)).to_contain_text("Library services review")
    audit(page)

    items.first.get_by_role("link", name="Record the payment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a payment on invoice SCFB-0201")
    audit(page)
    field(page, "Date paid").fill(today.isoformat())
    expect(field(page, "Amount (£)")).to_have_value("3125.00")
    page.get_by_role("button", name="Record the payment").click()
    expect(page.get_by_text("The payment on invoice SCFB-0201 is recorded.")).to_be_visible()
    audit(page)

    page.get_by_role("link", name="Home", exact=True).click()
    expect(items).to_have_count(1)
    expect(waiting).not_to_contain_text("SCFB-0201")
    expect(items.first).to_contain_text("Library services review")
    audit(page)
