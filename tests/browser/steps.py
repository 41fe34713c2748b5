"""Steps more than one journey takes, written as the user takes them."""

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.accounts.factories import PASSWORD
from tests.browser.checks import Auditor, choose, field, press_button, tab_to, tick, type_date, type_into


def sign_in(page: Page, audit: Auditor, user, *, password: str = PASSWORD) -> None:
    """From any page, follow "Sign in" and sign in as ``user``; checks the sign-in page on the way."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    audit(page)
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name=f"Your account: {user.full_name}")).to_be_visible()


def open_from_menu(page: Page, label: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=label, exact=True).click()


def watch_file_choosers(page: Page) -> list:
    """Catch the file choosers the page opens from now on. Listening well before the key is pressed matters:
    expect_file_chooser() starts intercepting only as the key goes down, and now and then loses the race."""
    choosers = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    return choosers


def attach_by_keyboard(page: Page, file_field, path: Path, choosers: list) -> None:
    """Tab to a file field, open its chooser with Space, and pick ``path``."""
    tab_to(page, file_field)
    page.keyboard.press("Space")
    for _ in range(100):
        if choosers:
            break
        page.wait_for_timeout(100)
    assert choosers, "pressing Space on the file field opened no file chooser"
    choosers.pop().set_files(path)
    assert file_field.evaluate("el => Array.from(el.files).map(f => f.name)") == [path.name]


CONCERN = {
    "respondent": "Portsmouth City Council",
    "clause": "11.2",
    "what_happened": "Our invoice SCFB-0188 for the winter food parcels was paid six weeks after we sent it.",
    "outcome_sought": "Pay our invoices within ten working days, as the Compact says.",
}


CONSENT = "I agree that the compact's champions handle this concern and, on appeal, its dispute panel"


def raise_concern(page: Page, audit: Auditor, *, evidence: Path, happened_on, forget_the_outcome: bool) -> str:
    """From the concerns list, raise a concern about a late payment with the keyboard alone, attaching
    ``evidence``; with ``forget_the_outcome``, first send it without the outcome sought, check that the form
    keeps everything and says what is missing, then add it. Returns the case's reference."""
    choosers = watch_file_choosers(page)
    page.get_by_role("link", name="Raise a Compact concern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Raise a concern under Portsmouth Compact")
    audit(page)

    choose(page, field(page, "The signatory concerned"), CONCERN["respondent"])
    type_into(page, page.get_by_label("Search the commitments by clause number or words"), CONCERN["clause"])
    tick(page, page.get_by_label(re.compile(r"^\s*11\.2\s+Public bodies pay invoices within ten working days")))
    type_into(page, field(page, "What happened"), CONCERN["what_happened"])
    type_date(page, field(page, "When it happened (or began)"), happened_on)
    if not forget_the_outcome:
        type_into(page, field(page, "The outcome you are seeking"), CONCERN["outcome_sought"])
    attach_by_keyboard(page, field(page, "Evidence"), evidence, choosers)
    tick(page, field(page, CONSENT))
    press_button(page, page.get_by_role("button", name="Send the concern"))

    if forget_the_outcome:
        summary = page.locator(".error-summary")
        expect(summary).to_be_focused()
        expect(summary.get_by_role("link")).to_have_text(re.compile(r"^The outcome you are seeking: "))
        expect(field(page, "What happened")).to_have_value(CONCERN["what_happened"])
        expect(field(page, "When it happened (or began)")).to_have_value(happened_on.isoformat())
        expect(field(page, "The signatory concerned")).to_have_value(re.compile(r"\d+"))
        expect(page.get_by_label(re.compile(r"^\s*11\.2\s"))).to_be_checked()
        expect(page.get_by_role("region", name="Files kept with your draft")).to_contain_text(evidence.name)
        expect(field(page, CONSENT)).to_be_checked()
        audit(page)
        page.keyboard.press("Tab")  # the summary's link
        page.keyboard.press("Enter")
        expect(field(page, "The outcome you are seeking")).to_be_focused()
        page.keyboard.type(CONCERN["outcome_sought"])
        press_button(page, page.get_by_role("button", name="Send the concern"))

    acknowledgement = page.get_by_role("status").filter(has_text="Your concern is received.")
    expect(acknowledgement).to_be_visible()
    reference = re.search(r"Its reference is (CC-\d{4}-\d{4})", acknowledgement.inner_text()).group(1)
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    return reference
