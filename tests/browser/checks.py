"""What the browser journeys check on every page, and how they use the keyboard.

``Auditor`` runs axe-core (shipped inside the axe-playwright-python wheel, so no network and no Node) for the
WCAG 2.0, 2.1 and 2.2 A and AA rules at desktop width and at 320 CSS pixels, checks that at 320 pixels the page
does not scroll sideways (WCAG 1.4.10), that the edge of every form control can be seen (WCAG 1.4.11, which axe
does not test), and that the Content Security Policy blocked nothing on the way. The keyboard helpers move with
Tab and check, at every stop, that the focus can be seen (WCAG 2.4.7).
"""

import re
from urllib.parse import urldefrag

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, TimeoutError

WCAG_A_AND_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_A_AND_AA}, "resultTypes": ["violations"]}
WIDTHS = (1280, 320)
NARROW = 320

_axe = Axe()


def settle(page: Page) -> None:
    """Wait until the page has handled its resize: the browser fires ``resize`` before it next draws, and the
    portal's script (static/js/portal.js) then marks the tables that scroll sideways as keyboard-scrollable regions.
    Two frames later the page is as a person at that width would find it."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def run_axe(page: Page) -> list[dict]:
    """axe-core's violations on the page as it is now. The script (half a megabyte) is put into the page only when
    the page does not have it yet: ``Axe.run`` would put it in again for each width of the same page."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe.axe_script)
    return page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)["violations"]


def describe_violations(violations: list[dict], where: str) -> str:
    lines = [f"axe found {len(violations)} WCAG violation(s) on {where}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"][:5]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}\n      {summary[:300]}")
    return "\n".join(lines)


class Auditor:
    """Checks the page a journey is on; remembers which pages were visited and which were checked."""

    def __init__(self):
        self.visited: list[str] = []
        self.checked: set[str] = set()
        self.csp_violations: list[str] = []

    def watch(self, page: Page) -> None:
        def navigated(frame):
            if frame == page.main_frame:
                self.visited.append(urldefrag(frame.url).url)

        def console(message):
            # Chromium reports every script, style or image the Content Security Policy blocked on the console.
            if "Content Security Policy" in message.text:
                self.csp_violations.append(f"{urldefrag(page.url).url}: {message.text}")

        page.on("framenavigated", navigated)
        page.on("console", console)

    def __call__(self, page: Page) -> None:
        """Fail, naming each rule and element, if axe finds any violation at either width, or if the page
        scrolls sideways at 320 pixels; leaves the page at desktop width."""
        page.wait_for_load_state("load")
        where = urldefrag(page.url).url
        assert not self.csp_violations, "the Content Security Policy blocked:\n" + "\n".join(self.csp_violations)
        size = page.viewport_size
        try:
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": size["height"]})
                settle(page)
                violations = run_axe(page)
                assert not violations, describe_violations(violations, f"{where} at {width} px")
                assert_control_edges_contrast(page, f"{where} at {width} px")
                if width == NARROW:
                    assert_reflows(page, where)
        finally:
            page.set_viewport_size(size)
        self.checked.add(where)

    def unchecked_pages(self) -> list[str]:
        return sorted({url for url in self.visited if url not in self.checked and url != "about:blank"})


