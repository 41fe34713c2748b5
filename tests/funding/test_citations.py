"""Funding's pages, forms, warnings and timeline cite the record's own compact: Portsmouth's "commitment 13.3",
Leicestershire's "commitment Principle 11", Nottinghamshire's "commitment KP3.1", and the portal's default for a
promise the compact does not state; never Portsmouth's numbers under another compact.

The seed compacts (fixtures/compacts) are loaded as the portal loads them; ``CLAUSES`` is what their catalogues
call each promise these pages name, checked against the catalogues themselves first.
"""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments.models import MeasurableRule
from commitments.selectors import clauses_of
from commitments.services import compacts_load
from compact_portal.formatting import long_date
from funding import selectors, services
from funding.models import FundingRelationship
from tests.funding.factories import FundingRelationshipFactory, NoticeFactory
from tests.worlds import shared_world

pytestmark = pytest.mark.django_db

DEFAULT = "the portal's default (this compact states no such rule)"

FUNDING_RULES = (
    MeasurableRule.DECISION_LEAD_TIME,
    MeasurableRule.FUNDING_TERM,
    MeasurableRule.DECLINE_FEEDBACK,
    MeasurableRule.MONITORING_AGREED,
    MeasurableRule.PROMPT_PAYMENT,
    MeasurableRule.NOTICE_PERIOD,
    MeasurableRule.IMPACT_ASSESSMENT,
    MeasurableRule.RESPONSE_BEFORE_DECISION,
    MeasurableRule.REALLOCATION_ASSESSED,
    "full_cost_recovery",
    "payment_in_advance",
)

# {compact: {rule: its clause}}: the funding promises each seed compact states (a rule missing: it states none).
CLAUSES = {
    "portsmouth": {
        "decision_lead_time": "9.2",
        "funding_term": "9.1",
        "decline_feedback": "9.3",
        "monitoring_agreed": "12.1",
        "prompt_payment": "11.2",
        "notice_period": "13.3",
        "impact_assessment": "13.1",
        "response_before_decision": "13.4",
        "reallocation_assessed": "19.5",
        "full_cost_recovery": "8.1",  # and 8.2: the first by position is cited
        "payment_in_advance": "11.1",
    },
    "leicestershire": {"notice_period": "Principle 11", "funding_term": "PSA 11", "full_cost_recovery": "Principle 10"},
    "nottinghamshire": {"impact_assessment": "KP3.1", "full_cost_recovery": "KP2.6"},
}

# Portsmouth's clause numbers the funding pages used to print whatever the compact.
PORTSMOUTH_NUMBERS = ("8.1", "8.2", "9.1", "9.2", "9.3", "10.2", "10.4", "11.1", "11.2", "12.1", "13.1", "13.3", "13.4")
PORTSMOUTH_NUMBERS += ("19.5",)


def cited(slug: str, rule: str) -> str:
    clause = CLAUSES[slug].get(rule)
    return f"commitment {clause}" if clause else DEFAULT


def capital(text: str) -> str:
    return text[0].upper() + text[1:]


