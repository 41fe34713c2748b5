"""A consultation's page, forms and warnings cite its own compact: Portsmouth's "commitment 3.7", Leicestershire's
"commitment PSA 18", and the portal's default for a promise the compact does not state (Nottinghamshire states
none about consultations); never Portsmouth's numbers under another compact.

The seed compacts (fixtures/compacts) are loaded as the portal loads them; ``CLAUSES`` is what their catalogues
call each consultation promise, checked against the catalogues themselves first.
"""

import datetime
import html
import re

import pytest
from django.urls import reverse

from commitments.models import MeasurableRule
from commitments.selectors import clauses_of
from commitments.services import compacts_load
from consultations.gaps import consultation_gaps
from tests.consultations.factories import ConsultationFactory, policy_area
from tests.worlds import shared_world

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
DEFAULT = "the portal's default (this compact states no such rule)"

CONSULTATION_RULES = (
    MeasurableRule.CONSULTATION_LENGTH,
    MeasurableRule.CONSULTATION_ANNOUNCED,
    MeasurableRule.CONSULTATION_FEEDBACK,
)

# {compact: {rule: its clause}}: the consultation promises each seed compact states (a rule missing: none).
CLAUSES = {
    "portsmouth": {"consultation_length": "3.7", "consultation_announced": "3.2", "consultation_feedback": "3.5"},
    "leicestershire": {"consultation_length": "PSA 18"},
    "nottinghamshire": {},
}

# Portsmouth's clause numbers the consultation pages used to print whatever the compact.
PORTSMOUTH_NUMBERS = ("2.1", "3.2", "3.4", "3.5", "3.7", "3.8", "4.2", "4.3", "4.5")


def cited(slug: str, rule: str) -> str:
    clause = CLAUSES[slug].get(rule)
    return f"commitment {clause}" if clause else DEFAULT


def capital(text: str) -> str:
    return text[0].upper() + text[1:]


def numbers_in(text: str) -> list[str]:
    """Which of Portsmouth's numbers stand alone in ``text`` (not inside 5.3.2 or 13.7)."""
    return [number for number in PORTSMOUTH_NUMBERS if re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", text)]


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
def consultation(compact, council, today):
    """Under ``compact``, published: never announced, four weeks long with no explanation, closed long enough
    ago that its feedback is overdue."""
    opens = today - 200 * DAY
    return ConsultationFactory(
        compact=compact,
        body=council,
        title="Bus routes review",
        announced_date=None,
        open_date=opens,
        close_date=opens + 27 * DAY,
        publish=True,
    )


def test_the_clauses_are_the_seed_compacts_own(compacts):
    for slug, clauses in CLAUSES.items():
        carried = clauses_of(compact=compacts[slug])
        assert {rule: carried[rule] for rule in CONSULTATION_RULES if rule in carried} == clauses, slug


def test_the_public_page_cites_its_compacts_clauses(client, slug, compact, consultation):
    page = main(client.get(consultation.get_absolute_url()))

    assert f"Not announced before it opened, as {cited(slug, 'consultation_announced')} asks." in page
    assert f"Shorter than the {compact.consultation_min_weeks} weeks of {cited(slug, 'consultation_length')}." in page
    assert f"under {cited(slug, 'consultation_feedback')}." in page
    if slug != "portsmouth":
        assert numbers_in(page) == []


def test_the_managers_page_lists_the_gap_in_its_compacts_words(client_for, slug, consultation):
    page = main(client_for("officer").get(consultation.get_absolute_url()))

    assert f"No explanation of why it is shorter is recorded, which {cited(slug, 'consultation_length')} asks for." in (
        page
    )
    assert [(gap.rule, gap.citation) for gap in consultation_gaps(consultation)] == [
        ("consultation_length", cited(slug, "consultation_length"))
    ]
    if slug != "portsmouth":
        assert numbers_in(page) == []


def test_an_announcement_after_opening_cites_its_compacts_clause(client, slug, compact, council, today):
    opens = today - 10 * DAY
    consultation = ConsultationFactory(
        compact=compact, body=council, announced_date=opens, open_date=opens, close_date=opens + 90 * DAY, publish=True
    )

    page = main(client.get(consultation.get_absolute_url()))

    assert f", not before it opened as {cited(slug, 'consultation_announced')} asks</span>." in page


def test_the_forms_warning_help_texts_and_intro_cite_its_compacts_clauses(client_for, slug, compact, council, today):
    draft = ConsultationFactory(compact=compact, body=council, title="Youth services review")
    opens = today + 14 * DAY
    data = {
        "compact": compact.pk,
        "body": council.pk,
        "title": "Youth services review",
        "summary": "Which youth services matter most?",
        "policy_area": policy_area("children-and-young-people").pk,
        "formal": "on",
        "announced_date": (today + 7 * DAY).isoformat(),
        "open_date": opens.isoformat(),
        "close_date": (opens + 27 * DAY).isoformat(),
        "shorter_explanation": "",
    }
    client = client_for("officer")
    url = reverse("consultations:edit", args=[draft.pk])

    form = main(client.get(url))
    warned = main(client.post(url, data))

    assert f"{capital(cited(slug, 'consultation_length'))}: formal consultations last at least" in form
    assert f"{capital(cited(slug, 'consultation_announced'))}: announce it before it opens." in form
    assert f"Announce it before it opens, as {cited(slug, 'consultation_announced')} asks;" in form
    assert f"or explain why it is shorter, as {cited(slug, 'consultation_length')} asks;" in form
    assert f"it will be flagged as not keeping {cited(slug, 'consultation_length')} once it is published" in warned
    if slug != "portsmouth":
        assert numbers_in(form + warned) == []


def test_the_feedback_form_cites_its_compacts_clause(client_for, slug, consultation):
    page = main(client_for("officer").get(reverse("consultations:feedback", args=[consultation.pk])))

    assert f"influenced the decision, as {cited(slug, 'consultation_feedback')} asks: due by" in page
    if slug != "portsmouth":
        assert numbers_in(page) == []


def test_a_new_consultations_form_names_no_clause_until_its_compact_is_chosen(client_for):
    page = main(client_for("officer").get(reverse("consultations:create")))

    assert "Announce it before it opens; run a formal consultation" in page
    assert numbers_in(page) == []
