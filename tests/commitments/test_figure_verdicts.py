"""Kept, explained or broken (compact_portal/figures.py, ``Verdict``), for each promise the dashboard counts, at
the edges of each rule, in one read-only world: the records of the Verdict Compact in Q2 2026.

Each promise has a record that keeps it on the last day it can (kept), one a day past that with what the compact
accepts as an explanation (explained): a justification (9.2), an explanation of the shorter term (9.1), of the
shorter consultation (3.7) or of monitoring more often than the band (12.3), or a champion's waiver of the flag the
compliance scan raised, and the same record with neither (broken). A record that keeps the promise and records an
explanation as well is kept. A flag the scan resolved (the record put right late) explains nothing: only a waiver
does.

The dashboard's counts (``compact_figures``), the drill-down's lists (``figure_records(verdict=...)``) and the
verdict each record is annotated with must agree; and a health check puts each promise with the organisation
that made it (``shares``), not the one it was made to (``treated``).
"""

import datetime
from collections import Counter

import pytest
from dateutil.relativedelta import relativedelta

from commitments.models import Flag, FlagStatus, RecordType, RuleKey
from commitments.selectors.dashboard import compact_figures, figure_records
from commitments.services.compliance import compliance_scan
from commitments.services.flags import flag_waive
from compact_portal.accounts.roles import Role
from compact_portal.figures import Share, Verdict
from compact_portal.periods import Period
from consultations import services as consultation_services
from consultations.models import Represents
from funding import services as funding_services
from funding.services import monitoring
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import (
    ChampionFactory,
    CompactFactory,
    FlagFactory,
    OrganisationFactory,
    PublicBodyFactory,
    SignatureFactory,
)
from tests.consultations.factories import ConsultationFactory, publish_feedback
from tests.funding.factories import FundingRelationshipFactory, InvoiceFactory, NoticeFactory, pay_in_full
from tests.worlds import shared_world

pytestmark = pytest.mark.django_db

D = datetime.date
Q2_2026 = Period.quarter(2026, 2)
TODAY = D(2026, 11, 22)
KEPT, EXPLAINED, BROKEN = Verdict.KEPT.value, Verdict.EXPLAINED.value, Verdict.BROKEN.value
PROMISES = [
    "paid_on_time",
    "told_in_time",
    "multi_year",
    "notice_long_enough",
    "monitoring_proportionate",
    "returns_on_time",
    "improvement_timetable",
    "long_enough",
    "feedback_on_time",
]
# The promise the charity makes, to the council: its monitoring returns (17.3). The council makes the others.
CHARITYS = ["returns_on_time"]