def numbers_in(text: str, numbers=PORTSMOUTH_NUMBERS) -> list[str]:
    """Which of ``numbers`` stand alone in ``text`` (not inside 5.3.2 or 113.3)."""
    return [number for number in numbers if re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", text)]


def main(response) -> str:
    """The page's main content, as a reader reads it (entities decoded)."""
    assert response.status_code == 200
    page = response.content.decode()
    return html.unescape(page[page.index("<main") : page.index("</main>")])


@pytest.fixture(scope="module")
def seed_compacts(django_db_setup, django_db_blocker, tmp_path_factory):
    with shared_world(django_db_blocker, tmp_path_factory):
        yield {compact.slug: compact for compact in compacts_load()}


@pytest.fixture
def compacts(seed_compacts, db):
    """tests/conftest.py's three seed compacts, loaded once for this module (tests/worlds.py): its tests read
    them, and what a test adds goes with its own transaction."""
    return seed_compacts


@pytest.fixture(params=["portsmouth", "leicestershire", "nottinghamshire"])
def slug(request):
    return request.param


@pytest.fixture
def compact(compacts, slug):
    return compacts[slug]


@pytest.fixture
def funding(compact, council, charity):
    """Under ``compact``: an award told late without a justification, a term shorter than any seed's minimum,
    monitoring agreed after signing, and an end notice given two weeks ahead, decided before its response window
    closed, with an impact and a reallocation assessment."""
    relationship = FundingRelationshipFactory(
        compact=compact,
        funder=council,
        recipient=charity,
        reference="GR-CITE",
        end_date=datetime.date(2027, 9, 30),
        monitoring_agreed_date=datetime.date(2027, 3, 20),
        agreement_signed_date=datetime.date(2027, 3, 1),
        underspend_terms="Returned to the fund.",
        risk_notes="Shared.",
    )
    services.decision_record(
        relationship=relationship,
        actor=None,
        kind="awarded",
        told_date=datetime.date(2027, 3, 1),
        today=datetime.date(2027, 3, 1),
        rationale="Good.",
    )
    NoticeFactory(
        relationship=relationship,
        notice_date=datetime.date(2027, 9, 1),
        effective_date=datetime.date(2027, 9, 15),
        impact_assessment="Fewer meals in the holidays.",
        response_due_by=datetime.date(2027, 9, 14),
        final_decision_date=datetime.date(2027, 9, 10),
        reallocation_assessment="Moved to the youth fund.",
    )
    return FundingRelationship.objects.get(pk=relationship.pk)


def test_the_clauses_are_the_seed_compacts_own(compacts):
    for slug, clauses in CLAUSES.items():
        carried = clauses_of(compact=compacts[slug])
        assert {rule: carried[rule] for rule in FUNDING_RULES if rule in carried} == clauses, slug


def test_the_relationship_page_cites_its_compacts_clauses(client_for, slug, funding):
    page = main(client_for("officer").get(funding.get_absolute_url()))

    for rule in (
        "decision_lead_time",
        "funding_term",
        "monitoring_agreed",
        "notice_period",
        "response_before_decision",
    ):
        assert cited(slug, rule) in page, rule
    for label, rule in (("Full cost recovery", "full_cost_recovery"), ("Payment in advance", "payment_in_advance")):
        assert f'{label} <span class="d-block small fw-normal">{capital(cited(slug, rule))}</span></dt>' in page
    assert f"No justification is recorded, which {cited(slug, 'decision_lead_time')} asks for." in page
    assert f"No explanation of the shorter term is recorded, which {cited(slug, 'funding_term')} asks for." in page
    for label in ("Under-spend terms", "Risks"):
        assert f"{label}</dt>" in page  # no promise the portal checks, so no clause: Portsmouth's is not theirs
    if slug == "portsmouth":
        assert {"commitment 9.2", "commitment 9.1", "commitment 12.1", "commitment 13.3", "commitment 8.1"} <= set(
            re.findall(r"commitment [\d.]+\d", page.lower())
        )
        assert numbers_in(page, ("8.2", "10.2", "10.4")) == []
    else:
        assert numbers_in(page) == []


def test_the_relationship_page_reads_its_compacts_catalogue_once(client_for, funding):
    client = client_for("officer")

    with CaptureQueriesContext(connection) as queries:
        client.get(funding.get_absolute_url())

    catalogue = [q["sql"] for q in queries.captured_queries if '"commitments_commitment"."rule_key"' in q["sql"]]
    assert len(catalogue) == 1, catalogue


def test_the_timeline_cites_its_compacts_clauses(officer, slug, funding):
    relationship = selectors.relationship_detail(user=officer, pk=funding.pk)

    timeline = selectors.relationship_timeline(relationship=relationship, today=datetime.date(2027, 10, 1))

    verdicts = {entry.title: entry.verdict for entry in timeline}
    assert verdicts["Decision: Awarded"] == (
        f"Told after {long_date(funding.decision_due_by)}, later than {cited(slug, 'decision_lead_time')} asks; "
        "no justification"
    )
    assert verdicts["Agreement signed"] == (
        f"Monitoring not agreed before signing, which {cited(slug, 'monitoring_agreed')} asks for"
    )
    assert (
        f"months' notice under {cited(slug, 'notice_period')} runs to"
        in verdicts["End of funding notice given, taking effect 15 September 2027"]
    )
    assert verdicts["Final decision on the notice"] == (
        f"Before the response window closed, which {cited(slug, 'response_before_decision')} rules out"
    )
    if slug != "portsmouth":
        assert numbers_in(" ".join(verdicts.values())) == []


def test_the_notice_page_cites_its_compacts_clauses(client_for, slug, funding):
    notice = funding.notices.get()

    page = main(client_for("officer").get(notice.get_absolute_url()))

    assert f"months' notice of {cited(slug, 'notice_period')} would run to" in page
    for rule in ("impact_assessment", "response_before_decision", "reallocation_assessed"):
        assert capital(cited(slug, rule)) in page, rule
    if slug != "portsmouth":
        assert numbers_in(page) == []


@pytest.mark.parametrize(
    ("kind", "field", "rule"),
    [("awarded", "justification", "decision_lead_time"), ("declined", "feedback", "decline_feedback")],
)
def test_the_decision_forms_warning_cites_its_compacts_clause(
    client_for, compact, slug, council, charity, kind, field, rule
):
    pending = FundingRelationshipFactory(compact=compact, funder=council, recipient=charity)
    url = reverse("funding:decision_create", args=[pending.pk])
    client = client_for("officer")

    form_page = main(client.get(url))
    page = main(client.post(url, {"kind": kind, "told_date": "2027-02-01", "rationale": "Decided."}))

    assert f"To meet {cited(slug, 'decision_lead_time')}, an award" in form_page
    assert f"the constructive feedback {cited(slug, 'decline_feedback')} asks for" in form_page
    assert f"flagged as not keeping {cited(slug, rule)}" in page
    assert not pending.decisions.exists()
    if slug != "portsmouth":
        assert numbers_in(form_page + page) == []


def test_the_forms_help_texts_and_intros_cite_their_compacts_clauses(client_for, slug, funding):
    client = client_for("officer")
    notice = funding.notices.get()

    edit = main(client.get(reverse("funding:relationship_edit", args=[funding.pk])))
    notice_form = main(client.get(reverse("funding:notice_edit", args=[notice.pk])))
    invoice_form = main(client.get(reverse("funding:invoice_create", args=[funding.pk])))

    assert f"{capital(cited(slug, 'funding_term'))}: why funding for less than" in edit
    assert f"{capital(cited(slug, 'monitoring_agreed'))}: monitoring is agreed before" in edit
    assert f"{capital(cited(slug, 'full_cost_recovery'))}: the full cost of the work" in edit
    assert f"{capital(cited(slug, 'payment_in_advance'))}: payment in advance where" in edit
    assert f"{capital(cited(slug, 'notice_period'))}: written notice comes at least" in notice_form
    assert f"before you give notice, as {cited(slug, 'impact_assessment')} asks" in notice_form
    assert f"{capital(cited(slug, 'impact_assessment'))}: assessed before notice is given." in notice_form
    assert f"{capital(cited(slug, 'prompt_payment'))}: invoices are paid within" in invoice_form
    if slug != "portsmouth":
        assert numbers_in(edit + notice_form + invoice_form) == []


def test_a_new_relationships_form_names_no_clause_until_its_compact_is_chosen(client_for):
    page = main(client_for("officer").get(reverse("funding:relationship_create")))

    assert "Why funding for less than the compact's minimum term is the better choice." in page
    assert numbers_in(page) == []
