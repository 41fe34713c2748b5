"""A person filling in a form is warned before their session ends for want of activity, and "Stay signed in"
keeps it going (static/js/session-timeout.js; compact_portal/session_timeout.py).

Time is moved on rather than waited for: the browser's clock (Playwright's ``page.clock``) and the server's
(``session_timeout._now``) jump ahead together, so the test takes seconds, not the half-minute it describes."""

import re
import time

from playwright.sync_api import expect

from compact_portal import session_timeout
from tests.browser.steps import sign_in


def test_a_person_typing_in_a_form_is_warned_before_the_idle_timeout_and_can_stay_signed_in(
    page, audit, settings, vcs_member, monkeypatch
):
    # 30 seconds idle, so the warning comes 15 seconds before the end (half of it; 5 minutes with the defaults).
    settings.SESSION_IDLE_SECONDS = 30
    later = [0.0]  # how far the server's clock has been moved on
    monkeypatch.setattr(session_timeout, "_now", lambda: time.time() + later[0])

    def move_on(seconds: int) -> None:
        later[0] += seconds
        page.clock.fast_forward(seconds * 1000)

    page.clock.install()
    page.goto("/")
    audit(page)
    sign_in(page, audit, vcs_member)  # the last activity the server records: the sign-in
    audit(page)
    page.goto("/account/password/change/")
    warning = page.get_by_role("alert").filter(has_text="You will be signed out at")
    expect(warning).to_have_count(0)

    page.get_by_label("Old password").fill("typing something")  # arms the warning
    move_on(10)  # not yet: 20 seconds are left, more than the 15 it warns before
    expect(warning).to_have_count(0)
    move_on(7)  # 13 seconds left
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("what you have typed is not lost")
    audit(page)
    warning.get_by_role("button", name="Stay signed in").click()

    expect(warning).to_be_hidden()
    move_on(20)  # 37 seconds after signing in, 20 after staying: the session goes on
    page.reload()
    expect(page.get_by_role("link", name=f"Your account: {vcs_member.full_name}")).to_be_visible()
    audit(page)


def test_without_staying_signed_in_the_session_ends_and_the_page_says_so(
    page, audit, settings, vcs_member, monkeypatch
):
    settings.SESSION_IDLE_SECONDS = 30
    later = [0.0]
    monkeypatch.setattr(session_timeout, "_now", lambda: time.time() + later[0])
    page.clock.install()
    page.goto("/")
    audit(page)
    sign_in(page, audit, vcs_member)
    page.goto("/account/password/change/")
    page.get_by_label("Old password").fill("typing something")

    later[0] += 31
    page.clock.fast_forward(31_000)

    expect(page.get_by_role("alert")).to_contain_text("You have been signed out because your session ended")
    audit(page)
    page.reload()  # the server agrees: signing in again is asked for, and the page is where it leads back to
    expect(page).to_have_url(re.compile(r"/account/sign-in/\?next=/account/password/change/$"))
    expect(page.get_by_role("link", name=f"Your account: {vcs_member.full_name}")).to_have_count(0)
    audit(page)
