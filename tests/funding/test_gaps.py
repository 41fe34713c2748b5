"""Record the facts, flag the gap (Portsmouth 9.1, 9.2, 9.3) in the browser.

The funding forms warn before saving a record that lacks the explanation its commitment asks for, keep what was
typed, and save it once the officer ticks "Save anyway" or writes the explanation; the relationship's page lists
each gap with a link to add the explanation; added later, through its own page, the gap closes.

Funding starting on 1 April 2027 under a compact with the default settings: the organisation is told by
1 January 2027 (3 months, 9.2), and three years, both days counted, run to 31 March 2030 (9.1). Where a decision is
told on or after 1 January, the funding starts a year earlier (``year=2026``): the forms take today from the real
clock, and a decision cannot be told after today.
"""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from compact_portal.accounts.roles import Role
from compact_portal.forms import SAVE_ANYWAY_LABEL
from funding import services
from funding.models import Decision, FundingRelationship
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import CompactFactory, OrganisationFactory, PublicBodyFactory
from tests.funding.factories import AwardedFundingFactory, FundingRelationshipFactory
from tests.worlds import shared_world

pytestmark = pytest.mark.django_db

# The factory's compacts carry no catalogue: each promise is the portal's default (tests/funding/test_citations.py
# has compacts that state them).
DEFAULT = escape("the portal's default (this compact states no such rule)")
JUSTIFICATION_WARNING = f"Without a justification this decision will be flagged as not keeping {DEFAULT}."
TERM_WARNING = f"this funding will be flagged as not keeping {DEFAULT} once it has started"
DECLINE_WARNING = (
    f"Without feedback this decision will be flagged as not keeping {DEFAULT}, which asks for constructive"
)


def log_funding(compact, council, charity, *, year=2027, **overrides) -> dict:
    """What the "Log funding" page posts: an award told on 1 October 2026, three years from 1 April 2027 (or the
    same dates in the year before ``year`` and from 1 April ``year``)."""
    return {
        "compact": compact.pk,
        "funder": council.pk,
        "recipient": charity.pk,
        "reference": "GR-2027-010",
        "title": "Holiday hunger project",
        "mechanism": "grant",
        "amount": "45000.00",
        "expected_start": f"{year}-04-01",
        "start_date": f"{year}-04-01",
        "end_date": f"{year + 3}-03-31",
        "decision-kind": "awarded",
        "decision-told_date": f"{year - 1}-10-01",
        "decision-rationale": "Strong bid.",
        "decision-justification": "",
        "decision-feedback": "",
    } | overrides


def held(response) -> str:
    """The page shown again with the warnings, not saved: a warning summary and the box, no error."""
    assert response.status_code == 200
    page = response.content.decode()
    assert "warning-summary" in page
    assert SAVE_ANYWAY_LABEL in page
    assert "error-summary" not in page
    return page


# --- The "Log funding" form -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "warning"),
    [
        pytest.param({"decision-told_date": "2026-01-01"}, None, id="told-on-the-decision-date"),
        pytest.param({"decision-told_date": "2026-01-02"}, JUSTIFICATION_WARNING, id="told-a-day-late"),
        pytest.param({"end_date": "2029-03-31"}, None, id="exactly-three-years"),
        pytest.param({"end_date": "2029-03-30"}, TERM_WARNING, id="a-day-short-of-three-years"),
        pytest.param({"decision-kind": "declined"}, DECLINE_WARNING, id="declined-without-feedback"),
        pytest.param(
            {"decision-kind": "declined", "decision-feedback": "Costs unclear."}, None, id="declined-with-feedback"
        ),
    ],
)
def test_log_funding_warns_of_a_missing_explanation_at_the_edges(
    client_for, compact, council, charity, changes, warning
):
    response = client_for("officer").post(
        reverse("funding:relationship_create"), log_funding(compact, council, charity, year=2026, **changes)
    )

    if warning is None:
        assert response.status_code == 302
        assert FundingRelationship.objects.get().reference == "GR-2027-010"
    else:
        assert warning in held(response)
        assert not FundingRelationship.objects.exists()


