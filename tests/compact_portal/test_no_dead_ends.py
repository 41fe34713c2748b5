"""No dead ends: a link is offered only to people it opens for.

Each demo person (one per role, ``commitments.demo.DEMO_PEOPLE``) signs in, starts at the home page and follows
every same-site ``<a href>`` breadth-first, as far as the links go. A link that answers 403, 404 or 500 is a
dead end; the test lists every one with the page it was on.

The crawl requests each page once per shape of address: a path with the same query parameter names (whatever
their values) counts as one page, so the pages of a list, its sort orders and its filter choices do not each
become a page of their own. It follows links but never submits a form, signs out or changes anything.
"""

import io
import logging
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.handlers.exception import response_for_exception
from django.core.management import call_command
from django.http import Http404
from django.test import Client, RequestFactory
from django.urls import Resolver404, resolve, reverse

from commitments import rulebook
from commitments.demo import DEMO_COMPACT, DEMO_PEOPLE
from commitments.models import Community, Compact, OrganisationType, RecordType, Side
from commitments.services import organisation_sign_up
from compact_portal.accounts.models import User
from compact_portal.accounts.permissions import may_open
from compact_portal.accounts.roles import Role
from disputes.models import Concern
from disputes.selectors import concerns_visible_to
from tests.worlds import shared_world

DEAD = {403, 404, 500}
MAX_PAGES = 400  # per person; the demo's whole site is well under this
# Records of one kind (one URL pattern) are offered by the same template on the same condition: three of each
# (the first found, from different pages) find a link offered on the wrong condition, in a fraction of the time.
EACH_KIND = 3
SKIPPED_PATHS = ("/account/logout/",)
# The admin's index is a page like any other; the admin's own lists and forms are Django's and are crawled by
# tests/compact_portal/test_admin_site.py, and following them here would crawl every record's change form.
ADMIN_PREFIX = "/admin/"


class _Links(HTMLParser):
    """The ``href`` of every ``<a>`` of a page, except those marked ``rel="nofollow"``."""

    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href") and "nofollow" not in (attributes.get("rel") or "").split():
            self.hrefs.append(attributes["href"])


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


def same_site(base: str, href: str) -> str | None:
    """The path and query of ``href`` followed from the page at ``base``, or None for another site, an e-mail or
    telephone link, or a link within the page."""
    if href.startswith(("#", "mailto:", "tel:", "javascript:")):
        return None
    parts = urlsplit(urljoin(f"http://testserver{base}", href))
    if parts.scheme not in ("http", "https") or parts.netloc != "testserver":
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def shape(url: str) -> tuple[str, tuple[str, ...]]:
    """What makes two addresses the same page for the crawl: the path and the names of the query parameters."""
    parts = urlsplit(url)
    return parts.path, tuple(sorted({name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}))


def kind(url: str) -> tuple[str, tuple[str, ...]]:
    """What makes two pages the same kind: their URL pattern (``/funding/<int:pk>/edit/``) and query parameter
    names. The crawl opens a few of each kind, not every record's."""
    path, names = shape(url)
    try:
        return resolve(path).route, names
    except Resolver404:
        return path, names


def skipped(url: str) -> bool:
    path = urlsplit(url).path
    return path in SKIPPED_PATHS or (path.startswith(ADMIN_PREFIX) and path != ADMIN_PREFIX)