def assert_reflows(page: Page, where: str) -> None:
    """At 320 pixels nothing pushes the page sideways; a wide table may scroll inside its own box."""
    overflow = page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const culprits = [];
            for (const el of document.querySelectorAll("body *")) {
                const box = el.getBoundingClientRect();
                if (box.right > width + 1 && !el.closest(".table-responsive") && el.parentElement
                        && el.parentElement.getBoundingClientRect().right <= width + 1) {
                    culprits.push(el.outerHTML.slice(0, 120));
                }
            }
            return {scrollWidth: document.documentElement.scrollWidth, width, culprits};
        }"""
    )
    assert overflow["scrollWidth"] <= overflow["width"], (
        f"{where} scrolls sideways at {NARROW} px ({overflow['scrollWidth']} px of content): {overflow['culprits']}"
    )


# --- Non-text contrast of form controls (WCAG 1.4.11) ---------------------------------------------------------

NON_TEXT_CONTRAST = 3.0

# Every visible form control a person fills in, ticks or chooses from, with the colour of its edge (its top
# border, or its fill where it has no border) and the colour behind it: the first ancestor with a background.
CONTROL_EDGES = r"""() => {
    const transparent = (colour) => colour === "transparent" || /^rgba\(.*,\s*0\)$/.test(colour);
    const behind = (el) => {
        for (let node = el.parentElement; node; node = node.parentElement) {
            const colour = getComputedStyle(node).backgroundColor;
            if (!transparent(colour)) { return colour; }
        }
        return "rgb(255, 255, 255)";
    };
    const selector = "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset])"
        + ":not([type=image]), select, textarea";
    const found = [];
    for (const el of document.querySelectorAll(selector)) {
        const style = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        if (el.disabled || style.display === "none" || style.visibility !== "visible" || style.opacity === "0"
                || box.width < 4 || box.height < 4 || style.clip === "rect(0px, 0px, 0px, 0px)") {
            continue;  // not seen, or inactive (which 1.4.11 does not ask to contrast)
        }
        const bordered = style.borderTopStyle !== "none" && parseFloat(style.borderTopWidth) > 0;
        found.push({
            control: `<${el.tagName.toLowerCase()}${el.type ? " type=" + el.type : ""}`
                + `${el.name ? " name=" + el.name : ""}${el.checked ? " checked" : ""}>`,
            edge: bordered ? style.borderTopColor : style.backgroundColor,
            part: bordered ? "border" : "fill",
            behind: behind(el),
        });
    }
    return found;
}"""

_RGB = re.compile(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)")


def parse_colour(css: str) -> tuple[float, float, float, float]:
    """A computed CSS colour, ``rgb(r, g, b)`` or ``rgba(r, g, b, a)``, as (r, g, b, alpha)."""
    found = _RGB.fullmatch(css.strip())
    if found is None:
        raise ValueError(f"not an rgb() colour: {css!r}")
    red, green, blue, alpha = found.groups()
    if alpha is None:
        opacity = 1.0
    elif alpha.endswith("%"):
        opacity = float(alpha[:-1]) / 100
    else:
        opacity = float(alpha)
    return float(red), float(green), float(blue), opacity


def over(top: tuple[float, float, float, float], bottom: tuple[float, float, float, float]) -> tuple:
    """``top`` painted over the opaque ``bottom``: what the eye sees."""
    alpha = top[3]
    return (*(t * alpha + b * (1 - alpha) for t, b in zip(top[:3], bottom[:3], strict=True)), 1.0)


def relative_luminance(colour: tuple) -> float:
    """WCAG 2.2's relative luminance of an sRGB colour (0 for black, 1 for white)."""

    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in colour[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: tuple, second: tuple) -> float:
    """WCAG's contrast ratio, (L1 + 0.05) / (L2 + 0.05) with L1 the lighter: 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def assert_control_edges_contrast(page: Page, where: str) -> None:
    """The edge of every visible text field, drop-down, tick box and radio button contrasts at least 3:1 with what
    is behind it (WCAG 1.4.11), so a person can see where to type or what to tick; axe does not test this."""
    faint = []
    for control in page.evaluate(CONTROL_EDGES):
        behind = parse_colour(control["behind"])
        behind = over(behind, (255, 255, 255, 1.0)) if behind[3] < 1 else behind
        edge = over(parse_colour(control["edge"]), behind)
        ratio = contrast_ratio(edge, behind)
        if ratio < NON_TEXT_CONTRAST:
            faint.append(
                f"- {control['control']}: {control['part']} {control['edge']} on {control['behind']}, {ratio:.2f}:1"
            )
    assert not faint, (
        f"{len(faint)} form control(s) on {where} have an edge below {NON_TEXT_CONTRAST}:1 against their background "
        "(WCAG 1.4.11):\n" + "\n".join(faint)
    )


# --- The keyboard ----------------------------------------------------------------------------------------------


def field(page: Page, label: str) -> Locator:
    """The form field labelled exactly ``label`` (a required field's label ends with an asterisk)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


FOCUS_SHOWN = r"""() => {
    const el = document.activeElement;
    if (!el || el === document.body || !el.matches(":focus, :focus-within")) { return false; }
    const style = getComputedStyle(el);
    return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2
        && !/rgba\([^)]*,\s*0\)|transparent/.test(style.outlineColor);
}"""


def focused(page: Page) -> str:
    """What has the focus, and how it is drawn, for a failure message."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body) { return "nothing"; }
            const style = getComputedStyle(el);
            const label = el.labels && el.labels.length ? el.labels[0].innerText : (el.innerText || el.value || "");
            return `<${el.tagName.toLowerCase()}${el.id ? " id=" + el.id : ""}> ${label.trim().slice(0, 60)}`
                + ` (outline: ${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor})`;
        }"""
    )


