"""What commitments (and the project, for sign-in lockouts) put on the "Waiting for you" list: a champion's new
flags, applications and reviews in their own compacts; an administrator's failed checks, dead runs, failed reports
and paused sign-ins. Each item for the right person, in order, with a link that opens for them, in a number of
queries that does not grow with the data."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from commitments import waiting
from commitments.models import (
    CheckStatus,
    ComplianceReport,
    ComplianceRun,
    FlagStatus,
    MeasurableRule,
    ReportStatus,
    RuleCheck,
    RuleKey,
    SignatureStatus,
    Trigger,
)
from commitments.services.digest import RUN_PRESUMED_DEAD_AFTER
from commitments.waiting import NEW_FLAGS_DAYS, new_flags_since
from compact_portal import waiting as portal_waiting
from compact_portal import worklist
from compact_portal.accounts.roles import Role
from compact_portal.waiting import ACCOUNTS_LISTED_AT_MOST
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.commitments.factories import (
    ChampionFactory,
    CommitmentFactory,
    CompactFactory,
    FlagFactory,
    OrganisationFactory,
    SignatureFactory,
)

TODAY = datetime.date(2026, 12, 6)


def _today():
    return timezone.localdate()


def _compact(name, *, review, status="adopted"):
    return CompactFactory(name=name, status=status, adopted_date=datetime.date(2020, 4, 1), next_review_date=review)


def _appoint(user, compact, organisation):
    MembershipFactory(user=user, organisation=organisation, role=Role.CHAMPION)
    return ChampionFactory(user=user, compact=compact, organisation=organisation)


def _items(user, today, role):
    return worklist.waiting_for(user, today).get(role, [])


@pytest.fixture
def world(db, council, charity):
    """Portsmouth (review in two months, its review clause 8) and Havant (review passed, no review clause), each
    with a champion, new and old flags and an application to sign."""
    today = _today()
    portsmouth = _compact("Portsmouth Compact", review=today + datetime.timedelta(days=60))
    CommitmentFactory(compact=portsmouth, code="8", rule_key=MeasurableRule.COMPACT_REVIEW)
    havant = _compact("Havant Compact", review=today - datetime.timedelta(days=3))
    champion = UserFactory(full_name="Cara Champion")
    _appoint(champion, portsmouth, council)
    other = UserFactory(full_name="Hal Havant")
    _appoint(other, havant, OrganisationFactory(name="Havant Borough Council", side="public"))
    new = [FlagFactory(compact=portsmouth, first_detected=today, record_label=f"INV-NEW-{n}") for n in range(2)]
    FlagFactory(compact=portsmouth, first_detected=today, status=FlagStatus.RESOLVED, record_label="INV-FIXED")
    FlagFactory(compact=portsmouth, first_detected=today - datetime.timedelta(days=30), record_label="INV-OLD")
    FlagFactory(compact=havant, first_detected=today, record_label="INV-HAVANT")
    application = SignatureFactory(compact=portsmouth, organisation=charity, status=SignatureStatus.APPLIED)
    SignatureFactory(compact=havant, organisation=charity, status=SignatureStatus.APPLIED)
    SignatureFactory(compact=portsmouth, organisation=OrganisationFactory(), status=SignatureStatus.DECLINED)
    return {
        "today": today,
        "portsmouth": portsmouth,
        "havant": havant,
        "champion": champion,
        "other": other,
        "new": new,
        "application": application,
    }


# --- Champions --------------------------------------------------------------------------------------------------


def test_a_champion_sees_their_own_compacts_review_application_and_new_flags_in_order(world):
    items = _items(world["champion"], world["today"], Role.CHAMPION)
    review = world["portsmouth"].next_review_date
    assert [(item.kind, item.what) for item in items] == [
        ("compact_review", f"Review of the compact due {review.day} {review:%B %Y}"),
        ("application_to_sign", f"{world['application'].organisation} applied to sign Portsmouth Compact on "
                                f"{world['today'].day} {world['today']:%B %Y}"),
        ("new_flags", "2 new flags in Portsmouth Compact"),
    ]  # fmt: skip
    assert {item.compact for item in items} == {"Portsmouth Compact"}
    reviewed, applied, flagged = items
    assert (reviewed.action, reviewed.due, reviewed.clause) == ("Plan the review", review, "clause 8")
    assert reviewed.why == "The compact reviewed every year"
    assert (applied.action, applied.due, applied.clause) == ("Decide the application", None, "")
    assert flagged.action == "See the new flags"
    assert flagged.due is None
    assert flagged.why.startswith("Found in the last 7 days; you have not visited before")


def test_a_champion_of_another_compact_sees_only_theirs(world):
    items = _items(world["other"], world["today"], Role.CHAMPION)
    assert [(item.kind, item.compact) for item in items] == [
        ("compact_review", "Havant Compact"),
        ("application_to_sign", "Havant Compact"),
        ("new_flags", "Havant Compact"),
    ]
    review = items[0]
    assert review.is_late(world["today"])
    assert review.clause == "portal default; this compact states no such rule"
    assert items[2].what == "1 new flag in Havant Compact"


def test_a_champion_role_without_an_appointment_has_nothing_waiting(world, champion):
    assert _items(champion, world["today"], Role.CHAMPION) == []


def test_every_champion_link_opens_for_them_and_shows_what_it_says(world, client):
    items = _items(world["champion"], world["today"], Role.CHAMPION)
    client.force_login(world["champion"])
    pages = {item.kind: client.get(item.url) for item in items}
    assert {kind: page.status_code for kind, page in pages.items()} == dict.fromkeys(pages, 200)
    flags = pages["new_flags"].content.decode()
    assert "INV-NEW-0" in flags
    assert "INV-NEW-1" in flags
    assert "INV-OLD" not in flags
    assert "INV-HAVANT" not in flags
    assert "INV-FIXED" not in flags
    assert str(world["application"].organisation) in pages["application_to_sign"].content.decode()


def test_the_home_page_shows_them_after_signing_in(world, client):
    client.force_login(world["champion"])  # signing in makes today the last visit: today's flags are still new
    page = client.get("/").content.decode()
    assert "Review of the compact due" in page
    assert "2 new flags in Portsmouth Compact" in page
    assert "Havant" not in page


@pytest.mark.parametrize(
    ("visited_days_ago", "found_days_ago", "new"),
    [
        (None, NEW_FLAGS_DAYS - 1, True),  # never signed in: the first of the last seven days
        (None, NEW_FLAGS_DAYS, False),
        (10, 10, True),  # found on the day of the last visit
        (10, 11, False),  # the day before it
        (0, 0, True),  # signed in earlier today
        (0, 1, False),
    ],
)
def test_new_flags_are_those_found_since_the_last_visit(world, visited_days_ago, found_days_ago, new):
    today, champion = world["today"], world["champion"]
    if visited_days_ago is not None:
        start_of_today = timezone.localtime().replace(hour=0, minute=0, second=1)
        champion.last_login = start_of_today - datetime.timedelta(days=visited_days_ago)
        champion.save(update_fields=["last_login"])
    havant = world["havant"]
    _appoint(champion, havant, OrganisationFactory(name="Havant Voluntary Action"))
    havant.flags.all().delete()
    FlagFactory(compact=havant, first_detected=today - datetime.timedelta(days=found_days_ago), record_label="X")
    found = [item for item in _items(champion, today, Role.CHAMPION) if item.kind == "new_flags"]
    assert [item.compact for item in found if item.compact == "Havant Compact"] == (["Havant Compact"] if new else [])


def test_on_the_first_page_after_signing_in_the_last_visit_is_the_sign_in_before(world, client):
    """Signing in keeps the sign-in before as ``previous_login``; the page counts from it, an e-mail from the last."""
    today, champion = world["today"], world["champion"]
    champion.last_login = timezone.now() - datetime.timedelta(days=20)
    champion.save(update_fields=["last_login"])
    FlagFactory(compact=world["portsmouth"], first_detected=today - datetime.timedelta(days=15), record_label="MID")

    client.force_login(champion)  # a sign-in now

    champion.refresh_from_db()
    assert timezone.localdate(champion.previous_login) == today - datetime.timedelta(days=20)
    assert timezone.localdate(champion.last_login) == today
    assert new_flags_since(worklist.person_for(champion, today, signed_in_now=True)) == today - datetime.timedelta(
        days=20
    )
    assert new_flags_since(worklist.person_for(champion, today)) == today
    assert "3 new flags in Portsmouth Compact" in client.get("/").content.decode()


def test_since_the_last_visit_the_link_lists_older_flags_too(world, client):
    today, champion = world["today"], world["champion"]
    champion.last_login = timezone.now() - datetime.timedelta(days=20)
    champion.save(update_fields=["last_login"])
    assert new_flags_since(worklist.person_for(champion, today)) == today - datetime.timedelta(days=20)
    FlagFactory(compact=world["portsmouth"], first_detected=today - datetime.timedelta(days=15), record_label="MID")
    (item,) = [item for item in _items(champion, today, Role.CHAMPION) if item.kind == "new_flags"]
    assert item.what == "3 new flags in Portsmouth Compact"
    assert "age=" not in item.url
    client.force_login(champion)
    assert "MID" in client.get(item.url).content.decode()


@pytest.mark.parametrize(
    ("today", "review", "listed"),
    [
        (datetime.date(2026, 12, 6), datetime.date(2027, 3, 6), True),  # exactly three months ahead
        (datetime.date(2026, 12, 6), datetime.date(2027, 3, 7), False),
        (datetime.date(2026, 11, 30), datetime.date(2027, 2, 28), True),  # three months from the 30th: month end
        (datetime.date(2026, 11, 30), datetime.date(2027, 3, 1), False),
        (datetime.date(2026, 12, 6), datetime.date(2026, 12, 5), True),  # passed
    ],
)
def test_the_edges_of_the_review_window(world, today, review, listed):
    world["portsmouth"].next_review_date = review
    world["portsmouth"].save()
    reviews = [item for item in _items(world["champion"], today, Role.CHAMPION) if item.kind == "compact_review"]
    assert [item.due for item in reviews] == ([review] if listed else [])


@pytest.mark.parametrize("status", ["draft", "consultation", "withdrawn"])
def test_only_an_adopted_compact_has_a_review_to_plan(world, status):
    world["portsmouth"].status = status
    world["portsmouth"].save()
    kinds = [item.kind for item in _items(world["champion"], world["today"], Role.CHAMPION)]
    assert "compact_review" not in kinds


CHAMPION_SOURCES = (waiting.new_flags, waiting.applications_to_decide, waiting.compact_reviews)
ADMINISTRATOR_SOURCES = (waiting.failed_compliance_checks, waiting.failed_reports, portal_waiting.sign_in_lockouts)


def _queries(user, today, sources) -> int:
    """The queries the sources take (other apps' sources, and the person's roles, are theirs to count)."""
    person = worklist.person_for(user, today)
    with CaptureQueriesContext(connection) as captured:
        for source in sources:
            list(source(person))
    return len(captured.captured_queries)


def test_a_champions_queries_do_not_grow_with_the_data(world, charity):
    today, champion = world["today"], world["champion"]
    few = _queries(champion, today, CHAMPION_SOURCES)
    for n in range(4):
        compact = _compact(f"Extra Compact {n}", review=today + datetime.timedelta(days=n))
        _appoint(champion, compact, OrganisationFactory(name=f"Extra Council {n}", side="public"))
        CommitmentFactory(compact=compact, code="8", rule_key=MeasurableRule.COMPACT_REVIEW)
        for _ in range(3):
            FlagFactory(compact=compact, first_detected=today)
        SignatureFactory(compact=compact, organisation=OrganisationFactory(), status=SignatureStatus.APPLIED)
    assert len(_items(champion, today, Role.CHAMPION)) == 3 + 4 * 3
    assert _queries(champion, today, CHAMPION_SOURCES) == few == 1 + 1 + 2


# --- Administrators ---------------------------------------------------------------------------------------------


def _run(*, started, finished=True, trigger=Trigger.NIGHTLY, rules=(), failed=(), error="OperationalError: gone"):
    run = ComplianceRun.objects.create(trigger=trigger, as_of=started.date(), rules=list(rules))
    ComplianceRun.objects.filter(pk=run.pk).update(
        started_at=started, finished_at=started + datetime.timedelta(minutes=1) if finished else None
    )
    for rule in RuleKey:
        if rules and rule not in rules:
            continue
        status = CheckStatus.FAILED if rule in failed else (CheckStatus.DONE if finished else CheckStatus.RUNNING)
        RuleCheck.objects.create(
            run=run,
            rule=rule,
            status=status,
            finished_at=started + datetime.timedelta(minutes=1) if finished else None,
            error=error if rule in failed else "",
        )
    return run


def _report(compact, *, status, requested, start=datetime.date(2026, 7, 1), reason="OSError: no Pango"):
    report = ComplianceReport.objects.create(
        compact=compact, period_start=start, period_end=start.replace(month=start.month + 2, day=30), status=status,
        failure_reason=reason if status == ReportStatus.FAILED else "",
    )  # fmt: skip
    ComplianceReport.objects.filter(pk=report.pk).update(requested_at=requested)
    return report


def _lock(username, *, failures, ago=datetime.timedelta(minutes=1), ip="203.0.113.9", agent="Firefox"):
    attempt = AccessAttempt.objects.create(
        username=username, ip_address=ip, user_agent=agent, get_data="", post_data="", http_accept="", path_info="/",
        failures_since_start=failures,
    )  # fmt: skip
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - ago)
    return attempt


@pytest.fixture
def admin_world(world, settings):
    settings.AXES_FAILURE_LIMIT = 5
    now = timezone.now()
    _run(started=now - datetime.timedelta(days=3), failed=[RuleKey.NOTICE_TOO_SHORT])  # before the clean run
    _run(started=now - datetime.timedelta(days=2))  # clean: every rule, every compact
    _run(started=now - datetime.timedelta(days=1), failed=[RuleKey.INVOICE_OVERDUE], error="OperationalError: a")
    _run(
        started=now - datetime.timedelta(hours=2),
        trigger=Trigger.PAYMENTS,
        rules=[RuleKey.INVOICE_OVERDUE, RuleKey.INVOICE_PAID_LATE],
        failed=[RuleKey.INVOICE_OVERDUE],
        error="OperationalError: database is locked\nTraceback…",
    )
    _run(started=now - RUN_PRESUMED_DEAD_AFTER - datetime.timedelta(minutes=5), finished=False)
    _run(started=now - datetime.timedelta(hours=1), finished=False)  # still running, perhaps
    portsmouth, havant = world["portsmouth"], world["havant"]
    _report(portsmouth, status=ReportStatus.FAILED, requested=now - datetime.timedelta(days=2))
    _report(havant, status=ReportStatus.FAILED, requested=now - datetime.timedelta(days=3))
    _report(havant, status=ReportStatus.READY, requested=now - datetime.timedelta(days=2))  # asked again: done
    locked = UserFactory(full_name="Lou Locked", email="lou@example.org")
    _lock(locked.email, failures=3, agent="Firefox")
    _lock(locked.email, failures=2, agent="Safari", ip="198.51.100.7")  # five in all: paused
    _lock(world["other"].email, failures=4, ip="198.51.100.8")  # one short
    _lock(world["champion"].email, failures=9, ago=datetime.timedelta(minutes=16), ip="198.51.100.9")  # cooled off
    _lock("nobody@example.org", failures=7, ip="198.51.100.10")  # no such account; its address is paused
    administrator = UserFactory(full_name="Ada Admin")
    MembershipFactory(user=administrator, organisation=OrganisationFactory(name="Portal Team"), role=Role.ADMINISTRATOR)
    return {**world, "administrator": administrator, "locked": locked}


def test_an_administrator_sees_failed_jobs_and_paused_sign_ins_in_order(admin_world):
    items = _items(admin_world["administrator"], admin_world["today"], Role.ADMINISTRATOR)
    assert [item.kind for item in items] == [
        "account_locked",  # dated: the day the pause ends by itself (today)
        "sign_ins_locked",
        "compliance_check_failed",
        "compliance_run_died",
        "report_failed",
    ]
    locked, addresses, check, died, report = items
    assert locked.what == "Lou Locked (lou@example.org) cannot sign in: the account is paused"
    assert locked.due == admin_world["today"] or locked.due == admin_world["today"] + datetime.timedelta(days=1)
    assert addresses.what == "Sign-in paused for 1 client address"  # nobody@'s: Lou's failures came from two
    assert check.what.startswith("The compliance check of “Invoice unpaid after its pay-by date” failed 2 times")
    assert "The error: OperationalError: database is locked" in check.why
    assert "Traceback" not in check.why
    assert died.what.startswith("1 compliance run never finished")
    assert report.what == "1 compliance report of Portsmouth Compact failed (Q3 2026)"
    assert "OSError: no Pango" in report.why
    assert all(item.clause == "" and "not a compact's promise" in item.why for item in items)
    assert {item.action for item in items[:2]} == {"Unlock in administration"}


def test_a_clean_run_of_every_rule_clears_the_failures_before_it(admin_world):
    _run(started=timezone.now() - datetime.timedelta(minutes=30))
    kinds = [item.kind for item in _items(admin_world["administrator"], admin_world["today"], Role.ADMINISTRATOR)]
    assert "compliance_check_failed" not in kinds
    assert "compliance_run_died" not in kinds


def test_a_report_asked_for_again_is_no_longer_listed(admin_world):
    _report(admin_world["portsmouth"], status=ReportStatus.QUEUED, requested=timezone.now())
    kinds = [item.kind for item in _items(admin_world["administrator"], admin_world["today"], Role.ADMINISTRATOR)]
    assert "report_failed" not in kinds


def test_jobs_and_lockouts_are_not_a_champions(admin_world):
    kinds = {item.kind for item in _items(admin_world["champion"], admin_world["today"], Role.CHAMPION)}
    assert kinds == {"compact_review", "application_to_sign", "new_flags"}
    assert Role.ADMINISTRATOR not in worklist.waiting_for(admin_world["champion"], admin_world["today"])


def test_every_administrator_link_opens_for_them(admin_world, client):
    items = _items(admin_world["administrator"], admin_world["today"], Role.ADMINISTRATOR)
    client.force_login(admin_world["administrator"])
    pages = {item.kind: client.get(item.url) for item in items}
    assert {kind: page.status_code for kind, page in pages.items()} == dict.fromkeys(pages, 200)
    assert "lou@example.org" in pages["account_locked"].content.decode()


@pytest.mark.parametrize(
    ("failures", "ago", "listed"),
    [
        (4, datetime.timedelta(minutes=1), False),  # one short of the limit
        (5, datetime.timedelta(minutes=1), True),  # at the limit
        (5, datetime.timedelta(minutes=14, seconds=50), True),  # within the cool-off
        (5, datetime.timedelta(minutes=15, seconds=10), False),  # cooled off
    ],
)
def test_the_edges_of_a_lockout(db, administrator, settings, failures, ago, listed):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
    person = UserFactory(email="edge@example.org")
    _lock(person.email, failures=failures, ago=ago, ip=None)
    kinds = [item.kind for item in _items(administrator, _today(), Role.ADMINISTRATOR)]
    assert ("account_locked" in kinds) is listed


def test_paused_accounts_beyond_the_first_ten_are_counted(db, administrator, settings):
    settings.AXES_FAILURE_LIMIT = 5
    for n in range(ACCOUNTS_LISTED_AT_MOST + 2):
        _lock(UserFactory(email=f"p{n}@example.org").email, failures=5, ip=None)
    items = _items(administrator, _today(), Role.ADMINISTRATOR)
    assert [item.kind for item in items].count("account_locked") == ACCOUNTS_LISTED_AT_MOST
    assert [item.what for item in items if item.kind == "sign_ins_locked"] == ["Sign-in paused for 2 more accounts"]


def test_an_administrators_queries_do_not_grow_with_the_data(admin_world):
    administrator, today, now = admin_world["administrator"], admin_world["today"], timezone.now()
    few = _queries(administrator, today, ADMINISTRATOR_SOURCES)
    for n in range(5):
        _run(
            started=now - datetime.timedelta(minutes=50 - n),
            failed=[RuleKey.DECISION_TOO_LATE, RuleKey.NOTICE_TOO_SHORT],
        )
        _run(started=now - RUN_PRESUMED_DEAD_AFTER - datetime.timedelta(hours=n + 1), finished=False)
        compact = _compact(f"Report Compact {n}", review=None)
        _report(compact, status=ReportStatus.FAILED, requested=now)
        _report(compact, status=ReportStatus.FAILED, requested=now, start=datetime.date(2026, 4, 1))
        _lock(UserFactory(email=f"many{n}@example.org").email, failures=6, ip=f"192.0.2.{n}")
    assert (
        len(_items(administrator, today, Role.ADMINISTRATOR)) == 6 + 1 + 3 + 1 + 6
    )  # accounts, addresses, rules failed, died, compacts' reports
    assert _queries(administrator, today, ADMINISTRATOR_SOURCES) == few == 4 + 1 + 2
