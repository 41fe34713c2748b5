"""Who may see and do what with monitoring (funding/selectors/monitoring.py), the one source the pages and the
services both ask: a return is the funder's officers', the recipient's members' (once the funding is decided) and
administrators'; anyone else is told it does not exist."""

from datetime import date

import pytest
from django.http import Http404

from commitments import rulebook
from commitments.models import RecordType
from funding.selectors import monitoring as may
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import CompactFactory, PublicBodyFactory
from tests.funding.factories import (
    AwardedFundingFactory,
    FundingRelationshipFactory,
    MonitoringPlanFactory,
    MonitoringTemplateFactory,
    sign_up,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(funding):
    return MonitoringPlanFactory(relationship=funding, returns_per_year=2, today=date(2027, 3, 1))


@pytest.fixture
def first_return(plan):
    return plan.returns.order_by("due_date").first()


def ids(queryset):
    return set(queryset.values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("person", "sees", "makes", "reviews"),
    [
        pytest.param("officer", True, False, True, id="the-funders-officer"),
        pytest.param("vcs_member", True, True, False, id="the-recipients-member"),
        pytest.param("administrator", True, False, False, id="an-administrator"),
        pytest.param("champion", False, False, False, id="a-champion"),
        pytest.param("outsider", False, False, False, id="another-organisations-member"),
        pytest.param("person_without_roles", False, False, False, id="nobody-in-particular"),
    ],
)
def test_who_sees_makes_and_reviews_a_return(request, first_return, championed, person, sees, makes, reviews):
    user = request.getfixturevalue(person)

    assert (first_return.pk in ids(may.returns_visible_to(user=user))) is sees
    assert (first_return.pk in ids(may.returns_to_make_by(user=user))) is makes
    assert (first_return.pk in ids(may.returns_to_review_by(user=user))) is reviews
    if sees:
        assert may.return_detail(pk=first_return.pk, user=user) == first_return
    else:
        with pytest.raises(Http404):
            may.return_detail(pk=first_return.pk, user=user)


def test_the_recipient_does_not_see_the_returns_of_funding_still_awaiting_a_decision(
    compact, council, charity, vcs_member, officer
):
    pending = FundingRelationshipFactory(compact=compact, funder=council, recipient=charity, reference="GR-DRAFT")
    draft_return = MonitoringPlanFactory(relationship=pending, today=date(2027, 3, 1)).returns.first()

    assert draft_return.pk not in ids(may.returns_visible_to(user=vcs_member))
    assert draft_return.pk not in ids(may.returns_to_make_by(user=vcs_member))
    assert draft_return.pk in ids(may.returns_visible_to(user=officer))
    assert pending.pk not in ids(may.relationships_told_by(user=vcs_member))


def test_a_signed_out_visitor_sees_nothing(client, first_return):
    anonymous = client.get("/").wsgi_request.user

    for selector in (may.returns_visible_to, may.returns_to_make_by, may.returns_to_review_by, may.plans_editable_by):
        assert not selector(user=anonymous).exists()
    assert not may.template_compacts_for(user=anonymous).exists()


def test_the_funders_officers_set_its_plans(plan, funding, officer, vcs_member, administrator):
    assert ids(may.plans_editable_by(user=officer)) == {plan.pk}
    assert may.may_set_plan(user=officer, relationship=funding)
    for user in (vcs_member, administrator):
        assert not may.plans_editable_by(user=user).exists()
        assert not may.may_set_plan(user=user, relationship=funding)


def test_templates_are_kept_by_the_officers_of_bodies_that_signed_the_compact_its_champions_and_administrators(
    compact, officer, championed, champion, administrator, vcs_member
):
    other = CompactFactory(name="Havant Compact")
    template = MonitoringTemplateFactory(compact=compact)
    elsewhere = MonitoringTemplateFactory(compact=other)
    applied_only = MembershipFactory(organisation=PublicBodyFactory(), role="officer").user

    assert ids(may.template_compacts_for(user=officer)) == {compact.pk}
    assert ids(may.templates_editable_by(user=officer)) == {template.pk}
    assert ids(may.templates_editable_by(user=champion)) == {template.pk}
    assert ids(may.templates_editable_by(user=administrator)) == {template.pk, elsewhere.pk}
    assert not may.templates_editable_by(user=vcs_member).exists()
    assert not may.templates_editable_by(user=applied_only).exists()
    sign_up(compact=other, funder=applied_only.memberships.get().organisation)
    assert ids(may.templates_editable_by(user=applied_only)) == {elsewhere.pk}


def test_the_recipients_members_tell_of_changes_on_their_own_decided_funding(funding, vcs_member, outsider, officer):
    assert ids(may.relationships_told_by(user=vcs_member)) == {funding.pk}
    assert not may.relationships_told_by(user=outsider).exists()
    assert not may.relationships_told_by(user=officer).exists()


def test_a_return_flag_links_to_its_page_only_for_those_it_opens_for(first_return, officer, championed, champion):
    triple = (RecordType.MONITORING_RETURN, first_return.pk, first_return.plan.relationship.reference)
    address = f"/funding/returns/{first_return.pk}/"

    assert rulebook.record_links([triple], user=officer) == {(RecordType.MONITORING_RETURN, first_return.pk): address}
    assert rulebook.record_links([triple], user=champion) == {}  # a champion sees the flag, not the return


def test_the_return_page_loads_everything_it_shows_in_a_fixed_number_of_queries(
    first_return, vcs_member, officer, django_assert_num_queries
):
    from funding.services import monitoring

    monitoring.return_submit(
        monitoring_return=first_return,
        actor=vcs_member,
        today=date(2027, 10, 20),
        answers=["Ninety-two families.", "Fewer skip meals."],
    )
    monitoring.return_ask_questions(
        monitoring_return=first_return, actor=officer, today=date(2027, 10, 21), questions="How many were new?"
    )

    may.return_detail(pk=first_return.pk, user=vcs_member)  # what is kept on the user after the first request
    with django_assert_num_queries(3):  # the return with its plan and people, its messages, its files
        item = may.return_detail(pk=first_return.pk, user=vcs_member)
        shown = [
            item.plan.relationship.funder.name,
            item.plan.relationship.recipient.name,
            item.plan.relationship.compact.nation,
            item.submitted_by,
            [(m.kind, m.actor.full_name) for m in item.messages.all()],
            list(item.documents.all()),
        ]

    assert shown[4] == [("submitted", "Val Member"), ("questions", "Olivia Officer")]


def test_another_public_body_officer_does_not_see_the_return(first_return, compact):
    other_body = PublicBodyFactory(name="Havant Borough Council")
    sign_up(compact=compact, funder=other_body)
    their_officer = MembershipFactory(organisation=other_body, role="officer").user
    AwardedFundingFactory(compact=compact, funder=other_body, recipient=first_return.plan.relationship.recipient)

    assert not may.returns_visible_to(user=their_officer).filter(pk=first_return.pk).exists()
    with pytest.raises(Http404):
        may.return_detail(pk=first_return.pk, user=their_officer)