def test_the_warning_names_the_compacts_settings_and_keeps_what_was_typed(client_for, compact, council, charity):
    compact.decision_lead_months, compact.min_funding_years = 6, 2
    compact.save()
    data = log_funding(
        compact, council, charity, end_date="2028-03-31", **{"decision-told_date": "2026-10-02"}
    )  # due by 1 October 2026; two years run to 31 March 2029

    page = held(client_for("officer").post(reverse("funding:relationship_create"), data))

    assert "less than 6 months before the start (in time would have been by 1 October 2026)" in page
    assert "This funding lasts less than 2 years: it ends on 31 March 2028" in page
    assert 'value="Holiday hunger project"' in page
    assert "Strong bid.</textarea>" in page
    assert 'name="save_anyway"' in page
    assert 'class="gap-warning"' in page  # under its field, as a warning


def test_ticking_save_anyway_records_what_happened_and_the_page_lists_the_gaps(client_for, compact, council, charity):
    client = client_for("officer")
    data = log_funding(
        compact, council, charity, year=2026, end_date="2027-03-31", **{"decision-told_date": "2026-02-01"}
    )
    held(client.post(reverse("funding:relationship_create"), data))

    response = client.post(reverse("funding:relationship_create"), data | {"save_anyway": "on"})

    funding = FundingRelationship.objects.get()
    assert response.status_code == 302
    assert (funding.status, funding.end_date, funding.term_explanation) == ("awarded", datetime.date(2027, 3, 31), "")
    decision = funding.decisions.get()
    assert (decision.told_date, decision.justification) == (datetime.date(2026, 2, 1), "")
    page = client.get(funding.get_absolute_url()).content.decode()
    assert "Explanations missing" in page
    assert f'href="{reverse("funding:decision_explain", args=[decision.pk])}">Add the justification' in page
    assert f'href="{reverse("funding:relationship_edit", args=[funding.pk])}#id_term_explanation"' in page


def test_writing_the_explanation_saves_without_the_box(client_for, compact, council, charity):
    client = client_for("officer")
    data = log_funding(compact, council, charity, year=2026, **{"decision-told_date": "2026-02-01"})
    held(client.post(reverse("funding:relationship_create"), data))

    data["decision-justification"] = "The council's budget was set in January."
    response = client.post(reverse("funding:relationship_create"), data)

    assert response.status_code == 302
    assert FundingRelationship.objects.get().decisions.get().justification.startswith("The council's budget")


def test_wrong_data_is_still_refused_even_when_saving_anyway(client_for, compact, council, charity):
    data = log_funding(compact, council, charity, end_date="2027-03-31", save_anyway="on")  # ends before it starts

    response = client_for("officer").post(reverse("funding:relationship_create"), data)

    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    assert not FundingRelationship.objects.exists()


# --- Recording a decision, editing the details ----------------------------------------------------


def test_a_late_award_on_the_decision_form_is_warned_of_then_recorded_knowingly(client_for, compact, council, charity):
    start = datetime.date(2026, 4, 1)  # to be told by 1 January 2026
    funding = FundingRelationshipFactory(
        compact=compact, funder=council, recipient=charity, expected_start=start, start_date=start
    )
    client = client_for("officer")
    url = reverse("funding:decision_create", args=[funding.pk])
    data = {"kind": "awarded", "told_date": "2026-01-02", "rationale": "Strong bid.", "justification": ""}

    page = held(client.post(url, data))
    assert JUSTIFICATION_WARNING in page
    assert page.index('name="save_anyway"') < page.index('value="Record the decision"')  # the box, then the button
    assert not funding.decisions.exists()

    response = client.post(url, data | {"save_anyway": "on"})

    assert response.status_code == 302
    assert funding.decisions.get().justification == ""