# (figure, record, its verdict, what the record is): every record each promise counts in Q2 2026.
CASES = [
    ("paid_on_time", "inv-10th-day", KEPT, "paid on the 10th working day after receipt"),
    ("paid_on_time", "inv-11th-day-waived", EXPLAINED, "paid on the 11th, the paid-late flag waived"),
    ("paid_on_time", "inv-11th-day", BROKEN, "paid on the 11th"),
    ("paid_on_time", "inv-youth-11th-day", BROKEN, "the youth club's, paid on the 11th"),
    ("told_in_time", "on-the-day", KEPT, "told on the decision date"),
    ("told_in_time", "on-the-day-explained", KEPT, "told on the decision date, with a justification all the same"),
    ("told_in_time", "day-late-explained", EXPLAINED, "told a day late, with a justification"),
    ("told_in_time", "day-late-waived", EXPLAINED, "told a day late, the flag waived"),
    ("told_in_time", "day-late", BROKEN, "told a day late"),
    ("multi_year", "on-the-day", KEPT, "ending on the last day of the third year"),
    ("multi_year", "on-the-day-explained", KEPT, "ending then, with an explanation all the same"),
    ("multi_year", "day-late-explained", EXPLAINED, "a day short, the shorter term explained"),
    ("multi_year", "day-late-waived", EXPLAINED, "a day short, the flag waived"),
    ("multi_year", "day-late", BROKEN, "a day short"),
    ("notice_long_enough", "notice-3-months", KEPT, "taking effect three calendar months after the notice"),
    ("notice_long_enough", "notice-day-short-waived", EXPLAINED, "a day short, the flag waived"),
    ("notice_long_enough", "notice-day-short", BROKEN, "a day short"),
    # The notices for performance below (12.7) give full notice too.
    ("notice_long_enough", "performance-on-timetable-day", KEPT, "for performance, three calendar months' notice"),
    ("notice_long_enough", "performance-day-before-1", KEPT, "for performance, three calendar months' notice"),
    ("notice_long_enough", "performance-day-before-2", KEPT, "for performance, three calendar months' notice"),
    ("monitoring_proportionate", "plan-2-a-year", KEPT, "two returns a year on £30,000: the most the band allows"),
    ("monitoring_proportionate", "plan-2-a-year-explained", KEPT, "two a year, with a reason all the same"),
    ("monitoring_proportionate", "plan-4-a-year-explained", EXPLAINED, "four a year, the reason recorded"),
    ("monitoring_proportionate", "plan-4-a-year-waived", EXPLAINED, "four a year, the flag waived"),
    ("monitoring_proportionate", "plan-4-a-year", BROKEN, "four a year"),
    ("returns_on_time", "return-on-due-day", KEPT, "March's return, sent on its due day, Thursday 30 April"),
    ("returns_on_time", "return-day-late-waived", EXPLAINED, "April's, due Monday 1 June, sent on 2 June, waived"),
    ("returns_on_time", "return-day-late", BROKEN, "May's, due Tuesday 30 June, sent on 1 July"),
    ("improvement_timetable", "timetable-on-notice-day", KEPT, "ending for performance the day a timetable was agreed"),
    ("improvement_timetable", "timetable-day-after-waived", EXPLAINED, "the day before it was agreed, the flag waived"),
    ("improvement_timetable", "timetable-day-after", BROKEN, "the day before the timetable was agreed"),
    ("long_enough", "84-days", KEPT, "open 84 days, both ends counted"),
    ("long_enough", "84-days-explained", KEPT, "open 84 days, with an explanation all the same"),
    ("long_enough", "83-days-explained", EXPLAINED, "open 83 days, the shorter length explained"),
    ("long_enough", "83-days-waived", EXPLAINED, "open 83 days, the flag waived"),
    ("long_enough", "83-days", BROKEN, "open 83 days"),
    ("feedback_on_time", "feedback-on-due-day", KEPT, "feedback published on the day it fell due"),
    ("feedback_on_time", "feedback-day-late-waived", EXPLAINED, "published a day late, the flag waived"),
    ("feedback_on_time", "feedback-day-late", BROKEN, "published a day late, the flag resolved, not waived"),
]


def _paid(relationship, number: str, paid: datetime.date):
    """An invoice received on Tuesday 14 April 2026 (payable by Tuesday 28 April, the 10th working day after)."""
    invoice = InvoiceFactory(relationship=relationship, invoice_number=number, received_date=D(2026, 4, 14))
    assert invoice.pay_by == D(2026, 4, 28)
    return pay_in_full(invoice, paid)


def _decided(compact, city, food, reference: str, *, told: datetime.date, end: datetime.date, explained: bool):
    """An award to start on 1 August 2026 (to be told by 1 May; three years end on 31 July 2029), told on ``told``,
    running to ``end``; with a justification and an explanation of the term if ``explained``."""
    relationship = FundingRelationshipFactory(
        compact=compact,
        funder=city,
        recipient=food,
        reference=reference,
        expected_start=D(2026, 8, 1),
        start_date=D(2026, 8, 1),
        end_date=end,
        term_explanation="A pilot year, to be renewed if it works." if explained else "",
    )
    assert (relationship.decision_due_by, relationship.minimum_end_date) == (D(2026, 5, 1), D(2029, 7, 31))
    funding_services.decision_record(
        relationship=relationship,
        actor=None,
        kind="awarded",
        told_date=told,
        today=told,
        justification="The council's budget was set late." if explained else "",
    )
    relationship.refresh_from_db()
    return relationship


