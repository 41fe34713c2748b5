"""The journeys' checks catch what they are for: each is shown a page that breaks its rule."""

import pytest
from django.urls import reverse

from tests.browser.checks import (
    Auditor,
    assert_control_edges_contrast,
    assert_focus_visible,
    assert_reflows,
    contrast_ratio,
    parse_colour,
    tab_to,
)

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


FAINT_CONTROLS = """<!doctype html><html lang="en"><head><title>Faint</title></head><body><main><h1>Faint</h1>
<label for="t">Name</label><input id="t" name="name" style="border:1px solid #dee2e6">
<input type="radio" id="r" name="side" style="appearance:none;width:1em;height:1em;border:1px solid #dee2e6">
<label for="r">Public body</label>
<label for="s">Side</label><select id="s" name="pick" style="border:1px solid #767676"><option>One</option></select>
<input type="hidden" name="token" value="x"><input type="checkbox" disabled id="d" name="off"
 style="appearance:none;width:1em;height:1em;border:1px solid #eee"><label for="d">Off</label>
</main></body></html>"""


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ("rgb(255, 255, 255)", "rgb(0, 0, 0)", 21.0),
        ("rgb(222, 226, 230)", "rgb(255, 255, 255)", 1.3),  # Bootstrap's #dee2e6 on white
        ("rgb(118, 118, 118)", "rgb(255, 255, 255)", 4.54),  # #767676
        ("rgb(108, 117, 125)", "rgb(255, 255, 255)", 4.69),  # #6c757d, the portal's
    ],
)
def test_contrast_is_worked_out_as_wcag_defines_it(first, second, ratio):
    assert contrast_ratio(parse_colour(first), parse_colour(second)) == pytest.approx(ratio, abs=0.01)
    assert parse_colour("rgba(0, 0, 0, 0.5)") == (0, 0, 0, 0.5)


def test_a_form_control_with_a_faint_edge_fails_the_non_text_contrast_check(page):
    """A text field and a radio button drawn in Bootstrap's #dee2e6 fail; the #767676 drop-down passes, and a
    hidden or disabled control is not measured."""
    page.set_content(FAINT_CONTROLS)

    with pytest.raises(AssertionError) as faint:
        assert_control_edges_contrast(page, "the test page")

    message = str(faint.value)
    assert "2 form control(s) on the test page" in message
    assert "<input type=text name=name>: border rgb(222, 226, 230) on rgb(255, 255, 255), 1.30:1" in message
    assert "<input type=radio name=side>: border rgb(222, 226, 230)" in message
    assert "pick" not in message
    assert "off" not in message


def test_the_portals_styles_make_the_sign_up_forms_tick_boxes_visible_where_bootstraps_do_not(
    context, live_server, portsmouth
):
    """The application form, with its fields, drop-downs and tick boxes (the communities served), passes; without
    static/css/portal.css (Bootstrap's own #dee2e6 edges) it does not."""
    page = context.new_page()
    address = reverse("commitments:sign_up", args=[portsmouth.slug])
    page.goto(address)
    assert page.get_by_role("checkbox").count() >= 9

    assert_control_edges_contrast(page, "the sign-up page")

    page.route("**/css/portal*.css", lambda route: route.fulfill(status=200, content_type="text/css", body=""))
    page.reload()
    with pytest.raises(AssertionError, match=r"type=checkbox[^\n]*rgb\(222, 226, 230\)"):
        assert_control_edges_contrast(page, "the sign-up page")


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
