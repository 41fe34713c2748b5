"""Which clause of each seed compact a flag of each measurable rule cites: the compact's first commitment (by
position) carrying the rule, or none where the compact's document makes no such promise (the portal's default
applies). The known answers come from reading each document, not from the fixtures."""

import json

import pytest

from commitments.models import Commitment, MeasurableRule
from commitments.services import COMPACT_FIXTURES, compacts_load
from tests.worlds import shared_world

R = MeasurableRule

PORTSMOUTH = {
    R.CONSULTATION_LENGTH: "3.7",
    R.CONSULTATION_ANNOUNCED: "3.2",
    R.CONSULTATION_FEEDBACK: "3.5",
    R.NOTICE_PERIOD: "13.3",
    R.IMPACT_ASSESSMENT: "13.1",
    R.RESPONSE_BEFORE_DECISION: "13.4",
    R.PROMPT_PAYMENT: "11.2",
    R.DECISION_LEAD_TIME: "9.2",
    R.FUNDING_TERM: "9.1",
    R.DECLINE_FEEDBACK: "9.3",
    R.MONITORING_AGREED: "12.1",
    R.MONITORING_PROPORTIONATE: "12.3",  # monitoring in proportion to the nature and size of the work
    R.MONITORING_RETURNS: "17.3",  # the VCS side: systems in place to deliver the reporting required
    R.IMPROVEMENT_TIMETABLE: "12.7",
    R.REALLOCATION_ASSESSED: "19.5",
    R.COMPACT_REVIEW: None,  # the framework names a review group but promises no review of the compact
    R.ACTION_PLAN: None,  # an action plan is promised, but no commitment that its actions are done by their dates
    R.DISPUTES_PROCESS: None,  # no disputes procedure; principle 2 (honesty) asks for frank discussion
    R.FULL_COST_RECOVERY: "8.1",  # overheads (8.1) and volunteer costs (8.2), both carrying the rule
    R.PAYMENT_IN_ADVANCE: "11.1",  # payment ahead of spending where needed and good value, often for grants
}

LEICESTERSHIRE = {
    R.CONSULTATION_LENGTH: "PSA 18",  # 12-week written consultations, shorter ones explained
    R.CONSULTATION_ANNOUNCED: None,
    R.CONSULTATION_FEEDBACK: None,
    R.NOTICE_PERIOD: "Principle 11",  # three months' notice of any change, end or review of support
    R.IMPACT_ASSESSMENT: None,  # PSA 17 is about new policies, as Portsmouth 1.3, not ending funding
    R.RESPONSE_BEFORE_DECISION: None,
    R.PROMPT_PAYMENT: None,
    R.DECISION_LEAD_TIME: None,
    R.FUNDING_TERM: "PSA 11",  # at least three years where appropriate; research may be shorter
    R.DECLINE_FEEDBACK: None,
    R.MONITORING_AGREED: None,  # PSA 10 asks for proportionate monitoring, not monitoring agreed beforehand
    R.MONITORING_PROPORTIONATE: "PSA 10",  # monitoring and accountability in proportion to the funding's amount
    R.MONITORING_RETURNS: "VCS 5",  # the sector accepts a contract brings a duty to monitor and report to the funder
    R.IMPROVEMENT_TIMETABLE: None,
    R.REALLOCATION_ASSESSED: None,
    R.COMPACT_REVIEW: "8",  # section 8: the compact and its action plan reviewed every year (VCS 19: the plan only)
    R.ACTION_PLAN: None,  # an action plan is promised, but no commitment that its actions are done by their dates
    R.DISPUTES_PROCESS: "10",  # section 10: informal, formal and appeal stages overseen by a disputes subgroup
    R.FULL_COST_RECOVERY: "Principle 10",  # public bodies accept and back the sector pricing at full cost recovery
    R.PAYMENT_IN_ADVANCE: None,
}

NOTTINGHAMSHIRE = {
    R.CONSULTATION_LENGTH: None,
    R.CONSULTATION_ANNOUNCED: None,
    R.CONSULTATION_FEEDBACK: None,  # feedback is among key priority 1's hoped-for outcomes, not its actions
    R.NOTICE_PERIOD: None,
    R.IMPACT_ASSESSMENT: "KP3.1",  # a Compact Plus impact assessment in the reports that decisions are made on
    R.RESPONSE_BEFORE_DECISION: None,
    R.PROMPT_PAYMENT: None,
    R.DECISION_LEAD_TIME: None,
    R.FUNDING_TERM: None,
    R.DECLINE_FEEDBACK: None,
    R.MONITORING_AGREED: None,
    # Key priority 2 hopes for monitoring in proportion to the funding in its narrative, but none of its numbered
    # actions promises it (KP2.1 asks for simple funding arrangements in general; PUB 6 for monitoring against the
    # sector's quality standards, not in proportion to the award).
    R.MONITORING_PROPORTIONATE: None,
    R.MONITORING_RETURNS: None,  # VCS 1 meets duties to funders in general; no promise about reports or returns
    R.IMPROVEMENT_TIMETABLE: None,
    R.REALLOCATION_ASSESSED: None,
    R.COMPACT_REVIEW: "LF.1",  # the framework is reviewed regularly (Looking to the Future, Next steps)
    R.ACTION_PLAN: None,  # an action plan is promised, but no commitment that its actions are done by their dates
    R.DISPUTES_PROCESS: "KP3.4",  # key priority 3: a dispute resolution system across the partnership
    R.FULL_COST_RECOVERY: "KP2.6",  # key priority 2, action 6: full cost recovery known, understood and achieved
    R.PAYMENT_IN_ADVANCE: None,
}