def _plan(relationship, returns_per_year: int, reason: str, agreed: datetime.date):
    """``relationship``'s monitoring plan, agreed on ``agreed``, set up as of ``TODAY``: it schedules no return
    already due by then (those counted are recorded as they happened, with ``_made``)."""
    return monitoring.monitoring_plan_set(
        relationship=relationship,
        actor=None,
        today=TODAY,
        questions="How many households did the food bank help?",
        purpose="To report to the council's cabinet.",
        returns_per_year=returns_per_year,
        service_user_views=True,
        agreed_on=agreed,
        disproportion_reason=reason,
    )


def _made(plan, start: datetime.date, end: datetime.date, sent: datetime.date | None = None):
    """The plan's return for ``start`` to ``end``, as it happened: sent on ``sent``, or not yet."""
    return monitoring.return_record(
        plan=plan, actor=None, today=sent or end, period_start=start, period_end=end, submitted_date=sent
    )


def _respond(consultation, organisation, today: datetime.date) -> None:
    consultation_services.response_save(
        consultation=consultation,
        organisation=organisation,
        actor=None,
        today=today,
        text="Our volunteers run the mobile library.",
        represents=Represents.OWN,
        how_gathered="",
        may_publish=False,
        submit=True,
    )


def _consulted(compact, city, food, *, opens: datetime.date, closes: datetime.date, explanation: str = ""):
    """A published consultation by the city, answered by the food bank the day after it opened."""
    consultation = ConsultationFactory(
        compact=compact,
        body=city,
        publish=True,
        announced_date=opens - datetime.timedelta(days=30),
        open_date=opens,
        close_date=closes,
        shorter_explanation=explanation,
    )
    _respond(consultation, food, opens + datetime.timedelta(days=1))
    return consultation


def _waive(compact, champion, rule: str, record_type: str, record) -> Flag:
    flag = Flag.objects.get(compact=compact, rule=rule, record_type=record_type, record_id=record.pk)
    return flag_waive(flag=flag, actor=champion, reason="The council explained it to the champions' group.")