def assert_focus_visible(page: Page) -> None:
    """The element with the focus shows it within a moment of getting it: the portal draws focus as a solid
    outline of at least 2 pixels (static/css/portal.css)."""
    try:
        page.wait_for_function(FOCUS_SHOWN, timeout=1000)
    except TimeoutError:
        raise AssertionError(f"the focus is on {focused(page)} but nothing shows it") from None


def has_focus(target: Locator) -> bool:
    return target.evaluate("el => el === document.activeElement")


def tab_to(page: Page, target: Locator, *, limit: int = 120) -> None:
    """Press Tab until ``target`` has the focus, checking at every stop that the focus can be seen."""
    target.wait_for()
    for _ in range(limit):
        page.keyboard.press("Tab")
        assert_focus_visible(page)
        if has_focus(target):
            return
    raise AssertionError(f"{target} was not reached with {limit} presses of Tab")


def type_into(page: Page, target: Locator, text: str) -> None:
    """Tab to a text field and type into it."""
    tab_to(page, target)
    page.keyboard.type(text)


# The order a date field takes its parts in follows the browser's own language (Debian's Chromium ships only
# en-US: month, day, year); the conftest finds it out once per browser.
DATE_FIELD_ORDER = {"value": "%d%m%Y"}


def date_field_order(page: Page) -> str:
    """Type 1 February 2003 day first into a scratch date field, and see whether the browser read it so."""
    page.set_content('<label for="d">Date</label><input type="date" id="d">')
    page.focus("#d")
    page.keyboard.type("01022003")
    return "%d%m%Y" if page.input_value("#d") == "2003-02-01" else "%m%d%Y"


def type_date(page: Page, target: Locator, day) -> None:
    """Tab to a date field and type the date, in the order the browser's date fields take."""
    tab_to(page, target)
    page.keyboard.type(day.strftime(DATE_FIELD_ORDER["value"]))
    assert target.input_value() == day.isoformat(), f"{target} holds {target.input_value()!r}, not {day}"


def choose(page: Page, target: Locator, option: str, *, limit: int = 60) -> None:
    """Tab to a drop-down list and move through it with the arrow keys until ``option`` is chosen."""
    tab_to(page, target)
    page.keyboard.press("Home")
    for _ in range(limit):
        if target.evaluate("el => el.options[el.selectedIndex].text.trim()") == option:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{option!r} was not reached in {target} with the arrow keys")


def tick(page: Page, target: Locator) -> None:
    """Tab to a tick box (or a radio button) and press Space."""
    tab_to(page, target)
    page.keyboard.press("Space")
    assert target.is_checked(), f"{target} is not ticked after pressing Space"


def press_button(page: Page, target: Locator) -> None:
    """Tab to a button or link and press Enter."""
    tab_to(page, target)
    page.keyboard.press("Enter")
