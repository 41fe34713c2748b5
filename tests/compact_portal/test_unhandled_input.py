"""Input no page expects gets an answer, never a server error (500).

The crawl requests every URL pattern of the access matrix (``test_access_matrix.MATRIX``, the admin's included)
with that matrix's real records, as a visitor and as each of its people:

- a NUL byte in the path (``/concerns/GR-1/%00``) or in the query (``?compact=%00``): 400, from
  ``compact_portal.middleware.RefuseNulBytesMiddleware``, before any view;
- every query parameter the portal reads set to ``abc`` at once, as each person; and, as the first person the
  page opens to, every parameter at once set to a negative number and to a number too big for the database,
  and each parameter that page reads alone set to ``abc`` and to the big number: the page or a 4xx answer,
  never a 500. The parameters come from
  the code (each filter set's filters, each form bound to ``request.GET``, each ``request.GET`` read in the
  apps) and from what each page is seen to read, so a new filter or parameter is crawled without editing this
  file.

It also shows that the loser of two identical posts at the same moment (the database's IntegrityError, the
first post having filled a unique constraint after both were checked) gets the form again with a message, and
that every view catching a service's errors catches that one too.
"""

import ast
import copy
import html
import importlib
import re
import sys
from pathlib import Path
from urllib.parse import quote

import django.http.request
import django.utils.datastructures
import django_filters
import pytest
from django.contrib.admin.views.main import ALL_VAR, ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.db import IntegrityError
from django.db.models.base import ModelState
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from commitments.models import Signature
from compact_portal.forms import SAVED_AT_THE_SAME_TIME, SERVICE_ERRORS
from compact_portal.middleware import NUL_REFUSED
from funding.models import FundingRelationship, Invoice
from tests.commitments.factories import CompactFactory
from tests.compact_portal import test_access_matrix as matrix
from tests.compact_portal.test_access_matrix import MATRIX, PAGES, ROLES, address, all_patterns, form_data, rows_of
from tests.funding.factories import AwardedFundingFactory

# The access matrix's world of real records and its signed-in clients, one per column of ROLES.
world_and_clients, world, clients = matrix.world_and_clients, matrix.world, matrix.clients

ROOT = Path(__file__).resolve().parents[2]
APPS = ("commitments", "compact_portal", "consultations", "disputes", "funding")
JUNK = ("abc", "-1", "99999999999999999999")


# --- The query parameters the portal reads -------------------------------------------------------------------------


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _source_files():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def query_parameters() -> set[str]:
    """Every query parameter named in the code: filter sets' filters, the fields of forms bound to
    ``request.GET``, ``request.GET.get("name")`` and ``request.GET["name"]``, and the admin's own."""
    names = {ALL_VAR, ORDER_VAR, PAGE_VAR, SEARCH_VAR}
    for path in _source_files():
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        text = path.read_text()
        names |= set(re.findall(r"\bGET(?:\.get|\.getlist)?[\[(]\s*[\"'](\w+)[\"']", text))
        for form_name in re.findall(r"\b(\w+)\(\s*(?:self\.)?request\.GET\b", text):
            form = getattr(importlib.import_module(module), form_name, None)
            names |= set(getattr(form, "base_fields", None) or getattr(form, "base_filters", None) or ())
    for filterset in _subclasses(django_filters.FilterSet):
        if filterset.__module__.split(".")[0] in APPS:
            names |= set(filterset.base_filters)
    return names


PARAMETERS = sorted(query_parameters())


def test_the_crawl_knows_the_parameters_of_the_lists_and_exports():
    """A check on the discovery above: parameters of a filter set, a GET form and a direct read are all found."""
    assert {"funder", "recipient", "status", "sort", "q", "compact", "relationship", "start", "verdict", "page"} <= set(
        PARAMETERS
    )


# QueryDict's own code: parsing a query string asks "is this key here yet?" of every key, and ``get`` looks itself up.
_QUERYDICT_ITSELF = {django.http.request.__file__, django.utils.datastructures.__file__}


