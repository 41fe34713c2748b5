"""Journey 1: a council officer logs a late funding award (warned that it will be flagged without a justification,
gives one), an invoice and a late payment; after the compliance run the broken promise (11.2, invoices paid within
10 working days) shows on the record and to the champion."""

import datetime

from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.checks import choose, field, press_button, type_date, type_into
from tests.browser.steps import open_from_menu, sign_in

JUSTIFICATION = "The budget was only confirmed by full council last week, so we could not decide sooner."


def test_an_officer_logs_a_late_award_and_a_late_payment_and_the_champion_sees_the_flag(
    page, another_page, audit, today, portsmouth, council, charity, officer, champion
):
    start = today + relativedelta(months=2)
    received = today - datetime.timedelta(days=40)
    paid = today - datetime.timedelta(days=5)

    page.goto("/")
    audit(page)
    sign_in(page, audit, officer)
    audit(page)

    open_from_menu(page, "Funding")
    audit(page)
    page.get_by_role("link", name="Log funding").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log funding")
    audit(page)

    # The funding form, with the keyboard alone, in its order (who, what, when, the decision); the justification is
    # left out at first.
    choose(page, field(page, "Compact"), "Portsmouth Compact")
    choose(page, field(page, "Funder"), "Portsmouth City Council")
    choose(page, field(page, "Recipient"), "Southsea Community Food Bank")
    choose(page, field(page, "Mechanism"), "Grant")
    type_into(page, field(page, "Amount (£)"), "45000")
    type_into(page, field(page, "Reference"), "PCC-GR-2027-014")
    type_into(page, field(page, "Title"), "Emergency food parcels")
    type_date(page, field(page, "Expected start"), start)
    type_date(page, field(page, "Start date"), start)
    type_date(page, field(page, "End date"), start + relativedelta(years=3, days=-1))
    choose(page, field(page, "Decision"), "Awarded")
    type_date(page, field(page, "Date the organisation was told"), today)
    type_into(page, field(page, "Rationale"), "Meets the food poverty priorities.")
    press_button(page, page.get_by_role("button", name="Log the funding"))

    # Told two months before the start, not three (9.2): nothing is saved yet; the form warns that the award
    # will be flagged without a justification, offers to save it anyway, and keeps what was typed.
    summary = page.locator(".warning-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Justification for a late decision")
    expect(summary).to_contain_text("Without a justification this decision will be flagged")
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(page.get_by_label("Save anyway; this will be flagged until the explanation is added")).not_to_be_checked()
    expect(field(page, "Reference")).to_have_value("PCC-GR-2027-014")
    expect(field(page, "Rationale")).to_have_value("Meets the food poverty priorities.")
    audit(page)
    page.keyboard.press("Tab")  # the summary's first link
    page.keyboard.press("Enter")
    justification = field(page, "Justification for a late decision")
    expect(justification).to_be_focused()
    page.keyboard.type(JUSTIFICATION)
    press_button(page, page.get_by_role("button", name="Log the funding"))

    expect(page.get_by_role("heading", level=1)).to_contain_text("PCC-GR-2027-014")
    expect(page.get_by_text("Decision: Awarded")).to_be_visible()
    expect(page.get_by_text("later than commitment 9.2 asks; justification recorded")).to_be_visible()
    audit(page)

    page.get_by_role("link", name="Add an invoice").click()
    audit(page)
    field(page, "Invoice number").fill("SCFB-0193")
    field(page, "Amount (£)").fill("11250")
    field(page, "Date received").fill(received.isoformat())
    page.get_by_role("button", name="Save the invoice").click()
    expect(page.get_by_role("cell", name="SCFB-0193", exact=True)).to_be_visible()
    audit(page)

    page.get_by_role("link", name="Record a payment on invoice SCFB-0193").click()
    audit(page)
    field(page, "Date paid").fill(paid.isoformat())
    field(page, "Amount (£)").fill("11250")
    page.get_by_role("button", name="Record the payment").click()
    audit(page)

    call_command("check_compliance")  # the nightly run, as an operator would start it

    page.reload()
    flags = page.get_by_role("region", name="Compliance flags")
    expect(flags).to_contain_text("Invoice paid late")
    expect(flags).to_contain_text("SCFB-0193")
    audit(page)

    champion_page = another_page()
    champion_page.goto("/")
    sign_in(champion_page, audit, champion)
    open_from_menu(champion_page, "Flags")
    expect(champion_page.get_by_role("row").filter(has_text="Invoice paid late")).to_contain_text("SCFB-0193")
    audit(champion_page)
