"""A person filling in a form is warned before their session ends for want of activity, and "Stay signed in"
keeps it going (static/js/session-timeout.js; compact_portal/session_timeout.py)."""

from playwright.sync_api import expect

from tests.browser.steps import sign_in


def test_a_person_typing_in_a_form_is_warned_before_the_idle_timeout_and_can_stay_signed_in(
    page, audit, settings, vcs_member
):
    # 30 seconds idle, so the warning comes 15 seconds before the end (half of it; 5 minutes with the defaults).
    settings.SESSION_IDLE_SECONDS = 30
    page.goto("/")
    audit(page)
    sign_in(page, audit, vcs_member)  # the last activity the server records: the sign-in
    audit(page)
    page.goto("/account/password/change/")
    warning = page.get_by_role("alert").filter(has_text="You will be signed out at")
    expect(warning).to_have_count(0)

    page.get_by_label("Old password").fill("typing something")  # arms the warning
    expect(warning).to_be_visible(timeout=20_000)
    expect(warning).to_contain_text("what you have typed is not lost")
    audit(page)
    warning.get_by_role("button", name="Stay signed in").click()

    expect(warning).to_be_hidden()
    page.wait_for_timeout(13_000)  # past the 30 seconds from the sign-in: the session goes on
    page.reload()
    expect(page.get_by_role("link", name=f"Your account: {vcs_member.full_name}")).to_be_visible()
    audit(page)