def _build() -> dict:
    compact = CompactFactory(name="Verdict Compact", status="adopted", adopted_date=D(2025, 4, 1))
    city, food = PublicBodyFactory(name="Southsea City Council"), OrganisationFactory(name="Southsea Food Bank")
    youth = OrganisationFactory(name="Fratton Youth Club")
    for organisation in (city, food, youth):
        SignatureFactory(compact=compact, organisation=organisation, signed_date=D(2025, 6, 1))
    champion = MembershipFactory(organisation=city, role=Role.CHAMPION).user
    ChampionFactory(compact=compact, organisation=city, user=champion)
    records = {key: {} for key in PROMISES}

    # 11.2: invoices on funding running since January, awarded (in good time) in 2025.
    running = {"expected_start": D(2026, 1, 1), "start_date": D(2026, 1, 1), "end_date": D(2028, 12, 31)}
    grants = {}
    for recipient in (food, youth):
        grants[recipient] = FundingRelationshipFactory(compact=compact, funder=city, recipient=recipient, **running)
        funding_services.decision_record(
            relationship=grants[recipient], actor=None, kind="awarded", told_date=D(2025, 9, 1), today=D(2025, 9, 1)
        )
    invoices = records["paid_on_time"]
    invoices["inv-10th-day"] = _paid(grants[food], "INV-ON-TIME", D(2026, 4, 28))
    invoices["inv-11th-day-waived"] = _paid(grants[food], "INV-LATE-WAIVED", D(2026, 4, 29))
    invoices["inv-11th-day"] = _paid(grants[food], "INV-LATE", D(2026, 4, 29))
    invoices["inv-youth-11th-day"] = _paid(grants[youth], "INV-YOUTH-LATE", D(2026, 4, 29))

    # 9.2 and 9.1: one award each, whose decision counts for the one and whose term for the other. A pending
    # application first, so a decision's id is not its relationship's (a waiver names the relationship).
    FundingRelationshipFactory(compact=compact, funder=city, recipient=youth, expected_start=D(2027, 6, 1))
    for name, told, end, explained in (
        ("on-the-day", D(2026, 5, 1), D(2029, 7, 31), False),
        ("on-the-day-explained", D(2026, 5, 1), D(2029, 7, 31), True),
        ("day-late-explained", D(2026, 5, 2), D(2029, 7, 30), True),
        ("day-late-waived", D(2026, 5, 2), D(2029, 7, 30), False),
        ("day-late", D(2026, 5, 2), D(2029, 7, 30), False),
    ):
        relationship = _decided(compact, city, food, f"GR-{name}", told=told, end=end, explained=explained)
        records["told_in_time"][name] = records["multi_year"][name] = relationship.decisions.get()

    # 13.3: notices on the food bank's running grant, given on 1 April: three months run to 1 July.
    for name, effective in (
        ("notice-3-months", D(2026, 7, 1)),
        ("notice-day-short-waived", D(2026, 6, 30)),
        ("notice-day-short", D(2026, 6, 30)),
    ):
        notice = NoticeFactory(relationship=grants[food], notice_date=D(2026, 4, 1), effective_date=effective)
        assert notice.notice_owed
        assert notice.earliest_effective_date == D(2026, 7, 1)
        records["notice_long_enough"][name] = notice

    # 12.7: three more grants to the food bank, awarded in 2025, each with an improvement timetable agreed on 2 April;
    # a notice ending each for performance that day (kept) or the day before (explained by a waiver, or broken),
    # each giving three months' notice.
    for name, given, timetable in (
        ("performance-on-timetable-day", D(2026, 4, 2), "timetable-on-notice-day"),
        ("performance-day-before-1", D(2026, 4, 1), "timetable-day-after-waived"),
        ("performance-day-before-2", D(2026, 4, 1), "timetable-day-after"),
    ):
        grant = FundingRelationshipFactory(
            compact=compact, funder=city, recipient=food, reference=f"GR-{timetable}", **running
        )
        funding_services.decision_record(
            relationship=grant, actor=None, kind="awarded", told_date=D(2025, 9, 1), today=D(2025, 9, 1)
        )
        monitoring.improvement_timetable_agree(
            relationship=grant,
            actor=None,
            today=D(2026, 4, 2),
            problems="Sessions were cancelled through the winter.",
            agreed_on=D(2026, 4, 2),
            review_on=D(2026, 6, 1),
            actions=[("Recruit two more volunteer drivers", D(2026, 5, 1))],
        )
        notice = NoticeFactory(
            relationship=grant, notice_date=given, effective_date=given + relativedelta(months=3), for_performance=True
        )
        records["notice_long_enough"][name] = records["improvement_timetable"][timetable] = notice

    # 12.3: the awards' plans, agreed on 1 May: £30,000 is in the band of at most two returns a year.
    for name, award, returns_per_year, reason in (
        ("plan-2-a-year", "on-the-day", 2, ""),
        ("plan-2-a-year-explained", "on-the-day-explained", 2, "Our board reports twice a year."),
        ("plan-4-a-year-explained", "day-late-explained", 4, "A new service: we meet each quarter in its first year."),
        ("plan-4-a-year-waived", "day-late-waived", 4, ""),
        ("plan-4-a-year", "day-late", 4, ""),
    ):
        relationship = records["told_in_time"][award].relationship
        records["monitoring_proportionate"][name] = _plan(relationship, returns_per_year, reason, D(2026, 5, 1))

    # 17.3: the food bank's monthly returns on its grant (agreed in 2025, with its reason), for March, April and
    # May. The scan of 2 June finds April's overdue; the champion waives it; it is sent that day.
    monthly = _plan(grants[food], 12, "Monthly figures while the service is piloted.", D(2025, 12, 1))
    returns = records["returns_on_time"]
    returns["return-on-due-day"] = _made(monthly, D(2026, 3, 1), D(2026, 3, 31), sent=D(2026, 4, 30))
    returns["return-day-late-waived"] = _made(monthly, D(2026, 4, 1), D(2026, 4, 30))
    returns["return-day-late"] = _made(monthly, D(2026, 5, 1), D(2026, 5, 31))
    assert [r.due_date for r in returns.values()] == [D(2026, 4, 30), D(2026, 6, 1), D(2026, 6, 30)]
    compliance_scan(
        today=D(2026, 6, 2), compact=compact, rule_keys=[RuleKey.MONITORING_RETURN_OVERDUE], send_digest=False
    )
    _waive(
        compact,
        champion,
        RuleKey.MONITORING_RETURN_OVERDUE,
        RecordType.MONITORING_RETURN,
        returns["return-day-late-waived"],
    )
    _made(monthly, D(2026, 4, 1), D(2026, 4, 30), sent=D(2026, 6, 2))
    _made(monthly, D(2026, 5, 1), D(2026, 5, 31), sent=D(2026, 7, 1))

    # 3.7: consultations opened on Monday 6 April; closing on Sunday 28 June makes 84 days, 12 weeks.
    for name, closes, explanation in (
        ("84-days", D(2026, 6, 28), ""),
        ("84-days-explained", D(2026, 6, 28), "Timed to the budget."),
        ("83-days-explained", D(2026, 6, 27), "The government's deadline fell on the Monday."),
        ("83-days-waived", D(2026, 6, 27), ""),
        ("83-days", D(2026, 6, 27), ""),
    ):
        consultation = _consulted(compact, city, food, opens=D(2026, 4, 6), closes=closes, explanation=explanation)
        records["long_enough"][name] = consultation

    # 3.5: consultations of January (5 January to 29 March: 12 weeks), whose feedback fell due on 21 June.
    feedback = records["feedback_on_time"]
    for name in ("feedback-on-due-day", "feedback-day-late-waived", "feedback-day-late"):
        feedback[name] = _consulted(compact, city, food, opens=D(2026, 1, 5), closes=D(2026, 3, 29))
        assert feedback[name].feedback_due == D(2026, 6, 21)
    publish_feedback(feedback["feedback-on-due-day"], today=D(2026, 6, 21))
    # The scan of 22 June finds the two late ones overdue; the champion waives one; both are published that day.
    compliance_scan(
        today=D(2026, 6, 22), compact=compact, rule_keys=[RuleKey.CONSULTATION_FEEDBACK_OVERDUE], send_digest=False
    )
    _waive(
        compact,
        champion,
        RuleKey.CONSULTATION_FEEDBACK_OVERDUE,
        RecordType.CONSULTATION,
        feedback["feedback-day-late-waived"],
    )
    for late in ("feedback-day-late-waived", "feedback-day-late"):
        publish_feedback(feedback[late], today=D(2026, 6, 22))

    # Every rule, once every term has started: the flags the champion then waives.
    compliance_scan(today=D(2026, 8, 15), compact=compact, send_digest=False)
    waivers = [
        (RuleKey.INVOICE_PAID_LATE, RecordType.INVOICE, invoices["inv-11th-day-waived"]),
        (RuleKey.DECISION_TOO_LATE, RecordType.FUNDING_RELATIONSHIP, records["told_in_time"]["day-late-waived"]),
        (RuleKey.FUNDING_TERM_TOO_SHORT, RecordType.FUNDING_RELATIONSHIP, records["multi_year"]["day-late-waived"]),
        (RuleKey.NOTICE_TOO_SHORT, RecordType.NOTICE, records["notice_long_enough"]["notice-day-short-waived"]),
        (RuleKey.CONSULTATION_TOO_SHORT, RecordType.CONSULTATION, records["long_enough"]["83-days-waived"]),
        (
            RuleKey.MONITORING_DISPROPORTIONATE,
            RecordType.FUNDING_RELATIONSHIP,
            records["monitoring_proportionate"]["plan-4-a-year-waived"],
        ),
        (
            RuleKey.IMPROVEMENT_TIMETABLE_MISSING,
            RecordType.NOTICE,
            records["improvement_timetable"]["timetable-day-after-waived"],
        ),
    ]
    for rule, record_type, record in waivers:
        if record_type == RecordType.FUNDING_RELATIONSHIP:
            record = record.relationship
        _waive(compact, champion, rule, record_type, record)
    return {"compact": compact, "city": city, "food": food, "youth": youth, "records": records}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The Verdict Compact: built once in a transaction rolled back at the end; each test's own transaction
    nests inside it (the few that add a flag lose it when theirs is rolled back)."""
    with shared_world(django_db_blocker, tmp_path_factory):
        yield _build()


def figures_of(world, organisation=None):
    return compact_figures(compact=world["compact"], period=Q2_2026, today=TODAY, organisation=organisation)


def records_of(world, key: str, **scope) -> dict[str, str]:
    """The drill-down's records of ``key`` in Q2 2026, by their name in ``CASES``, with their verdicts."""
    names = {record.pk: name for name, record in world["records"][key].items()}
    found = figure_records(key=key, compact=world["compact"], period=Q2_2026, **scope)
    return {names[record.pk]: record.verdict for record in found}


