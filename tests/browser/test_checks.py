"""The journeys' checks catch what they are for: each is shown a page that breaks its rule."""

import pytest

from tests.browser.checks import Auditor, assert_focus_visible, assert_reflows, tab_to

LOW_CONTRAST = """<!doctype html><html lang="en"><head><title>Contrast</title></head><body><main>
<h1>Contrast</h1><p style="color:#999;background:#fff">Grey on white, 2.8 to 1.</p></main></body></html>"""

TOO_WIDE = """<!doctype html><html lang="en"><head><title>Wide</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main>
<h1>Wide</h1><div style="width:600px">A box 600 pixels wide.</div></main></body></html>"""

HIDDEN_FOCUS = """<!doctype html><html lang="en"><head><title>Focus</title></head><body><main>
<h1>Focus</h1><a href="#x" style="outline:none">No outline</a></main></body></html>"""


def test_axe_findings_fail_the_audit_naming_the_rule_and_the_element(page):
    page.set_content(LOW_CONTRAST)

    with pytest.raises(AssertionError, match=r"color-contrast \(serious\)[\s\S]*<p style=\"color:#999"):
        Auditor()(page)


def test_a_page_wider_than_320_pixels_fails_the_reflow_check(page):
    page.set_viewport_size({"width": 320, "height": 800})
    page.set_content(TOO_WIDE)

    with pytest.raises(AssertionError, match="scrolls sideways at 320 px"):
        assert_reflows(page, "the test page")


def test_focus_without_an_outline_fails_the_keyboard_check(page):
    page.set_content(HIDDEN_FOCUS)

    with pytest.raises(AssertionError, match="nothing shows it"):
        tab_to(page, page.get_by_role("link", name="No outline"))
    with pytest.raises(AssertionError, match=r"focus is on <a> No outline"):
        assert_focus_visible(page)


def test_the_auditor_lists_pages_visited_but_never_checked(context, live_server):
    page = context.new_page()  # not the watched ``page`` fixture: this test's own auditor watches it
    audit = Auditor()
    audit.watch(page)
    page.goto("/")
    audit(page)
    page.goto("/accessibility/")

    assert audit.unchecked_pages() == [f"{live_server.url}/accessibility/"]


INLINE_SCRIPT = """<!doctype html><html lang="en"><head><title>Inline</title></head><body><main>
<h1>Inline</h1><script>document.title = "ran";</script></main></body></html>"""


def test_what_the_content_security_policy_blocks_fails_the_audit(context, live_server):
    page = context.new_page()
    audit = Auditor()
    audit.watch(page)
    address = f"{live_server.url}/inline-script-test/"
    page.route(
        address,
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": "script-src 'self'"},
            body=INLINE_SCRIPT,
        ),
    )
    page.goto(address)

    assert page.title() == "Inline"  # the policy stopped the script
    with pytest.raises(AssertionError, match=r"Content Security Policy blocked:\n.*inline-script-test"):
        audit(page)
