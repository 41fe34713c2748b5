"""Journey 4: a member of the public reads the compact and its commitments, looks at the form to apply to sign it,
searches the directory with the keyboard, opens an open consultation, is sent to sign in when trying to respond,
and reads the accessibility statement."""

from playwright.sync_api import expect

from tests.browser.checks import press_button, type_into
from tests.browser.steps import open_from_menu
from tests.consultations.factories import open_consultation


def test_the_public_reads_the_compact_searches_the_directory_and_is_asked_to_sign_in_to_respond(
    page, audit, today, portsmouth, council, charity
):
    consultation = open_consultation(today=today, compact=portsmouth, body=council, title="Library opening hours")

    page.goto("/")
    audit(page)
    open_from_menu(page, "Compacts")
    audit(page)
    page.get_by_role("link", name="Portsmouth Compact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Portsmouth Compact")
    expect(page.get_by_role("row").filter(has_text="11.2")).to_contain_text("pay invoices within ten working days")
    audit(page)

    # The application form's fields, drop-downs and tick boxes can be seen (the audit measures their edges, WCAG
    # 1.4.11).
    page.get_by_role("link", name="Apply to sign this compact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Apply to sign Portsmouth Compact")
    expect(page.get_by_role("checkbox").first).to_be_visible()
    audit(page)

    # The directory's search, with the keyboard alone.
    open_from_menu(page, "Signatories")
    audit(page)
    type_into(page, page.get_by_label("Name contains"), "food")
    press_button(page, page.get_by_role("button", name="Show"))
    results = page.get_by_role("table")
    expect(results.get_by_role("link", name="Southsea Community Food Bank")).to_be_visible()
    expect(results).not_to_contain_text("Portsmouth City Council")
    audit(page)
    results.get_by_role("link", name="Southsea Community Food Bank").click()
    audit(page)

    open_from_menu(page, "Consultations")
    audit(page)
    page.get_by_role("link", name=consultation.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(consultation.title)
    audit(page)
    page.get_by_role("link", name="Sign in to respond").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert page.url.endswith(f"/account/sign-in/?next=/consultations/{consultation.pk}/respond/")
    audit(page)

    # Typing the respond address straight in leads to the same place.
    page.goto(f"/consultations/{consultation.pk}/respond/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    audit(page)

    page.get_by_role("contentinfo").get_by_role("link", name="Accessibility statement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility statement")
    expect(page.get_by_role("heading", name="How we tested this portal")).to_be_visible()
    audit(page)