def expected_share(key: str, names=None) -> Share:
    """The share of ``CASES`` (only the records ``names``, if given) that kept, explained or broke ``key``."""
    verdicts = Counter(
        verdict for figure, name, verdict, _ in CASES if figure == key and (names is None or name in names)
    )
    return Share(verdicts[KEPT], sum(verdicts.values()), verdicts[EXPLAINED])


def test_the_world_holds_each_case_once():
    assert len({(key, name) for key, name, _, _ in CASES}) == len(CASES)
    assert {key for key, _, _, _ in CASES} == set(PROMISES)
    for key in PROMISES:
        assert {verdict for figure, _, verdict, _ in CASES if figure == key} == set(Verdict.values), key


@pytest.mark.parametrize(
    ("key", "name", "verdict"),
    [pytest.param(key, name, verdict, id=f"{key}-{name}") for key, name, verdict, _ in CASES],
)
def test_each_record_has_its_verdict(world, key, name, verdict):
    assert records_of(world, key)[name] == verdict
    for each in Verdict.values:
        listed = records_of(world, key, verdict=each)
        assert (name in listed) is (each == verdict), each
        assert set(listed.values()) <= {each}


@pytest.mark.parametrize("key", PROMISES)
def test_the_dashboard_counts_what_the_drill_down_lists(world, key):
    """``compact_figures`` counts kept, explained and broken as ``figure_records`` lists them, and the three lists
    share out every record the figure counted, none twice."""
    share = figures_of(world).share(key).current
    every = records_of(world, key)
    lists = {verdict: records_of(world, key, verdict=verdict) for verdict in Verdict.values}

    assert share == expected_share(key)
    assert (share.met, share.explained, share.broken) == tuple(len(lists[v]) for v in Verdict.values)
    assert share.total == len(every) == sum(len(listed) for listed in lists.values())
    assert set().union(*lists.values()) == set(every)
    assert not set(lists[KEPT]) & set(lists[EXPLAINED])
    assert not set(lists[KEPT]) & set(lists[BROKEN])
    assert not set(lists[EXPLAINED]) & set(lists[BROKEN])
    assert share.percent + share.explained_percent + share.broken_percent == 100