class _Reads:
    """The query parameters a request's view reads, recorded by QueryDict's lookups while it runs (not those
    QueryDict makes of itself, such as parsing the query string, which looks up every key it holds)."""

    def __init__(self, monkeypatch):
        self.names: set[str] = set()
        for method in ("__getitem__", "get", "getlist", "__contains__"):
            real = getattr(QueryDict, method)

            def recording(query, key, *args, _real=real, **kwargs):
                if isinstance(key, str) and sys._getframe(1).f_code.co_filename not in _QUERYDICT_ITSELF:
                    self.names.add(key)
                return _real(query, key, *args, **kwargs)

            monkeypatch.setattr(QueryDict, method, recording)


def test_the_parameters_a_page_reads_are_those_it_looks_up_not_every_one_it_is_sent(monkeypatch):
    """A check on ``_Reads``: a query string parsed is not a read (QueryDict asks itself about every key it holds
    while parsing); a lookup by the page's code, however it is made, is."""
    reads = _Reads(monkeypatch)
    query = QueryDict("status=abc&sort=abc&page=abc&q=abc")
    assert reads.names == set()

    query.get("status"), query.getlist("sort"), "page" in query  # noqa: B018 (the lookups are the point)
    assert reads.names == {"status", "sort", "page"}


# --- The crawl -------------------------------------------------------------------------------------------------------


def _with_query(url: str, query: str) -> str:
    return f"{url}&{query}" if "?" in url else f"{url}?{query}"


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_a_nul_byte_in_the_path_or_query_is_a_bad_request(name, world, clients):
    failures = []
    for label, (args, *_cells) in rows_of(name).items():
        url = address(name, world, args)
        path = url.partition("?")[0]
        nul_everywhere = "&".join(f"{parameter}=%00" for parameter in PARAMETERS)
        for bad in (path + "%00", path.rstrip("/") + "/%00/", _with_query(url, nul_everywhere), f"{path}?%00=1"):
            for role in ROLES:
                response = clients[role].get(bad)
                said = response.json()["detail"] if name.startswith("api:") else response.content.decode()
                if response.status_code != 400 or said != NUL_REFUSED:  # the API says it in JSON
                    failures.append(f"{name} {label}: {bad} as {role}: {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_query_parameters_that_are_not_what_the_page_expects_are_never_a_server_error(
    name, world, clients, monkeypatch
):
    """As each person, every parameter at once set to ``abc``; then, as the first person the page opens to, every
    parameter at once set to the other ``JUNK``, and each parameter the page read (its forms bound) alone set to
    ``abc`` and to a number too big for the database."""
    reads = _Reads(monkeypatch)
    failures = []

    def get(url, role, what):
        status = clients[role].get(url).status_code
        if status >= 500:
            failures.append(f"{name}: {what} as {role}: {status} ({url})")

    for _label, (args, *cells) in rows_of(name).items():
        url = address(name, world, args)
        opens = [role for role, cell in zip(ROLES, cells, strict=True) if cell == 200 and name in PAGES]
        for role in ROLES:
            reads.names.clear()
            get(_with_query(url, "&".join(f"{parameter}=abc" for parameter in PARAMETERS)), role, "every parameter=abc")
            if opens and role == opens[0]:
                read = sorted(reads.names - {"csrfmiddlewaretoken"})  # what the page reads, its forms bound
        if not opens:
            continue  # the admin reads its own parameters (abc above); a page refused reads none
        for value in JUNK[1:]:
            get(_with_query(url, "&".join(f"{parameter}={quote(value)}" for parameter in PARAMETERS)), opens[0], value)
        for parameter in read:
            for value in (JUNK[0], JUNK[-1]):
                get(_with_query(url, f"{quote(parameter)}={quote(value)}"), opens[0], f"{parameter}={value}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "query",
    ["compact=abc", "relationship=abc", "compact=99999999999999999999", "relationship=-1", "received_date=abc"],
)
def test_the_dates_preview_ignores_an_id_that_is_not_one(client_for, query):
    response = client_for("officer").get(f"{reverse('funding:dates_preview')}?{query}")

    assert response.status_code == 200
    assert response.json() == {}


