"""Project-wide pages: home, static files, health check, and who may open which page."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import get_resolver, reverse

from compact_portal.accounts.roles import Role
from tests.commitments.factories import OrganisationFactory, SignatureFactory
from tests.conftest import ROLE_FIXTURES

# Each role's own page, and the roles that may open it.
ROLE_PAGES = {
    "funding:list": {"officer", "vcs_member", "champion", "administrator"},
    "disputes:case_list": {"officer", "vcs_member", "champion", "panel_member"},
    "commitments:champion_desk": {"champion", "administrator"},
    "disputes:panel": {"panel_member"},
    "admin:index": {"administrator"},
}
PUBLIC_PAGES = ["home", "commitments:directory", "consultations:register", "accessibility", "login", "password_reset"]


@pytest.mark.parametrize("url_name", PUBLIC_PAGES)
def test_public_pages_open_for_anonymous_visitors(client, db, url_name):
    assert client.get(reverse(url_name)).status_code == 200


@pytest.mark.parametrize("url_name", ROLE_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in_from_role_pages(client, db, url_name):
    url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=" in response["Location"]


@pytest.mark.parametrize("role_fixture", [*ROLE_FIXTURES, "person_without_roles"])
@pytest.mark.parametrize("url_name", ROLE_PAGES)
def test_each_role_opens_its_own_pages_and_is_refused_on_others(client_for, role_fixture, url_name):
    client = client_for(role_fixture)
    expected = 200 if role_fixture in ROLE_PAGES[url_name] else 403
    assert client.get(reverse(url_name)).status_code == expected


def nav_hrefs(response) -> set[str]:
    nav = re.search(r'<nav class="navbar[^>]*aria-label="Main">(.*?)</nav>', response.content.decode(), re.S)
    return set(re.findall(r'href="([^"]+)"', nav.group(1)))


@pytest.mark.parametrize("role_fixture", ROLE_FIXTURES)
def test_navigation_shows_each_role_only_what_it_can_use(client_for, role_fixture):
    links = nav_hrefs(client_for(role_fixture).get(reverse("home")))
    for url_name, roles in ROLE_PAGES.items():
        assert (reverse(url_name) in links) == (role_fixture in roles), url_name
    assert reverse("commitments:directory") in links  # public links stay for everyone


def test_anonymous_navigation_offers_public_pages_and_sign_in(client, db):
    links = nav_hrefs(client.get(reverse("home")))
    assert reverse("login") in links
    assert not links & {reverse(name) for name in ROLE_PAGES}


def test_a_person_with_roles_in_two_organisations_sees_both(client, officer, charity):
    from compact_portal.accounts.services import membership_grant

    membership_grant(user=officer, organisation=charity, role=Role.VCS_MEMBER)
    client.force_login(officer)
    links = nav_hrefs(client.get(reverse("home")))
    assert {reverse("funding:list"), reverse("disputes:case_list")} <= links


def test_home_tells_each_visitor_what_they_can_do(client, officer):
    anonymous = client.get(reverse("home")).content.decode()
    assert "Sign in to take part" in anonymous
    client.force_login(officer)
    signed_in = client.get(reverse("home")).content.decode()
    assert "As a public-body officer" in signed_in
    assert "As a Compact champion" not in signed_in


def test_layout_is_accessible_and_uses_no_cdn(client, db):
    html = client.get(reverse("home")).content.decode()
    assert '<html lang="en-GB">' in html
    assert 'href="#main-content"' in html
    assert 'id="main-content"' in html
    assert "<header" in html
    assert "<main" in html
    assert "<footer" in html
    assert "/static/bootstrap/css/bootstrap.min.css" in html
    assert not re.search(r'(src|href)="(https?:)?//', html), "pages must load nothing from another site"


def test_bootstrap_stylesheet_is_served_locally(client, db):
    response = client.get("/static/bootstrap/css/bootstrap.min.css")
    assert response.status_code == 200
    assert b"Bootstrap" in b"".join(response.streaming_content)[:200]


def test_health_check_reports_the_database(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_home_page_query_count_is_bounded_for_a_person_holding_every_role(
    client, django_assert_max_num_queries, officer, charity
):
    """Session, user and roles, then each role's "Waiting for you" sources, each a fixed few queries however much
    is waiting (each app's tests/<app>/test_waiting.py shows its sources' counts do not grow with the data)."""
    from compact_portal.accounts.services import membership_grant

    for role in (Role.VCS_MEMBER, Role.CHAMPION, Role.PANEL_MEMBER, Role.ADMINISTRATOR):
        membership_grant(user=officer, organisation=charity, role=role)
    client.force_login(officer)
    # 32, the steps of the officer's proposals going ahead, the action plan's actions due in each of the three lead
    # roles, and the implementation group's meetings
    with django_assert_max_num_queries(37):
        assert client.get(reverse("home")).status_code == 200


def test_every_page_carries_the_security_headers(client, db):
    response = client.get(reverse("home"))

    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"  # no inline scripts, no other origin
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_no_page_template_has_an_inline_script_style_or_event_handler():
    # The Content Security Policy refuses them; this finds one before a browser does. The PDF report's
    # templates are drawn by WeasyPrint, never served as pages, so their <style> is allowed.
    root = Path(__file__).resolve().parents[2]
    pdf_templates = root / "commitments" / "templates" / "commitments" / "report"
    templates = [
        path
        for folder in ("templates", "commitments", "funding", "consultations", "disputes", "compact_portal")
        for path in (root / folder).rglob("*.html")
        if pdf_templates not in path.parents
    ]
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style[\s>]|\sstyle=\"|\son[a-z]+=\"", re.IGNORECASE)
    offenders = [
        f"{path.relative_to(root)}: {found.group(0)}"
        for path in templates
        for found in inline.finditer(path.read_text())
    ]

    assert len(templates) > 50
    assert offenders == []


def test_a_form_posted_without_its_csrf_token_is_refused(db, officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)

    response = client.post(reverse("funding:relationship_create"), {"title": "Forged"})

    assert response.status_code == 403


def test_no_view_is_exempt_from_csrf_checks_but_the_apis_which_take_no_session():
    def views(resolver, prefix=""):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                yield from views(pattern, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern.callback

    exempt = [route for route, view in views(get_resolver()) if getattr(view, "csrf_exempt", False)]

    # Django REST framework's views are exempt from Django's check and make their own for session sign-ins only;
    # the API takes no session (a token in the Authorization header, which a browser never sends by itself).
    assert [route for route in exempt if not route.startswith("api/v1/")] == []
    assert django_settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "compact_portal.api.authentication.ApiTokenAuthentication"
    ]


def test_no_template_turns_escaping_off_except_plain_text_emails():
    root = Path(__file__).resolve().parents[2]
    plain_text_emails = {
        "templates/registration/password_reset_email.html",  # sent as text/plain
        "commitments/templates/commitments/email/flag_digest.txt",
        "disputes/templates/disputes/email/step.txt",
    }
    unescaped = re.compile(r"\|\s*safe\b|autoescape\s+off|\|\s*safeseq\b")
    offenders = [
        str(path.relative_to(root))
        for folder in ("templates", "commitments", "funding", "consultations", "disputes", "compact_portal")
        for path in (root / folder).rglob("*.*")
        if path.suffix in (".html", ".txt") and unescaped.search(path.read_text())
    ]

    assert sorted(offenders) == sorted(plain_text_emails)


def test_text_people_type_is_shown_escaped(client, portsmouth):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    organisation = OrganisationFactory(name=f"Group {hostile}", slug="hostile-group", address=hostile)
    SignatureFactory(compact=portsmouth, organisation=organisation)

    for url in (reverse("commitments:directory") + "?q=Group", organisation.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html, url
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