# A flag waived on the broken record, but of another rule, or on another kind of record with the same id.
OTHER_WAIVERS = [
    ("paid_on_time", "inv-11th-day", RuleKey.INVOICE_OVERDUE, RecordType.INVOICE),
    ("paid_on_time", "inv-11th-day", RuleKey.INVOICE_PAID_LATE, RecordType.NOTICE),
    ("told_in_time", "day-late", RuleKey.FUNDING_TERM_TOO_SHORT, RecordType.FUNDING_RELATIONSHIP),
    ("told_in_time", "day-late", RuleKey.DECISION_TOO_LATE, RecordType.INVOICE),
    ("multi_year", "day-late", RuleKey.DECISION_TOO_LATE, RecordType.FUNDING_RELATIONSHIP),
    ("notice_long_enough", "notice-day-short", RuleKey.NOTICE_WITHOUT_IMPACT_ASSESSMENT, RecordType.NOTICE),
    ("notice_long_enough", "notice-day-short", RuleKey.NOTICE_TOO_SHORT, RecordType.INVOICE),
    ("monitoring_proportionate", "plan-4-a-year", RuleKey.MONITORING_NOT_AGREED, RecordType.FUNDING_RELATIONSHIP),
    ("monitoring_proportionate", "plan-4-a-year", RuleKey.MONITORING_DISPROPORTIONATE, RecordType.NOTICE),
    ("returns_on_time", "return-day-late", RuleKey.MONITORING_DISPROPORTIONATE, RecordType.MONITORING_RETURN),
    ("returns_on_time", "return-day-late", RuleKey.MONITORING_RETURN_OVERDUE, RecordType.INVOICE),
    ("improvement_timetable", "timetable-day-after", RuleKey.NOTICE_TOO_SHORT, RecordType.NOTICE),
    ("improvement_timetable", "timetable-day-after", RuleKey.IMPROVEMENT_TIMETABLE_MISSING, RecordType.INVOICE),
    ("long_enough", "83-days", RuleKey.CONSULTATION_NOT_ANNOUNCED, RecordType.CONSULTATION),
    ("long_enough", "83-days", RuleKey.CONSULTATION_FEEDBACK_OVERDUE, RecordType.CONSULTATION),
    ("feedback_on_time", "feedback-day-late", RuleKey.CONSULTATION_TOO_SHORT, RecordType.CONSULTATION),
    ("feedback_on_time", "feedback-day-late", RuleKey.CONSULTATION_FEEDBACK_OVERDUE, RecordType.CONCERN),
]