def crawl(client: Client, start: str = "/") -> tuple[list[tuple[int, str, str]], int]:
    """Follow every same-site link from ``start``; returns the dead ends as (status, link, page it was on) and
    the number of pages requested."""
    seen = {shape(start)}
    kinds: Counter = Counter()
    queue = deque([(start, "(start)")])
    dead: list[tuple[int, str, str]] = []
    requested = 0

    def follow(target: str | None, found_on: str) -> None:
        if target is None or skipped(target) or shape(target) in seen or kinds[kind(target)] >= EACH_KIND:
            return
        seen.add(shape(target))
        kinds[kind(target)] += 1
        queue.append((target, found_on))

    while queue and requested < MAX_PAGES:
        url, found_on = queue.popleft()
        response = client.get(url)
        requested += 1
        if response.status_code in DEAD:
            dead.append((response.status_code, url, found_on))
            continue
        if response.status_code in (301, 302, 303, 307, 308):
            follow(same_site(url, response["Location"]), found_on)
        elif response.get("Content-Type", "").startswith("text/html") and not getattr(response, "streaming", False):
            for href in links_of(response.content.decode()):
                follow(same_site(url, href), url)
    return dead, requested


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo (``seed_demo``), built once for the module, with an application to sign its compact waiting for a
    decision (so the crawl reaches an application's page whatever the demo holds); returns that application."""
    with shared_world(django_db_blocker, tmp_path_factory):
        call_command("seed_demo", stdout=io.StringIO())
        application = organisation_sign_up(
            compact=Compact.objects.get(slug=DEMO_COMPACT),
            applicant_name="Nadia Rahman",
            applicant_email="nadia@eastney-tenants.example.org",
            communities=Community.objects.order_by("pk")[:1],
            name="Eastney Tenants' Forum",
            side=Side.VCS,
            organisation_type=OrganisationType.COMPANY_LIMITED_BY_GUARANTEE,
            charity_number="1012345",
            company_number="4123456",
            address="12 Highland Road\nSouthsea",
            postcode="PO4 9DA",
        )
        yield application


def demo_person(role: str) -> User:
    """The demo's person who holds ``role`` (the first of them, should the demo come to hold several)."""
    emails = [person.email for person in DEMO_PEOPLE if any(held == role for _, held in person.roles)]
    return User.objects.filter(email__in=emails, memberships__role=role).distinct().order_by("pk").first()


def test_the_crawl_finds_links_and_tells_pages_apart_by_shape():
    """A check on the crawl's own pieces: which links it follows and which addresses it counts as one page."""
    html = '<a href="/a/">a</a><a href="b/?page=2">b</a><a rel="nofollow" href="/c/">c</a><a href="#top">t</a>'
    assert [same_site("/x/", href) for href in links_of(html)] == ["/a/", "/x/b/?page=2", None]
    assert same_site("/", "https://example.org/") is None
    assert same_site("/", "mailto:someone@example.org") is None
    assert shape("/flags/?page=2&sort=due") == shape("/flags/?sort=opened&page=9")
    assert shape("/flags/") != shape("/flags/?page=2")
    assert kind("/funding/4/edit/") == kind("/funding/9/edit/") == ("funding/<int:pk>/edit/", ())
    assert kind("/no/such/page/") == ("/no/such/page/", ())
    assert skipped("/admin/commitments/flag/")
    assert not skipped("/admin/")
    assert skipped("/account/logout/")


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_every_link_a_demo_person_is_offered_opens_for_them(demo, client, role):
    person = demo_person(role)
    assert person is not None, f"the demo has nobody who is a {Role(role).label}"
    client.force_login(person)

    dead, requested = crawl(client, reverse("home"))

    assert requested > 5, "the crawl followed hardly any links: is the home page signed in?"
    assert requested < MAX_PAGES, f"the crawl stopped at {MAX_PAGES} pages before it reached every link"
    assert not dead, f"{Role(role).label} ({person.email}) was offered links that refuse them:\n" + "\n".join(
        f"  {status} {url}  (linked from {found_on})" for status, url, found_on in dead
    )


# --- One condition for the link and the page ----------------------------------------------------------------------

PAGES_BY_ROLE = (
    "disputes:case_list",
    "disputes:panel",
    "commitments:flag_list",
    "commitments:champion_desk",
    "commitments:applications",
    "funding:list",
    "consultations:manage",
    "admin:index",
)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("url_name", PAGES_BY_ROLE)
def test_may_open_says_what_the_page_itself_answers(demo, client, role, url_name):
    person = demo_person(role)
    client.force_login(person)

    refused = client.get(reverse(url_name)).status_code == 403

    assert may_open(person, url_name) is not refused


def test_may_open_refuses_a_visitor_a_page_with_roles_and_opens_a_public_page():
    assert not may_open(AnonymousUser(), "disputes:case_list")
    assert may_open(AnonymousUser(), "commitments:directory")


@pytest.mark.django_db
def test_a_flagged_case_links_only_for_the_people_it_opens_for(demo):
    cases = list(Concern.objects.values_list("pk", "reference"))
    records = [(RecordType.CONCERN, pk, reference) for pk, reference in cases]
    assert len(rulebook.record_links(records)) == len(cases)  # without a person: every case's address

    opening = {}
    for role in (Role.ADMINISTRATOR, Role.CHAMPION, Role.VCS_MEMBER):
        person = demo_person(role)
        opening[role] = set(concerns_visible_to(user=person).values_list("pk", flat=True))
        assert {pk for _, pk in rulebook.record_links(records, user=person)} == opening[role], role
    assert opening[Role.ADMINISTRATOR] < {pk for pk, _ in cases}, "the administrator is party to every case"


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "told_to_ask"), [(Role.ADMINISTRATOR, False), (Role.OFFICER, True)])
def test_the_refusal_tells_only_non_administrators_to_ask_their_administrator(demo, client, role, told_to_ask):
    client.force_login(demo_person(role))

    response = client.get(reverse("disputes:panel"))

    assert response.status_code == 403
    assert ("ask your organisation's administrator" in response.content.decode()) is told_to_ask