def test_a_short_term_on_the_edit_form_is_warned_of_and_its_explanation_saved(client_for, compact, council, charity):
    funding = AwardedFundingFactory(compact=compact, funder=council, recipient=charity)
    client = client_for("officer")
    url = reverse("funding:relationship_edit", args=[funding.pk])
    data = log_funding(compact, council, charity, reference=funding.reference, end_date="2029-03-31")
    data = {name: value for name, value in data.items() if not name.startswith("decision-")}

    assert TERM_WARNING in held(client.post(url, data))
    funding.refresh_from_db()
    assert funding.end_date == datetime.date(2030, 3, 31)

    response = client.post(url, data | {"term_explanation": "Two years, then the service is recommissioned."})

    funding.refresh_from_db()
    assert response.status_code == 302
    assert (funding.end_date, funding.term_explanation[:9]) == (datetime.date(2029, 3, 31), "Two years")


def test_declined_funding_is_not_warned_of_a_short_term(client_for, compact, council, charity):
    funding = FundingRelationshipFactory(compact=compact, funder=council, recipient=charity)
    services.decision_record(
        relationship=funding,
        actor=None,
        kind="declined",
        told_date=datetime.date(2026, 12, 1),
        today=datetime.date(2026, 12, 1),
        feedback="Costs.",
    )
    data = log_funding(compact, council, charity, reference=funding.reference, end_date="2028-03-31")
    data = {name: value for name, value in data.items() if not name.startswith("decision-")}

    response = client_for("officer").post(reverse("funding:relationship_edit", args=[funding.pk]), data)

    assert response.status_code == 302
    funding.refresh_from_db()
    assert funding.end_date == datetime.date(2028, 3, 31)


@pytest.mark.parametrize(
    ("expected_start", "warned"),
    [("2027-01-01", False), ("2026-12-31", True)],  # told 1 October 2026: in time for a start from 1 January
)
def test_moving_the_start_so_that_a_recorded_award_is_late_is_warned_of(
    client_for, compact, council, charity, expected_start, warned
):
    funding = FundingRelationshipFactory(compact=compact, funder=council, recipient=charity, start_date=None)
    services.decision_record(
        relationship=funding,
        actor=None,
        kind="awarded",
        told_date=datetime.date(2026, 10, 1),
        today=datetime.date(2026, 10, 1),
    )
    client = client_for("officer")
    url = reverse("funding:relationship_edit", args=[funding.pk])
    data = log_funding(
        compact, council, charity, reference=funding.reference, expected_start=expected_start, start_date=""
    )
    data = {name: value for name, value in data.items() if not name.startswith("decision-")}

    response = client.post(url, data)

    if not warned:
        assert response.status_code == 302
        return
    page = held(response)
    assert f"With this start the award will be flagged as not keeping {DEFAULT} until" in page
    funding.refresh_from_db()
    assert funding.expected_start == datetime.date(2027, 4, 1)
    assert client.post(url, data | {"save_anyway": "on"}).status_code == 302
    funding.refresh_from_db()
    assert funding.expected_start == datetime.date(2026, 12, 31)


# --- The relationship's page and adding the explanation later (a world read by every test) -------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """A council's late unjustified award with a short term, and a decline without feedback; its officer, the
    charity's member and an officer of another body, each with a client. Built once in a transaction rolled
    back at the end; each test's own transaction nests inside it."""
    with shared_world(django_db_blocker, tmp_path_factory):
        compact = CompactFactory(name="Gaps Compact")
        council, charity = PublicBodyFactory(name="Gosport Borough Council"), OrganisationFactory(name="Gosport Shed")
        late = FundingRelationshipFactory(
            compact=compact, funder=council, recipient=charity, reference="GR-LATE", end_date=datetime.date(2028, 3, 31)
        )
        award = services.decision_record(
            relationship=late,
            actor=None,
            kind="awarded",
            told_date=datetime.date(2027, 2, 1),
            today=datetime.date(2027, 2, 1),
            rationale="Good.",
        )
        bare = FundingRelationshipFactory(compact=compact, funder=council, recipient=charity, reference="GR-BARE")
        decline = services.decision_record(
            relationship=bare,
            actor=None,
            kind="declined",
            told_date=datetime.date(2026, 12, 1),
            today=datetime.date(2026, 12, 1),
        )
        clients = {}
        for name, organisation, role in [
            ("officer", council, Role.OFFICER),
            ("member", charity, Role.VCS_MEMBER),
            ("other_officer", PublicBodyFactory(name="Fareham Borough Council"), Role.OFFICER),
        ]:
            clients[name] = Client()
            clients[name].force_login(MembershipFactory(organisation=organisation, role=role).user)
        yield {"late": late, "award": award, "bare": bare, "decline": decline, "clients": clients}