KNOWN_ANSWERS = {"portsmouth": PORTSMOUTH, "leicestershire": LEICESTERSHIRE, "nottinghamshire": NOTTINGHAMSHIRE}


@pytest.fixture(scope="module")
def seed_compacts(django_db_setup, django_db_blocker, tmp_path_factory):
    with shared_world(django_db_blocker, tmp_path_factory):
        yield {compact.slug: compact for compact in compacts_load()}


@pytest.fixture
def compacts(seed_compacts, db):
    """tests/conftest.py's three seed compacts, loaded once for this module (tests/worlds.py): most of its tests
    only read them, and what the others load again or add goes with their own transaction."""
    return seed_compacts


def cited(compact, rule) -> str | None:
    commitment = Commitment.objects.filter(compact=compact, rule_key=rule).order_by("position").first()
    return commitment.code if commitment else None


def test_every_rule_has_a_known_answer_for_every_compact():
    for slug, answers in KNOWN_ANSWERS.items():
        assert set(answers) == set(MeasurableRule), slug


@pytest.mark.parametrize(
    ("slug", "rule", "clause"),
    [(slug, rule, clause) for slug, answers in KNOWN_ANSWERS.items() for rule, clause in answers.items()],
    ids=lambda value: str(value),
)
def test_a_rule_cites_the_compacts_own_clause_or_none(compacts, slug, rule, clause):
    assert cited(compacts[slug], rule) == clause


def test_loading_twice_keeps_the_mapping(compacts):
    before = list(Commitment.objects.exclude(rule_key="").order_by("pk").values_list("pk", "rule_key"))

    compacts_load()

    assert list(Commitment.objects.exclude(rule_key="").order_by("pk").values_list("pk", "rule_key")) == before
    for slug, answers in KNOWN_ANSWERS.items():
        assert {rule: cited(compacts[slug], rule) for rule in answers} == answers, slug


def test_a_rule_key_changed_in_the_fixture_is_applied_on_reload(compacts, tmp_path):
    for path in COMPACT_FIXTURES.glob("*.json"):
        (tmp_path / path.name).write_text(path.read_text("utf-8"), "utf-8")
    leicestershire_file = tmp_path / "leicestershire.json"
    data = json.loads(leicestershire_file.read_text("utf-8"))
    for item in data["commitments"]:
        if item["code"] == "8":
            item["rule_key"] = None  # the review is no longer this commitment's ...
        if item["code"] == "VCS 19":
            item["rule_key"] = "compact_review"  # ... but this one's
        if item["code"] == "PSA 13":
            item["rule_key"] = "prompt_payment"  # a rule the compact did not carry before
    leicestershire_file.write_text(json.dumps(data), "utf-8")
    commitments = Commitment.objects.count()

    compacts_load(directory=tmp_path)

    leicestershire = compacts["leicestershire"]
    assert Commitment.objects.count() == commitments
    assert leicestershire.commitments.get(code="8").rule_key == ""
    assert cited(leicestershire, R.COMPACT_REVIEW) == "VCS 19"
    assert cited(leicestershire, R.PROMPT_PAYMENT) == "PSA 13"
    assert cited(leicestershire, R.NOTICE_PERIOD) == "Principle 11"  # the rest as before
    assert {rule: cited(compacts["portsmouth"], rule) for rule in PORTSMOUTH} == PORTSMOUTH


# --- Flags cite what the catalogue says ----------------------------------------------------------------------


def test_loading_the_compacts_makes_their_flags_cite_what_their_catalogues_say(compacts):
    from commitments.models import RuleKey
    from tests.commitments.factories import FlagFactory

    leicestershire, portsmouth = compacts["leicestershire"], compacts["portsmouth"]
    # As flags were written before each compact cited its own clauses: Portsmouth's numbers everywhere.
    notice = FlagFactory(compact=leicestershire, rule=RuleKey.NOTICE_TOO_SHORT, clause="13.3")
    payment = FlagFactory(compact=leicestershire, rule=RuleKey.INVOICE_OVERDUE, clause="11.2")
    review = FlagFactory(compact=portsmouth, rule=RuleKey.COMPACT_REVIEW_OVERDUE, clause="8")
    kept = FlagFactory(compact=portsmouth, rule=RuleKey.INVOICE_OVERDUE, clause="11.2")

    compacts_load()

    for flag in (notice, payment, review, kept):
        flag.refresh_from_db()
    assert (notice.clause, notice.commitment.code) == ("Principle 11", "Principle 11")
    assert (payment.clause, payment.commitment) == ("", None)  # Leicestershire states no payment term
    assert (review.clause, review.commitment) == ("", None)  # Portsmouth promises no review of itself
    assert (kept.clause, kept.commitment.code) == ("11.2", "11.2")


def test_the_flag_list_says_portal_default_and_filters_by_it(compacts, client_for, administrator):
    from django.urls import reverse

    from commitments.models import RuleKey
    from tests.commitments.factories import FlagFactory

    default = FlagFactory(compact=compacts["leicestershire"], rule=RuleKey.INVOICE_OVERDUE, clause="")
    FlagFactory(compact=compacts["portsmouth"], rule=RuleKey.INVOICE_OVERDUE, clause="11.2")
    client = client_for("administrator")

    everything = client.get(reverse("commitments:flag_list"))
    only_default = client.get(reverse("commitments:flag_list"), {"clause": "portal-default"})

    assert '<option value="portal-default">Portal default</option>' in everything.text
    assert "<td>Portal default</td>" in everything.text
    assert [flag.pk for flag, _link, _age in only_default.context["rows"]] == [default.pk]