@pytest.mark.parametrize(
    ("key", "name", "rule", "record_type"),
    [pytest.param(*waiver, id=f"{waiver[0]}-{waiver[2]}-on-{waiver[3]}") for waiver in OTHER_WAIVERS],
)
def test_only_a_waiver_of_the_promises_own_flag_explains_it(world, key, name, rule, record_type):
    """The broken record stays broken when the flag waived is another rule's, or another kind of record's that
    happens to have the same id (a decision's and a monitoring plan's flags are on its funding relationship)."""
    record = world["records"][key][name]
    record_id = (
        record.relationship_id if key in ("told_in_time", "multi_year", "monitoring_proportionate") else record.pk
    )
    FlagFactory(
        compact=world["compact"],
        organisation=world["city"],
        rule=rule,
        record_type=record_type,
        record_id=record_id,
        status=FlagStatus.WAIVED,
        status_reason="Waived for another reason.",
    )

    assert records_of(world, key)[name] == BROKEN
    assert figures_of(world).share(key).current == expected_share(key)


def test_a_decisions_waiver_is_of_its_relationship_not_of_a_record_with_the_decisions_id(world):
    """A waived late-decision flag on the relationship whose id is the broken decision's own id explains
    nothing: the flag is of another award."""
    decision = world["records"]["told_in_time"]["day-late"]
    if decision.pk == decision.relationship_id:  # only where another database's sequences line them up
        pytest.skip("the decision's id is its relationship's: no other relationship has it")
    FlagFactory(
        compact=world["compact"],
        organisation=world["city"],
        rule=RuleKey.DECISION_TOO_LATE,
        record_type=RecordType.FUNDING_RELATIONSHIP,
        record_id=decision.pk,
        status=FlagStatus.WAIVED,
        status_reason="Waived for another award.",
    )

    assert records_of(world, "told_in_time")["day-late"] == BROKEN


