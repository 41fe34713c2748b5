"""Journey 2: a member of a voluntary organisation raises a Compact concern with evidence (first forgetting a
required field), follows the case, and responds to an open consultation."""

import datetime

from playwright.sync_api import expect

from tests.browser.checks import field
from tests.browser.steps import CONCERN, open_from_menu, raise_concern, sign_in
from tests.consultations.factories import open_consultation
from tests.disputes.factories import PDF

RESPONSE = "We support keeping the centres open in the evenings: our volunteers use them for food collections."


def test_a_charity_raises_a_concern_with_evidence_and_responds_to_a_consultation(
    page, audit, today, tmp_path, portsmouth, council, charity, vcs_member
):
    consultation = open_consultation(
        today=today, compact=portsmouth, body=council, title="The future of our community centres"
    )
    evidence = tmp_path / "late-payment-remittance.pdf"
    evidence.write_bytes(PDF)

    page.goto("/")
    sign_in(page, audit, vcs_member)
    audit(page)
    open_from_menu(page, "Concerns")
    audit(page)
    reference = raise_concern(
        page, audit, evidence=evidence, happened_on=today - datetime.timedelta(days=20), forget_the_outcome=True
    )

    # The case's status page: what was sent, its stage, the evidence, and the next deadline.
    expect(page.get_by_text("Received", exact=True).first).to_be_visible()
    expect(page.get_by_text(CONCERN["what_happened"])).to_be_visible()
    expect(page.get_by_text(CONCERN["outcome_sought"])).to_be_visible()
    expect(page.get_by_role("link", name=evidence.name)).to_be_visible()
    audit(page)
    open_from_menu(page, "Concerns")
    expect(page.get_by_role("row").filter(has_text=reference)).to_contain_text("Received")
    audit(page)

    open_from_menu(page, "Consultations")
    audit(page)
    page.get_by_role("link", name=consultation.title).click()
    audit(page)
    page.get_by_role("link", name="Respond to this consultation").click()
    audit(page)
    field(page, "Your response").fill(RESPONSE)
    page.get_by_label("The organisation's own views").check()
    page.get_by_role("button", name="Submit the response").click()
    expect(page.get_by_role("status")).to_contain_text("submitted")
    audit(page)
