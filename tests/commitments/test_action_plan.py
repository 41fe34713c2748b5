"""A compact's action plan and its reviews: the services and who may use them, the pages by role (public and private
plans), the ``action_overdue`` rule at its edges through the engine, its live re-check, the dashboard's panel and
the report's lines, each in a number of queries that does not grow with the plan."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from commitments import figures as registry
from commitments import rulebook
from commitments import waiting as waiting_module
from commitments.figures import PanelScope
from commitments.models import (
    ActionStatus,
    CheckStatus,
    Flag,
    FlagStatus,
    MeasurableRule,
    Objective,
    PlanAction,
    ProgressNote,
    RecordType,
    Review,
    ReviewKind,
    RuleKey,
)
from commitments.reporting.pdf import render_report
from commitments.reporting.tables import action_plan_tables
from commitments.selectors import plans as selectors
from commitments.selectors.dashboard import compact_figures
from commitments.services import plans as services
from commitments.services.compliance import compliance_scan
from compact_portal import worklist
from compact_portal.accounts.roles import Role
from compact_portal.periods import Period
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.commitments.factories import ChampionFactory, CommitmentFactory, CompactFactory, SignatureFactory
from tests.commitments.test_dashboard_summary import pdf_pages

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
RULE = RuleKey.ACTION_OVERDUE


@pytest.fixture(autouse=True)
def same_day(monkeypatch):
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)


@pytest.fixture
def compact(db, council, charity):
    compact = CompactFactory(
        name="Southsea Compact", status="adopted", adopted_date=TODAY - 300 * DAY, next_review_date=TODAY + 60 * DAY
    )
    SignatureFactory(compact=compact, organisation=council)
    SignatureFactory(compact=compact, organisation=charity)
    return compact


@pytest.fixture
def plan_champion(compact, council):
    user = MembershipFactory(organisation=council, role=Role.CHAMPION, user__full_name="Cara Champion").user
    ChampionFactory(compact=compact, organisation=council, user=user)
    return user


@pytest.fixture
def objective(compact):
    return services.objective_create(compact=compact, actor=None, number="1", title="Work together better")


def add_action(objective, *, due=TODAY + 30 * DAY, lead_organisation=None, status=ActionStatus.NOT_STARTED, **more):
    fields = {"lead_group": "The champions' group"} if lead_organisation is None and "lead_person" not in more else {}
    return services.plan_action_create(
        objective=objective,
        actor=None,
        today=TODAY,
        what=more.pop("what", "Hold a joint event for both sectors"),
        lead_organisation=lead_organisation,
        due_date=due,
        status=status,
        **(fields | more),
    )


@pytest.fixture
def action(objective, charity):
    return add_action(objective, lead_organisation=charity)


# --- Services and who may use them ------------------------------------------------------------------------------


def test_a_champion_builds_the_plan_in_order(compact, plan_champion, charity):
    first = services.objective_create(compact=compact, actor=plan_champion, number="1", title="Joint priorities")
    second = services.objective_create(compact=compact, actor=plan_champion, number="2", title="Culture")
    commitment = CommitmentFactory(compact=compact, code="3.2")
    action = services.plan_action_create(
        objective=second,
        actor=plan_champion,
        today=TODAY,
        what="Run a partnership event",
        lead_organisation=charity,
        timescale="Every six months",
        commitments=[commitment],
    )
    assert [first.position, second.position] == [0, 1]
    assert action.created_by == plan_champion
    assert list(action.commitments.all()) == [commitment]
    assert action.history.first().history_user == plan_champion


@pytest.mark.parametrize("who", ["officer", "vcs_member", "champion", "outsider", "panel_member"])
def test_only_the_compacts_champions_and_administrators_edit_the_plan(compact, who, request):
    person = request.getfixturevalue(who)  # ``champion`` holds the role but is not appointed to this compact
    with pytest.raises(PermissionDenied):
        services.objective_create(compact=compact, actor=person, number="9", title="Not theirs")
    assert not Objective.objects.exists()


def test_an_administrator_edits_any_plan(compact, administrator):
    assert services.objective_create(compact=compact, actor=administrator, number="1", title="Priorities").pk


@pytest.mark.parametrize(
    ("lead_as", "may"),
    [
        ("lead_person", True),
        (Role.OFFICER, True),
        (Role.VCS_MEMBER, True),
        (Role.CHAMPION, True),
        (Role.PANEL_MEMBER, False),  # a panel member of the lead organisation is not one of its leads
    ],
)
def test_an_actions_lead_updates_its_status_and_notes_it(objective, charity, council, lead_as, may):
    if lead_as == "lead_person":
        person = UserFactory()
        action = add_action(objective, lead_person=person)
    else:
        organisation = council if lead_as == Role.OFFICER else charity
        person = MembershipFactory(organisation=organisation, role=lead_as).user
        action = add_action(objective, lead_organisation=organisation)
    if not may:
        with pytest.raises(PermissionDenied):
            services.plan_action_update(action=action, actor=person, today=TODAY, status=ActionStatus.ON_TRACK)
        with pytest.raises(PermissionDenied):
            services.progress_note_add(action=action, actor=person, today=TODAY, text="Going well")
        return
    services.plan_action_update(action=action, actor=person, today=TODAY, status=ActionStatus.ON_TRACK)
    note = services.progress_note_add(action=action, actor=person, today=TODAY, text="Venue booked")
    action.refresh_from_db()
    assert action.status == ActionStatus.ON_TRACK
    assert (note.noted_on, note.author) == (TODAY, person)
    with pytest.raises(PermissionDenied):  # the rest of the action is the plan's editors'
        services.plan_action_update(action=action, actor=person, today=TODAY, due_date=TODAY + 90 * DAY)


def test_another_organisations_member_cannot_update_the_action(action, outsider):
    with pytest.raises(PermissionDenied):
        services.plan_action_update(action=action, actor=outsider, today=TODAY, status=ActionStatus.DONE, done_on=TODAY)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"status": ActionStatus.DONE, "done_on": None}, "done_on"),
        ({"status": ActionStatus.DONE, "done_on": TODAY + DAY}, "done_on"),  # done tomorrow: not yet
        ({"status": ActionStatus.DROPPED, "dropped_reason": "  "}, "dropped_reason"),
        ({"due_date": None, "timescale": ""}, "due_date"),
    ],
)
def test_an_action_is_refused_without_what_its_status_needs(action, fields, field):
    with pytest.raises(ValidationError) as refused:
        services.plan_action_update(action=action, actor=None, today=TODAY, **fields)
    assert field in refused.value.message_dict


def test_done_today_and_dropped_with_a_reason_are_kept_and_the_rest_tidied(action):
    done = services.plan_action_update(
        action=action, actor=None, today=TODAY, status=ActionStatus.DONE, done_on=TODAY, dropped_reason="stale"
    )
    assert (done.done_on, done.dropped_reason) == (TODAY, "")
    dropped = services.plan_action_update(
        action=action, actor=None, today=TODAY, status=ActionStatus.DROPPED, dropped_reason="Merged into 2.1"
    )
    assert (dropped.done_on, dropped.dropped_reason) == (None, "Merged into 2.1")


def test_an_action_cannot_serve_another_compacts_commitment(objective):
    elsewhere = CommitmentFactory(compact=CompactFactory(name="Havant Compact"))
    with pytest.raises(ValidationError) as refused:
        add_action(objective, commitments=[elsewhere])
    assert "commitments" in refused.value.message_dict


def test_a_note_is_refused_empty_or_after_today(action):
    with pytest.raises(ValidationError) as refused:
        services.progress_note_add(action=action, actor=None, today=TODAY, text=" ", noted_on=TODAY + DAY)
    assert set(refused.value.message_dict) == {"text", "noted_on"}


def review(compact, actor=None, *, held_on=TODAY, next_review_on=TODAY + 365 * DAY, kind=ReviewKind.ACTION_PLAN):
    return services.review_record(
        compact=compact,
        actor=actor,
        today=TODAY,
        kind=kind,
        held_on=held_on,
        public_participants="Two council officers",
        vcs_participants="Solent Voluntary Action",
        findings="Half the actions are late.",
        next_review_on=next_review_on,
    )


@pytest.mark.parametrize("kind", list(ReviewKind))
def test_a_review_of_the_compact_or_its_plan_sets_the_next_review_date(compact, plan_champion, kind):
    review(compact, plan_champion, kind=kind, next_review_on=TODAY + 200 * DAY)
    compact.refresh_from_db()
    assert compact.next_review_date == TODAY + 200 * DAY
    assert compact.history.first().history_user == plan_champion


def test_a_review_recorded_late_for_an_earlier_day_leaves_the_latest_reviews_date(compact):
    review(compact, held_on=TODAY - 10 * DAY, next_review_on=TODAY + 170 * DAY)
    review(compact, held_on=TODAY - 100 * DAY, next_review_on=TODAY + 80 * DAY)
    compact.refresh_from_db()
    assert compact.next_review_date == TODAY + 170 * DAY


@pytest.mark.parametrize(
    ("held_on", "next_review_on", "field"),
    [(TODAY + DAY, TODAY + 100 * DAY, "held_on"), (TODAY, TODAY, "next_review_on")],
)
def test_a_review_is_refused_before_it_is_held_or_with_no_later_next_review(compact, held_on, next_review_on, field):
    with pytest.raises(ValidationError) as refused:
        review(compact, held_on=held_on, next_review_on=next_review_on)
    assert field in refused.value.message_dict
    assert not Review.objects.exists()


@pytest.mark.parametrize("who", ["officer", "vcs_member", "outsider"])
def test_only_champions_and_administrators_record_reviews(compact, who, request):
    with pytest.raises(PermissionDenied):
        review(compact, request.getfixturevalue(who))


def test_a_review_resolves_the_overdue_review_flag_once_it_commits(
    compact, django_capture_on_commit_callbacks, tasks_run_in_process
):
    compact.next_review_date = TODAY - DAY
    compact.save()
    compliance_scan(today=TODAY, compact=compact, rule_keys=[RuleKey.COMPACT_REVIEW_OVERDUE], send_digest=False)
    assert Flag.objects.get(rule=RuleKey.COMPACT_REVIEW_OVERDUE).status == FlagStatus.OPEN
    with django_capture_on_commit_callbacks(execute=True):
        review(compact, kind=ReviewKind.COMPACT)
    assert Flag.objects.get(rule=RuleKey.COMPACT_REVIEW_OVERDUE).status == FlagStatus.RESOLVED


# --- The rule through the engine ----------------------------------------------------------------------------------


def scan(compact):
    run = compliance_scan(today=TODAY, compact=compact, rule_keys=[RULE], send_digest=False)
    assert list(run.checks.values_list("rule", "status")) == [(RULE, CheckStatus.DONE)]
    return list(Flag.objects.filter(compact=compact, rule=RULE))


@pytest.mark.parametrize(
    ("due", "status"),
    [
        (TODAY - DAY, FlagStatus.OPEN),  # due yesterday: late
        (TODAY, FlagStatus.AT_RISK),  # due today: not late yet
        (TODAY + DAY, FlagStatus.AT_RISK),
        (TODAY + 10 * DAY, FlagStatus.AT_RISK),  # the last day of the ten
        (TODAY + 11 * DAY, None),
    ],
)
def test_an_open_action_is_flagged_late_the_day_after_it_is_due_and_at_risk_ten_days_before(
    objective, charity, due, status
):
    action = add_action(objective, lead_organisation=charity, due=due, status=ActionStatus.ON_TRACK)
    flags = scan(objective.compact)
    assert [flag.status for flag in flags] == ([status] if status else [])
    if status:
        flag = flags[0]
        assert (flag.record_type, flag.record_id, flag.due_date) == (RecordType.PLAN_ACTION, action.pk, due)
        assert flag.organisation == charity
        assert flag.record_label == "Action under objective 1: Hold a joint event for both sectors"
        assert flag.clause == ""  # no compact's document promises it: the portal's default
        assert "portal default: the action plan's actions done by their due dates" in rulebook.citation(flag)


@pytest.mark.parametrize(
    "fields",
    [
        {"status": ActionStatus.DONE, "done_on": TODAY - 2 * DAY},
        {"status": ActionStatus.DROPPED, "dropped_reason": "Overtaken by the new strategy"},
        {"due_date": None, "timescale": "Ongoing"},
    ],
)
def test_a_done_dropped_or_undated_action_is_never_flagged(objective, charity, fields):
    action = add_action(objective, lead_organisation=charity, due=TODAY - 5 * DAY)
    services.plan_action_update(action=action, actor=None, today=TODAY, **fields)
    assert scan(objective.compact) == []


def test_an_action_without_a_lead_organisation_is_flagged_against_no_one(objective):
    add_action(objective, due=TODAY - 3 * DAY)
    assert [flag.organisation for flag in scan(objective.compact)] == [None]


def test_the_flag_cites_the_compacts_commitment_where_its_document_makes_the_promise(objective):
    CommitmentFactory(compact=objective.compact, code="11", rule_key=MeasurableRule.ACTION_PLAN)
    add_action(objective, due=TODAY - 3 * DAY)
    assert [flag.clause for flag in scan(objective.compact)] == ["11"]


def test_marking_the_action_done_resolves_its_flag_at_once(
    objective, charity, django_capture_on_commit_callbacks, tasks_run_in_process
):
    action = add_action(objective, lead_organisation=charity, due=TODAY - 3 * DAY)
    assert [flag.status for flag in scan(objective.compact)] == [FlagStatus.OPEN]
    with django_capture_on_commit_callbacks(execute=True):
        services.plan_action_update(action=action, actor=None, today=TODAY, status=ActionStatus.DONE, done_on=TODAY)
    assert Flag.objects.get(rule=RULE).status == FlagStatus.RESOLVED


def test_a_due_date_moved_into_the_past_raises_the_flag_at_once(
    action, django_capture_on_commit_callbacks, tasks_run_in_process
):
    with django_capture_on_commit_callbacks(execute=True):
        services.plan_action_update(action=action, actor=None, today=TODAY, due_date=TODAY - DAY)
    assert Flag.objects.get(rule=RULE, record_id=action.pk).status == FlagStatus.OPEN


# --- The summary and the late actions ---------------------------------------------------------------------------


def test_the_summary_counts_each_action_once_late_before_its_status(objective, charity):
    add_action(objective, due=TODAY - DAY, status=ActionStatus.ON_TRACK)  # late
    add_action(objective, due=TODAY - DAY, status=ActionStatus.AT_RISK)  # late
    add_action(objective, due=TODAY, status=ActionStatus.ON_TRACK)
    add_action(objective, due=TODAY + DAY)  # not started
    add_action(objective, due=TODAY - DAY, status=ActionStatus.DONE, done_on=TODAY - 2 * DAY)
    add_action(objective, due=TODAY - DAY, status=ActionStatus.DROPPED, dropped_reason="No longer needed")
    add_action(objective, due=None, timescale="Ongoing", status=ActionStatus.AT_RISK)
    summary = selectors.plan_summary(compact=objective.compact, today=TODAY)
    assert summary == selectors.PlanSummary(done=1, on_track=1, not_started=1, at_risk=1, late=2, dropped=1)
    assert summary.text == "Action plan: 1 done, 1 on track, 2 late"
    late = selectors.late_actions(compact=objective.compact, today=TODAY)
    assert [action.status for action in late] == [ActionStatus.ON_TRACK, ActionStatus.AT_RISK]


# --- Pages --------------------------------------------------------------------------------------------------------


def url(name, compact, *args):
    return reverse(f"commitments:{name}", args=[compact.slug, *args])


@pytest.mark.parametrize("public", [True, False])
def test_the_plan_is_public_unless_the_compact_keeps_it_private(client, action, public):
    compact = action.objective.compact
    compact.action_plan_public = public
    compact.save()
    for name, args in (("action_plan", ()), ("plan_action", (action.pk,)), ("reviews", ())):
        response = client.get(url(name, compact, *args))
        assert response.status_code == (200 if public else 404)
    detail = client.get(compact.get_absolute_url()).content.decode()
    assert (url("action_plan", compact) in detail) is public


def test_everyone_signed_in_sees_a_private_plan(client, action, person_without_roles):
    compact = action.objective.compact
    compact.action_plan_public = False
    compact.save()
    client.force_login(person_without_roles)
    page = client.get(url("action_plan", compact))
    assert page.status_code == 200
    assert "Hold a joint event" in page.content.decode()
    assert "Add an objective" not in page.content.decode()


def test_the_plan_shows_each_action_with_its_lead_date_status_and_late_ones_marked(client, objective, charity):
    add_action(objective, lead_organisation=charity, due=TODAY - DAY, what="Map the sector")
    add_action(objective, due=None, timescale="Every six months", what="Review the plan")
    body = client.get(url("action_plan", objective.compact)).content.decode()
    assert "Map the sector" in body
    assert charity.name in body
    assert "Late" in body
    assert "Every six months" in body
    assert "Action plan: 0 done, 0 on track, 1 late" in body


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("", {"Map the sector", "Review the plan"}),
        ("status=late", {"Map the sector"}),
        ("status=not_started", {"Review the plan"}),
        ("lead=southsea-community-food-bank", {"Map the sector"}),
        ("status=nonsense", {"Map the sector", "Review the plan"}),  # a filter that is no choice is left out
    ],
)
def test_the_plan_filters_by_status_and_lead(client, objective, charity, query, shown):
    add_action(objective, lead_organisation=charity, due=TODAY - DAY, what="Map the sector", status="on_track")
    add_action(objective, due=TODAY + 50 * DAY, what="Review the plan")
    body = client.get(url("action_plan", objective.compact) + "?" + query).content.decode()
    assert {what for what in ("Map the sector", "Review the plan") if what in body} == shown


def test_the_lead_filters_the_actions_they_lead(client, objective, charity, vcs_member):
    add_action(objective, lead_organisation=charity, what="Map the sector")
    add_action(objective, what="Review the plan")
    client.force_login(vcs_member)
    body = client.get(url("action_plan", objective.compact) + "?lead=mine").content.decode()
    assert "Map the sector" in body
    assert "Review the plan" not in body


def test_the_plans_queries_do_not_grow_with_the_plan(client, objective, charity, plan_champion):
    client.force_login(plan_champion)
    add_action(objective, lead_organisation=charity, commitments=[CommitmentFactory(compact=objective.compact)])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("action_plan", objective.compact)).status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for n in range(3):
        more = services.objective_create(compact=objective.compact, actor=None, number=f"{n + 2}", title="More")
        for _ in range(3):
            add_action(more, lead_organisation=charity, commitments=[CommitmentFactory(compact=objective.compact)])
    assert queries() == few


def test_an_action_of_another_compact_or_none_at_all_is_404(client, action):
    other = CompactFactory(name="Havant Compact")
    assert client.get(url("plan_action", other, action.pk)).status_code == 404
    assert client.get(url("plan_action", action.objective.compact, 999999)).status_code == 404
    assert client.get(reverse("commitments:action_plan", args=["no-such-compact"])).status_code == 404


def test_the_action_page_offers_its_lead_the_status_and_note_forms_others_none(client, action, vcs_member, outsider):
    compact = action.objective.compact
    client.force_login(outsider)
    assert "Update the status" not in client.get(url("plan_action", compact, action.pk)).content.decode()
    assert client.post(url("plan_action_status", compact, action.pk), {"status": "done"}).status_code == 404
    client.force_login(vcs_member)
    assert "Update the status" in client.get(url("plan_action", compact, action.pk)).content.decode()


def test_the_lead_marks_the_action_done_and_notes_progress_from_its_page(client, action, vcs_member):
    compact = action.objective.compact
    client.force_login(vcs_member)
    response = client.post(
        url("plan_action_status", compact, action.pk), {"status": "done", "done_on": TODAY.isoformat()}
    )
    assert response.status_code == 302
    form = client.get(url("plan_action", compact, action.pk)).context["note_form"]
    key = form.initial["submission_key"]
    for _ in range(2):  # the same form sent twice makes one note
        client.post(url("progress_note_create", compact, action.pk), {"text": "Held on the day", "submission_key": key})
    action.refresh_from_db()
    assert (action.status, action.done_on) == (ActionStatus.DONE, TODAY)
    assert list(ProgressNote.objects.values_list("text", flat=True)) == ["Held on the day"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"status": "done", "done_on": ""}, "done_on"),
        ({"status": "dropped", "dropped_reason": ""}, "dropped_reason"),
        ({"status": "done", "done_on": (TODAY + DAY).isoformat()}, "done_on"),
        ({"status": "finished"}, "status"),
        ({"status": "done", "done_on": "0002-01-01"}, "done_on"),
    ],
)
def test_a_bad_status_is_shown_again_on_the_form(client, action, vcs_member, data, field):
    client.force_login(vcs_member)
    response = client.post(url("plan_action_status", action.objective.compact, action.pk), data)
    assert response.status_code == 200
    assert field in response.context["status_form"].errors
    action.refresh_from_db()
    assert action.status == ActionStatus.NOT_STARTED


@pytest.mark.parametrize("name", ["objective_create", "plan_action_create", "review_create"])
@pytest.mark.parametrize(("who", "status"), [("plan_champion", 200), ("administrator", 200), ("officer", 404)])
def test_the_edit_pages_open_for_the_compacts_champions_and_administrators_only(
    client, objective, name, who, status, request
):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(name, objective.compact)).status_code == status


def test_a_visitor_is_sent_to_sign_in_from_an_edit_page(client, compact):
    response = client.get(url("review_create", compact))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_champion_adds_an_action_and_bad_input_is_shown_again(client, objective, plan_champion, charity):
    client.force_login(plan_champion)
    page = url("plan_action_create", objective.compact)
    key = client.get(page).context["form"]["submission_key"].value()
    bad = {"objective": objective.pk, "what": "Map the sector", "status": "done", "done_on": "", "submission_key": key}
    response = client.post(page, bad)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"done_on", "lead_group", "due_date"} <= set(errors)
    assert response.context["form"]["what"].value() == "Map the sector"
    good = {
        "objective": objective.pk,
        "what": "Map the sector",
        "lead_organisation": charity.pk,
        "due_date": (TODAY + 20 * DAY).isoformat(),
        "status": "not_started",
        "submission_key": response.context["form"]["submission_key"].value(),
    }
    response = client.post(page, good)
    action = PlanAction.objects.get()
    assert response.status_code == 302
    assert response.url == action.get_absolute_url()
    client.post(page, good)  # sent again: nothing more
    assert PlanAction.objects.count() == 1


def test_a_champion_records_a_review_from_the_form(client, compact, plan_champion):
    client.force_login(plan_champion)
    page = url("review_create", compact)
    data = {
        "kind": "action_plan",
        "held_on": TODAY.isoformat(),
        "public_participants": "The council's Compact lead",
        "vcs_participants": "Two charities",
        "findings": "Good progress",
        "next_review_on": TODAY.isoformat(),
    }
    response = client.post(page, data)
    assert response.status_code == 200
    assert "next_review_on" in response.context["form"].errors
    data["next_review_on"] = (TODAY + 180 * DAY).isoformat()
    assert client.post(page, data).status_code == 302
    compact.refresh_from_db()
    assert compact.next_review_date == TODAY + 180 * DAY
    assert "Good progress" in client.get(url("reviews", compact)).content.decode()


def test_an_objective_of_another_compact_is_404_to_edit(client, objective, administrator):
    client.force_login(administrator)
    other = CompactFactory(name="Havant Compact")
    assert client.get(url("objective_edit", other, objective.pk)).status_code == 404
    assert client.get(url("objective_edit", objective.compact, objective.pk)).status_code == 200


# --- The dashboard's panel and the report ---------------------------------------------------------------------------


def late_and_done(objective, charity):
    add_action(objective, lead_organisation=charity, due=TODAY - 4 * DAY, what="Map the sector's organisations")
    add_action(objective, due=TODAY - 2 * DAY, status=ActionStatus.DONE, done_on=TODAY - 3 * DAY, what="Hold an event")
    add_action(objective, due=TODAY + 20 * DAY, status=ActionStatus.ON_TRACK, what="Write the strategy")


def test_the_panel_says_how_many_are_done_on_track_and_late_and_lists_the_late_ones(objective, charity):
    late_and_done(objective, charity)
    figures = compact_figures(compact=objective.compact, period=Period.quarter(TODAY.year, 1), today=TODAY)
    counts, late = action_plan_tables(figures)
    assert counts.title == "Action plan: 1 done, 1 on track, 1 late"
    assert counts.rows[:3] == [["Done", 1], ["On track", 1], ["Not started", 0]]
    assert [(row[0], str(row[1]), row[2], row[4]) for row in late.rows] == [
        ("1", "Map the sector's organisations", charity.name, "4 days")
    ]
    assert late.rows[0][1].url == PlanAction.objects.get(what__startswith="Map").get_absolute_url()


def test_a_health_check_counts_the_actions_the_organisation_leads(objective, charity):
    late_and_done(objective, charity)
    period = Period.quarter(TODAY.year, 1)
    figures = compact_figures(compact=objective.compact, period=period, today=TODAY, organisation=charity)
    assert figures.panels["action_plan"].summary == selectors.PlanSummary(late=1)


def test_the_panel_takes_two_queries_however_big_the_plan(objective, charity):
    scope = PanelScope(objective.compact, None, Period.quarter(TODAY.year, 1), None, [], [], TODAY)
    late_and_done(objective, charity)
    with CaptureQueriesContext(connection) as few:
        registry.panel("action_plan", scope)
    for _ in range(5):
        late_and_done(objective, charity)
    with CaptureQueriesContext(connection) as many:
        assert len(registry.panel("action_plan", scope).late) == 6
    assert len(few.captured_queries) == len(many.captured_queries) == 2


def test_the_dashboard_shows_the_panel_to_the_compacts_champion(client, objective, charity, plan_champion):
    late_and_done(objective, charity)
    client.force_login(plan_champion)
    body = client.get(reverse("commitments:dashboard", args=[objective.compact.slug])).content.decode()
    assert "Action plan: 1 done, 1 on track, 1 late" in body
    assert PlanAction.objects.get(what__startswith="Map").get_absolute_url() in body


def test_the_report_has_the_action_plans_line_and_its_late_actions(objective, charity):
    late_and_done(objective, charity)
    report = render_report(compact=objective.compact, period=Period.quarter(TODAY.year, 1), today=TODAY)
    text = " ".join(pdf_pages(report.pdf))
    assert "Action plan: 1 done, 1 on track, 1 late" in text
    assert "Late actions" in text
    assert "Map the sector's organisations" in text


# --- What waits for the leads and the champions ---------------------------------------------------------------------


def waiting(user, role):
    return [item for item in worklist.waiting_for(user, TODAY).get(role, []) if item.kind == "action_due"]


@pytest.mark.parametrize(
    ("due", "listed"),
    [(TODAY - 5 * DAY, True), (TODAY, True), (TODAY + 10 * DAY, True), (TODAY + 11 * DAY, False)],
)
def test_the_lead_organisation_sees_an_action_due_within_ten_days_or_late(objective, charity, vcs_member, due, listed):
    action = add_action(objective, lead_organisation=charity, due=due)
    items = waiting(vcs_member, Role.VCS_MEMBER)
    assert [(item.url, item.due) for item in items] == ([(action.get_absolute_url(), due)] if listed else [])
    if listed:
        assert items[0].what.startswith("Action due: Hold a joint event")
        assert items[0].clause == "portal default; this compact states no such rule"


def test_a_done_or_dropped_action_waits_for_no_one(objective, charity, vcs_member):
    add_action(objective, lead_organisation=charity, due=TODAY - DAY, status=ActionStatus.DONE, done_on=TODAY - DAY)
    add_action(objective, lead_organisation=charity, due=TODAY - DAY, status=ActionStatus.DROPPED, dropped_reason="x")
    assert waiting(vcs_member, Role.VCS_MEMBER) == []


def test_the_lead_person_sees_their_action_once_and_others_do_not(objective, officer, outsider):
    action = add_action(objective, lead_person=officer, due=TODAY + 3 * DAY)
    MembershipFactory(user=officer, organisation=outsider.memberships.get().organisation, role=Role.CHAMPION)
    found = worklist.waiting_for(officer, TODAY)
    assert [(role, item.key) for role, items in found.items() for item in items if item.kind == "action_due"] == [
        (Role.OFFICER, str(action.pk))
    ]
    assert waiting(outsider, Role.VCS_MEMBER) == []


def test_the_compacts_champions_see_its_late_actions_not_those_due_soon(objective, plan_champion, charity):
    late = add_action(objective, lead_organisation=charity, due=TODAY - DAY)
    add_action(objective, lead_organisation=charity, due=TODAY + DAY)
    assert [item.key for item in waiting(plan_champion, Role.CHAMPION)] == [str(late.pk)]


def test_the_worklists_queries_do_not_grow_with_the_actions(objective, charity, vcs_member, plan_champion):
    def queries(user, role):
        person = worklist.person_for(user, TODAY)
        source = {Role.VCS_MEMBER: waiting_module.actions_due_for_vcs_members}.get(
            role, waiting_module.actions_due_for_champions
        )
        with CaptureQueriesContext(connection) as captured:
            list(source(person))
        return len(captured.captured_queries)

    add_action(objective, lead_organisation=charity, due=TODAY - DAY)
    few = (queries(vcs_member, Role.VCS_MEMBER), queries(plan_champion, Role.CHAMPION))
    for n in range(5):
        add_action(objective, lead_organisation=charity, due=TODAY - n * DAY)
    assert (queries(vcs_member, Role.VCS_MEMBER), queries(plan_champion, Role.CHAMPION)) == few == (2, 2)