def test_a_share_by_value_counts_no_explanation(world):
    """Multi-year funding by value: kept or not, in pounds; an explanation is of an award, not of its pounds."""
    by_value = next(f for f in figures_of(world).shares if f.key == "multi_year" and f.by_value)

    assert {decision.relationship.amount for decision in world["records"]["multi_year"].values()} == {30000}
    assert by_value.current == Share(2 * 30000, 5 * 30000)  # the two kept of the five awards


# --- Whose promise it is --------------------------------------------------------------------------------------


def test_a_charitys_health_check_shows_the_councils_promises_to_it_under_treated(world):
    """The food bank made only its monitoring returns (17.3), to the council: they are its ``shares``. Every other
    promise is under ``treated``, as the council kept it to the food bank (the youth club's late invoice is not the
    food bank's)."""
    figures = figures_of(world, world["food"])
    food_invoices = {name for name in world["records"]["paid_on_time"] if name != "inv-youth-11th-day"}

    assert {f.key for f in figures.shares} == {f.key for f in figures.treated} >= set(PROMISES)
    own = {f.key: f.current for f in figures.shares if not f.by_value}
    assert own["returns_on_time"] == expected_share("returns_on_time") == Share(1, 3, 1)
    assert all(f.current.total == 0 and f.previous.total == 0 for f in figures.shares if f.key not in CHARITYS)
    treated = {f.key: f.current for f in figures.treated if not f.by_value}
    assert treated["paid_on_time"] == expected_share("paid_on_time", food_invoices) == Share(1, 3, 1)
    for key in PROMISES[1:]:
        assert treated[key] == (Share(0, 0) if key in CHARITYS else expected_share(key)), key
    assert records_of(world, "paid_on_time", organisation=world["food"], role="recipient") == {
        "inv-10th-day": KEPT,
        "inv-11th-day-waived": EXPLAINED,
        "inv-11th-day": BROKEN,
    }
    assert records_of(world, "paid_on_time", organisation=world["food"], role="promiser") == {}


def test_another_charitys_health_check_holds_only_its_own_invoice(world):
    figures = figures_of(world, world["youth"])

    assert next(f for f in figures.treated if f.key == "paid_on_time").current == Share(0, 1)
    assert all(f.current.total == 0 for f in figures.shares)
    assert all(f.current.total == 0 for f in figures.treated if f.key != "paid_on_time")


def test_the_councils_health_check_shows_its_promises_under_shares(world):
    """The council made every promise but the food bank's returns: all of them, to either charity, are its
    ``shares``, counted as on the compact's dashboard; the returns were made to it (``treated``)."""
    council, compact = figures_of(world, world["city"]), figures_of(world)

    assert [(f.key, f.by_value, f.current) for f in council.shares if f.key not in CHARITYS] == [
        (f.key, f.by_value, f.current) for f in compact.shares if f.key not in CHARITYS
    ]
    assert council.share("paid_on_time").current == expected_share("paid_on_time") == Share(1, 4, 1)
    assert council.share("returns_on_time").current == Share(0, 0)
    to_it = {f.key: f.current for f in council.treated}
    assert to_it["returns_on_time"] == compact.share("returns_on_time").current == expected_share("returns_on_time")
    assert all(f.current.total == 0 and f.previous.total == 0 for f in council.treated if f.key not in CHARITYS)
    assert records_of(world, "paid_on_time", organisation=world["city"], role="recipient") == {}