# --- Two identical posts at the same moment --------------------------------------------------------------------------


def _rival_saves_first(monkeypatch, model):
    """Two identical posts at once: both pass the service's checks, then the other one's record is inserted just
    before this one's, so this one's INSERT breaks the unique constraint in the database (a real IntegrityError)."""
    real = model.save

    def save(instance, *args, **kwargs):
        if instance.pk is None and not rivals:
            rival = copy.copy(instance)
            rival._state = ModelState()
            rivals.extend(model.objects.bulk_create([rival]))
        return real(instance, *args, **kwargs)

    rivals = []
    monkeypatch.setattr(model, "save", save)
    return rivals


def _page(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def funding(council, charity):
    compact = CompactFactory(name="Portsmouth Compact", slug="portsmouth")
    return AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="GR-2027-001")


def test_the_loser_of_two_identical_invoice_posts_gets_the_form_again_with_a_message(client_for, funding, monkeypatch):
    before = Invoice.objects.count()
    rivals = _rival_saves_first(monkeypatch, Invoice)

    response = client_for("officer").post(
        reverse("funding:invoice_create", args=[funding.pk]),
        {"invoice_number": "INV-9", "amount": "100.00", "received_date": timezone.localdate().isoformat()},
    )

    assert rivals  # the clash happened
    assert response.status_code == 200
    assert SAVED_AT_THE_SAME_TIME in _page(response)
    assert response.context["form"]["invoice_number"].value() == "INV-9"  # what was typed is kept
    assert Invoice.objects.count() == before  # the service's transaction, the rival's insert in it too, undone


def test_the_loser_of_two_identical_log_funding_posts_gets_the_form_again_with_nothing_saved(
    client_for, funding, monkeypatch
):
    client = client_for("officer")
    page = client.get(reverse("funding:relationship_edit", args=[funding.pk]))
    data = form_data(page.context["form"], reference="GR-2027-002", title="Youth club")
    before = FundingRelationship.objects.count()
    rivals = _rival_saves_first(monkeypatch, FundingRelationship)

    response = client.post(reverse("funding:relationship_create"), data)

    assert rivals
    assert response.status_code == 200
    assert SAVED_AT_THE_SAME_TIME in _page(response)
    assert FundingRelationship.objects.count() == before


def test_a_clash_on_a_page_without_a_form_is_a_message(client_for, charity, monkeypatch):
    """Applying to sign a compact from its page (a button, no form): the second click's clash."""
    compact = CompactFactory(slug="leicestershire")
    rivals = _rival_saves_first(monkeypatch, Signature)

    response = client_for("vcs_member").post(
        reverse("commitments:sign_up_existing", args=[compact.slug, charity.slug]), follow=True
    )

    assert rivals
    assert response.status_code == 200
    assert SAVED_AT_THE_SAME_TIME in _page(response)
    assert not Signature.objects.filter(compact=compact, organisation=charity).exists()


def _views_modules():
    for path in _source_files():
        if path.parent.name == "views" or path.name == "views.py":
            yield path


@pytest.mark.parametrize("path", list(_views_modules()), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_view_that_shows_a_services_errors_also_catches_a_clash(path):
    """An ``except`` around a service call whose errors go on the form or the page (``add_service_errors``,
    ``service_error_messages``) catches ``SERVICE_ERRORS``: the service's ValidationError and the IntegrityError of
    two identical posts."""
    assert IntegrityError in SERVICE_ERRORS
    tree = ast.parse(path.read_text())
    wrong = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler):
            body = ast.unparse(ast.Module(body=node.body, type_ignores=[]))
            shows = "add_service_errors(" in body or "service_error_messages(" in body
            if shows and ast.unparse(node.type) != "SERVICE_ERRORS":
                wrong.append(f"line {node.lineno}: except {ast.unparse(node.type)}")
    assert not wrong, f"{path.name}: " + "; ".join(wrong)


def test_the_crawl_covers_every_url_pattern():
    assert all_patterns() <= set(MATRIX)