# --- An application to sign shows whom it is from -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "directory_page"), [(Role.CHAMPION, False), (Role.ADMINISTRATOR, True)])
def test_an_application_to_sign_shows_the_organisation_and_the_applicant(demo, client, role, directory_page):
    """A champion decides knowing who applies. The directory's page of an organisation that has signed nothing
    yet opens only for administrators and its own members, so only they are offered it."""
    client.force_login(demo_person(role))

    page = client.get(reverse("commitments:application_decide", args=[demo.pk])).content.decode()

    organisation = demo.organisation
    for shown in (
        "Eastney Tenants&#x27; Forum",
        "Voluntary and community sector",
        OrganisationType(organisation.organisation_type).label,
        "12 Highland Road<br>Southsea",
        "PO4 9DA",
        organisation.communities.get().name,
        "Nadia Rahman",
        "nadia@eastney-tenants.example.org",
        "VCS organisation member",
        "https://register-of-charities.charitycommission.gov.uk/charity-search/-/charity-details/1012345",
        "https://find-and-update.company-information.service.gov.uk/company/04123456",
    ):
        assert shown in page
    assert "oscr.org.uk" not in page  # no Scottish number stored: no link to its register
    assert (organisation.get_absolute_url() in page) is directory_page


# --- A refusal is one line in the log ------------------------------------------------------------------------------


def _answer(exception: Exception):
    """Django's answer to ``exception`` raised by a view, logged as Django logs it."""
    try:
        raise exception
    except Exception as raised:
        return response_for_exception(RequestFactory().get("/somewhere/"), raised)


def _written(caplog) -> list[str]:
    """What the log's lines say, tracebacks included, as the console's formatter writes them."""
    return [logging.Formatter().format(record) for record in caplog.records if record.name == "django.request"]


@pytest.mark.parametrize(
    ("exception", "status", "line"),
    [
        (PermissionDenied("You do not have a role that can use this page."), 403, "Forbidden (Permission denied)"),
        (Http404("No such case"), 404, "Not Found"),
    ],
)
def test_a_refused_request_is_logged_as_one_line_without_a_traceback(caplog, exception, status, line):
    caplog.set_level(logging.INFO)

    assert _answer(exception).status_code == status

    assert [text.startswith(line) for text in _written(caplog)] in ([True], [])  # Django logs no 404 when DEBUG
    assert all("Traceback" not in text and "\n" not in text for text in _written(caplog))


def test_a_server_error_keeps_its_traceback_in_the_log(caplog, settings):
    settings.DEBUG = False
    caplog.set_level(logging.INFO)

    assert _answer(ZeroDivisionError("division by zero")).status_code == 500

    [text] = _written(caplog)
    assert text.startswith("Internal Server Error: /somewhere/")
    assert "Traceback" in text
    assert "ZeroDivisionError" in text


def test_a_request_record_reaches_one_handler_of_the_portals():
    """Django's own console handler (DEBUG only) and the root's both wrote every refusal and error: settings.LOGGING
    leaves the root's alone."""
    handlers, logger = [], logging.getLogger("django.request")
    while logger is not None:
        handlers += [h for h in logger.handlers if not type(h).__module__.startswith("_pytest")]
        logger = logger.parent if logger.propagate else None
    assert len(handlers) == 1