def explain_url(decision: Decision) -> str:
    return reverse("funding:decision_explain", args=[decision.pk])


def test_the_funders_officer_sees_each_gap_with_a_link_to_add_its_explanation(world):
    officer = world["clients"]["officer"]

    late_page = officer.get(world["late"].get_absolute_url()).content.decode()
    bare_page = officer.get(world["bare"].get_absolute_url()).content.decode()

    assert "Awarded: the organisation was told on 1 February 2027, less than 3 months before the start" in late_page
    assert f"No justification is recorded, which {DEFAULT} asks for." in late_page
    assert f'href="{explain_url(world["award"])}">Add the justification' in late_page
    assert "This funding lasts less than 3 years: it ends on 31 March 2028" in late_page
    assert "#id_term_explanation" in late_page
    assert f"Declined on 1 December 2026: no feedback to the organisation is recorded, which {DEFAULT} asks for." in (
        bare_page
    )
    assert f'href="{explain_url(world["decline"])}">Add the feedback' in bare_page


def test_the_charity_sees_the_gaps_but_no_link_to_explain(world):
    page = world["clients"]["member"].get(world["bare"].get_absolute_url()).content.decode()

    assert "no feedback to the organisation is recorded" in page
    assert explain_url(world["decline"]) not in page


def test_the_explain_page_says_what_is_missing(world):
    page = world["clients"]["officer"].get(explain_url(world["award"])).content.decode()

    assert "Add the justification for the award" in page
    assert f"No justification is recorded, which {DEFAULT} asks for." in page
    assert 'name="justification"' in page
    assert 'name="feedback"' not in page


@pytest.mark.parametrize(
    ("which", "field", "text"),
    [("award", "justification", "The budget was set in January."), ("decline", "feedback", "Costs were unclear.")],
)
def test_an_explanation_added_later_closes_the_gap(world, which, field, text):
    decision = world[which]
    officer = world["clients"]["officer"]

    response = officer.post(explain_url(decision), {field: text})

    assert response.status_code == 302
    assert response["Location"] == decision.relationship.get_absolute_url()
    decision.refresh_from_db()
    assert getattr(decision, field) == text
    page = officer.get(response["Location"]).content.decode()
    assert explain_url(decision) not in page
    assert f"The {field} on the decision is saved." in page


def test_a_blank_explanation_is_asked_for_again(world):
    response = world["clients"]["officer"].post(explain_url(world["award"]), {"justification": "  "})

    assert response.status_code == 200
    assert "Write the justification." in response.content.decode()
    assert Decision.objects.get(pk=world["award"].pk).justification == ""


@pytest.mark.parametrize(("person", "status"), [("member", 403), ("other_officer", 404)])
def test_only_the_funders_officers_add_an_explanation(world, person, status):
    client = world["clients"][person]

    assert client.get(explain_url(world["award"])).status_code == status
    assert client.post(explain_url(world["award"]), {"justification": "Not mine to give."}).status_code == status
    assert Decision.objects.get(pk=world["award"].pk).justification == ""


def test_a_decision_that_needs_no_explanation_has_no_explain_page(world):
    funding = FundingRelationship.objects.get(pk=world["late"].pk)
    varied = services.decision_record(
        relationship=funding,
        actor=None,
        kind="varied",
        told_date=datetime.date(2027, 5, 1),
        today=datetime.date(2027, 5, 1),
    )

    assert world["clients"]["officer"].get(explain_url(varied)).status_code == 404
