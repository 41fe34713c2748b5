"""Journey 3: Portsmouth's Compact champion reads the dashboard and drills into a figure, waives a flag with a
reason, takes on the charity's concern (raised as in journey 2) and starts its informal stage, and asks for
the quarter's PDF report, which a real Celery worker renders where Redis and PostgreSQL are configured."""

import datetime
import io

from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

from compact_portal.periods import Period
from tests.browser.checks import choose, field, press_button, type_into
from tests.browser.steps import open_from_menu, raise_concern, sign_in
from tests.disputes.factories import PDF
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory, pay_in_full

WAIVER = "The council's payment system was down for a week; the treasurer has apologised to the food bank."
MEETING = "the Local Strategic Partnership board"


def test_a_champion_reviews_the_dashboard_waives_a_flag_takes_on_a_concern_and_gets_the_quarters_report(
    page, another_page, audit, today, tmp_path, portsmouth, council, charity, vcs_member, champion, real_worker
):
    # An invoice the council paid late, today, and the nightly run that flagged it (11.2).
    funding = AwardedFundingFactory(
        compact=portsmouth, funder=council, recipient=charity, reference="PCC-GR-2026-007", title="Winter food"
    )
    invoice = InvoiceFactory(
        relationship=funding, invoice_number="SCFB-0188", received_date=today - datetime.timedelta(days=40)
    )
    pay_in_full(invoice, today)
    call_command("check_compliance")

    # The charity raises its concern, as in journey 2.
    charity_page = another_page()
    charity_page.goto("/")
    sign_in(charity_page, audit, vcs_member)
    audit(charity_page)
    open_from_menu(charity_page, "Concerns")
    audit(charity_page)
    evidence = tmp_path / "remittance-advice.pdf"
    evidence.write_bytes(PDF)
    reference = raise_concern(
        charity_page, audit, evidence=evidence, happened_on=today - datetime.timedelta(days=3), forget_the_outcome=False
    )
    audit(charity_page)

    page.goto("/")
    sign_in(page, audit, champion)
    audit(page)
    open_from_menu(page, "Champion's desk")
    audit(page)
    page.get_by_role("link", name="dashboard of Portsmouth Compact").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Portsmouth Compact")
    audit(page)

    # The headline figure for invoices paid on time this quarter, and the records behind it.
    page.locator("a[href*='/dashboard/records/paid_on_time/']").first.click()
    late = page.get_by_role("row").filter(has_text="SCFB-0188")
    expect(late).to_be_visible()
    audit(page)

    # The flag, waived with a reason typed and sent with the keyboard alone.
    open_from_menu(page, "Flags")
    audit(page)
    page.get_by_role("row").filter(has_text="Invoice paid late").get_by_role("link", name="Details").click()
    audit(page)
    type_into(page, field(page, "Reason"), WAIVER)
    press_button(page, page.get_by_role("button", name="Waive this flag"))
    expect(page.get_by_text(f"Waived since {today:%-d %B %Y}, by Cara Champion: {WAIVER}")).to_be_visible()
    audit(page)

    # The charity's concern: acknowledged, then into the informal stage.
    open_from_menu(page, "Concerns")
    audit(page)
    page.get_by_role("link", name=reference).click()
    audit(page)
    page.get_by_role("button", name="Acknowledge and take it on").click()
    expect(page.get_by_role("status")).to_contain_text("The concern is acknowledged; you are its champion.")
    audit(page)
    page.get_by_role("button", name="Start the informal stage").click()
    expect(page.get_by_role("status")).to_contain_text("The informal stage has begun.")
    expect(page.get_by_text("Informal stage").first).to_be_visible()
    audit(page)

    # The quarter's report for the LSP board, rendered by the report job, then downloaded.
    quarter = Period.quarter_of(today)
    page.goto("/champions/")
    audit(page)
    page.get_by_role("link", name="compliance reports of Portsmouth Compact").click()
    audit(page)
    choose(page, field(page, "Year"), str(quarter.start.year))
    choose(page, field(page, "Quarter"), f"Q{(quarter.start.month - 1) // 3 + 1}")
    type_into(page, field(page, "For the meeting of"), MEETING)
    press_button(page, page.get_by_role("button", name="Ask for the report"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Compliance report: Portsmouth Compact")
    audit(page)
    download_link = page.get_by_role("link", name="Download the report (PDF)")
    expect(download_link).to_be_visible(timeout=120_000)  # the page checks the report's status by itself
    audit(page)
    with page.expect_download() as download:
        download_link.click()
    pdf = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    text = "\n".join(page_of_pdf.extract_text() for page_of_pdf in pdf.pages)
    assert "Portsmouth Compact" in text
    assert MEETING in text
    assert f"{quarter.start:%-d %B %Y}" in text
    assert f"Page 1 of {len(pdf.pages)}" in text
