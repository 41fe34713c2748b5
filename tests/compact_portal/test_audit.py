"""The audit trail: who changed what and when, by every path (a person's request, an import in the browser or
by command, the compliance check, a scheduled job), shown to administrators in the admin at /admin/audit/."""

import datetime
import re

import pytest
from celery import shared_task
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords, registered_models

from commitments.models import Community, Flag, FlagStatus, GroupMember, Meeting
from commitments.services import plans
from commitments.services.compliance import compliance_scan
from commitments.services.flags import flag_waive
from compact_portal.accounts.models import Membership
from compact_portal.accounts.roles import Role
from compact_portal.accounts.tokens import token_create
from compact_portal.audit import audit_context, current_audit_context
from compact_portal.history_privacy import NOT_SHOWN
from compact_portal.selectors.audit import AuditFilters, Kind, audit_entries, kind_choices, kinds, register
from consultations.models import PolicyArea
from disputes.models import Concern
from funding.models import FunderPublishing, Invoice, Proposal
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.commitments.factories import ChampionFactory, CompactFactory, OrganisationFactory
from tests.conftest import ROLE_FIXTURES
from tests.funding.factories import (
    AwardedFundingFactory,
    ImprovementTimetableFactory,
    InvoiceFactory,
    MonitoringPlanFactory,
    MonitoringTemplateFactory,
    NoticeFactory,
    pay_in_full,
)

AUDIT = "admin:audit_trail"
INVOICES_CSV = "funding_reference,invoice_number,amount,received_date,paid_date\nGR-2027-001,INV-9,120.00,18/12/2025,\n"
ORGANISATIONS_CSV = (
    "name,side,organisation_type,charity_number,company_number,postcode,email\n"
    "Eastney Lunch Club,vcs,unincorporated_community_group,,,PO4 9JF,lunch@example.org\n"
)


@pytest.fixture
def compact(db):
    return CompactFactory(name="Southsea Compact", status="adopted", adopted_date=datetime.date(2026, 4, 1))


@pytest.fixture
def funding(compact, council, charity):
    return AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="GR-2027-001")


@pytest.fixture
def invoice(funding):
    return InvoiceFactory(relationship=funding, invoice_number="INV-0042", received_date=datetime.date(2027, 4, 6))


def entries(viewer=None, **filters) -> list:
    """The trail's first 50 changes as ``viewer`` sees it (by default someone who may open no case)."""
    return audit_entries(filters=AuditFilters(**filters), viewer=viewer or AnonymousUser(), limit=50)[0]


def of_kind(kind: str, viewer=None, **filters) -> list:
    return entries(viewer, kind=kind, **filters)


def changes_of(entry) -> dict[str, tuple[str | None, str | None]]:
    return {change.field: (change.before, change.after) for change in entry.changes}


def shown_values(entry) -> str:
    return " ".join(f"{change.before} {change.after}" for change in entry.changes)


def page(client, **query) -> str:
    response = client.get(reverse(AUDIT), query)
    assert response.status_code == 200
    return response.content.decode()


# --- Who, when, before and after -----------------------------------------------------------------------------


def test_a_change_through_a_service_in_a_request_shows_who_when_and_before_and_after(
    client_for, officer, invoice, administrator
):
    before = timezone.now()
    client_for("officer").post(
        reverse("funding:invoice_edit", args=[invoice.pk]),
        {"invoice_number": "INV-0042", "amount": "2500.00", "received_date": "2026-03-25"},
    )  # received a year before it was typed: it cannot be after today

    latest = of_kind("invoice")[0]
    assert (latest.action, latest.person, latest.via) == ("changed", officer, "")
    assert latest.at >= before
    assert latest.record == "Invoice INV-0042 on GR-2027-001"
    assert latest.url == reverse("admin:funding_invoice_change", args=[invoice.pk])
    assert changes_of(latest)["Date received"] == ("6 April 2027", "25 March 2026")
    assert changes_of(latest)["Pay by"] == ("20 April 2027", "10 April 2026")  # Easter skipped
    assert "Amount (£)" not in changes_of(latest)  # only what changed

    html = page(client_for("administrator"), kind="invoice")
    assert "Olivia Officer" in html
    assert officer.email in html
    assert "6 April 2027" in html
    assert "25 March 2026" in html
    assert reverse("admin:funding_invoice_change", args=[invoice.pk]) in html


def test_a_creation_shows_the_values_given_and_a_deletion_the_last_values(administrator, charity):
    membership = MembershipFactory(organisation=charity, role=Role.VCS_MEMBER, user__full_name="Dee Leted")
    pk = membership.pk
    membership.delete()

    deleted, created = of_kind("membership", action="deleted")[0], of_kind("membership", action="created")[0]
    assert changes_of(created)["User"] == (None, "Dee Leted")
    assert changes_of(created)["Role"] == (None, "VCS organisation member")
    assert changes_of(deleted)["Organisation"] == ("Southsea Community Food Bank", None)
    assert deleted.url == reverse("admin:accounts_membership_history", args=[pk])


def test_organisations_communities_show_before_and_after(administrator, charity):
    older, newer = (
        Community.objects.create(name="Test carers", slug="test-carers"),
        Community.objects.create(name="Test elders", slug="test-elders"),
    )
    charity.communities.set([older])
    charity.communities.add(newer)

    latest = of_kind("organisation")[0]
    assert changes_of(latest)["Communities"] == ("Test carers", "Test carers, Test elders")


def test_what_a_concern_says_is_never_shown(administrator, compact, council, charity):
    Concern.objects.create(
        reference="CC-2027-0001",
        compact=compact,
        raiser=charity,
        respondent=council,
        what_happened="The council cut our grant without a word.",
        happened_on=datetime.date(2027, 1, 4),
        outcome_sought="Notice.",
        consent=True,
        received_on=datetime.date(2027, 1, 5),
    )

    # The administrator belongs to the council, so may open the case (tests/disputes/test_audit_trail.py).
    concern = of_kind("concern", administrator)[0]
    assert changes_of(concern)["What happened"] == (None, "(not shown)")
    assert changes_of(concern)["Raised by (organisation)"] == (None, "Southsea Community Food Bank")
    assert concern.url is None  # a case opens on its own page only, never in the admin
    assert "cut our grant" not in str(entries(administrator))


# --- Imports, commands and jobs ------------------------------------------------------------------------------


def test_an_import_in_the_browser_shows_the_importer_and_the_file(client_for, officer, funding):
    upload = SimpleUploadedFile("december-invoices.csv", INVOICES_CSV.encode(), content_type="text/csv")

    client_for("officer").post(reverse("funding:import"), {"kind": "invoices", "file": upload})

    created = of_kind("invoice", action="created")[0]
    assert created.person == officer
    assert created.via == "Funding import (invoices): december-invoices.csv"
    html = page(client_for("administrator"), kind="invoice")
    assert "Funding import (invoices): december-invoices.csv" in html


def test_an_import_by_command_shows_the_command_and_the_file(funding, tmp_path):
    path = tmp_path / "invoices.csv"
    path.write_text(INVOICES_CSV)

    call_command("import_funding", "invoices", str(path))

    created = of_kind("invoice", action="created")[0]
    assert created.person is None
    assert created.via == "Command: import_funding; Funding import (invoices): invoices.csv"


def test_organisations_imported_in_the_browser_and_by_command_show_who(client_for, administrator, tmp_path, db):
    upload = SimpleUploadedFile("clubs.csv", ORGANISATIONS_CSV.encode(), content_type="text/csv")
    client_for("administrator").post(reverse("commitments:import"), {"file": upload})
    path = tmp_path / "clubs-again.csv"
    path.write_text(ORGANISATIONS_CSV.replace("lunch@example.org", "club@example.org"))
    call_command("import_organisations", str(path))

    changed, created = of_kind("organisation")[:2]
    assert (created.action, created.person, created.via) == (
        "created",
        administrator,
        "Organisations import: clubs.csv",
    )
    assert (changed.action, changed.person) == ("changed", None)
    assert changed.via == "Command: import_organisations; Organisations import: clubs-again.csv"
    assert changes_of(changed)["Contact e-mail"] == ("lunch@example.org", "club@example.org")


def test_a_command_that_writes_data_is_named(db):
    call_command("load_compacts")

    assert {entry.via for entry in of_kind("compact")} == {"Command: load_compacts"}


@shared_task(name="tests.audit.rename_policy_area")
def rename_policy_area(pk: int, name: str) -> None:
    area = PolicyArea.objects.get(pk=pk)
    area.name = name
    area.save()


def test_a_scheduled_job_is_named(tasks_run_in_process, db):
    area = PolicyArea.objects.create(name="Test housing", slug="test-housing")

    rename_policy_area.delay(area.pk, "Test homes")

    latest = of_kind("policy_area")[0]
    assert (latest.person, latest.via) == (None, "Scheduled job: tests.audit.rename_policy_area")
    assert changes_of(latest)["Name"] == ("Test housing", "Test homes")
    assert current_audit_context() is None  # nothing left behind for the next task


@shared_task(name="tests.audit.fail")
def failing_job() -> None:
    raise RuntimeError("The job failed.")


def test_a_failed_job_leaves_nothing_behind_for_later_changes(tasks_run_in_process, db):
    with pytest.raises(RuntimeError):
        failing_job.delay()

    assert current_audit_context() is None


def test_a_job_run_inside_a_request_keeps_the_requests_person(tasks_run_in_process, officer):
    area = PolicyArea.objects.create(name="Test housing", slug="test-housing")
    request = RequestFactory().get("/")
    request.user = officer
    HistoricalRecords.context.request = request
    try:
        rename_policy_area.delay(area.pk, "Test homes")
    finally:
        del HistoricalRecords.context.request

    latest = of_kind("policy_area")[0]
    assert (latest.person, latest.via) == (officer, "")


def test_an_audit_context_never_replaces_a_person_already_credited(officer, administrator):
    area = PolicyArea.objects.create(name="Test housing", slug="test-housing")
    with audit_context(user=administrator, via="Command: tidy"):
        area.name = "Test homes"
        area._history_user = officer
        area.save()

    latest = of_kind("policy_area")[0]
    assert (latest.person, latest.via) == (officer, "Command: tidy")


# --- Flags ---------------------------------------------------------------------------------------------------


def test_a_flag_raised_and_resolved_by_the_compliance_check_shows_as_the_check(client_for, invoice, administrator):
    raised_by = compliance_scan(today=datetime.date(2027, 4, 21), send_digest=False)
    pay_in_full(invoice, datetime.date(2027, 4, 22))
    resolved_by = compliance_scan(today=datetime.date(2027, 4, 23), send_digest=False)

    overdue = Flag.objects.get(rule="invoice_overdue")
    flag_events = [
        entry for entry in of_kind("flag") if entry.url == reverse("commitments:flag_detail", args=[overdue.pk])
    ]
    resolved, raised = flag_events
    assert (raised.action, raised.person, raised.via) == ("created", None, f"Compliance check (run {raised_by.pk})")
    assert changes_of(raised)["Status"] == (None, "Open")
    assert (resolved.action, resolved.via) == ("changed", f"Compliance check (run {resolved_by.pk})")
    assert changes_of(resolved)["Status"] == ("Open", "Resolved")
    assert resolved.record == "Invoice unpaid after its pay-by date: INV-0042"
    assert "Compliance check (run" in page(client_for("administrator"), kind="flag")


def test_a_flag_waived_by_a_champion_shows_the_champion(invoice, compact, council, champion):
    ChampionFactory(compact=compact, organisation=council, user=champion)
    compliance_scan(today=datetime.date(2027, 4, 21), send_digest=False)
    flag = Flag.objects.get(rule="invoice_overdue")

    flag_waive(flag=flag, actor=champion, reason="Paid by cheque; the bank was closed.")

    waived = of_kind("flag")[0]
    assert (waived.person, waived.via) == (champion, "")
    assert changes_of(waived)["Status"] == ("Open", "Waived")
    assert waived.note == "Reason: Paid by cheque; the bank was closed."
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.WAIVED


# --- Memberships in the admin --------------------------------------------------------------------------------


def test_a_membership_added_and_removed_in_the_admin_shows(client_for, administrator, charity):
    person = UserFactory(full_name="Nina Newcomer")
    client = client_for("administrator")

    client.post(
        reverse("admin:accounts_membership_add"),
        {"user": person.pk, "organisation": charity.pk, "role": Role.VCS_MEMBER},
    )
    membership = Membership.objects.get(user=person)
    client.post(reverse("admin:accounts_membership_delete", args=[membership.pk]), {"post": "yes"})

    removed, added = of_kind("membership")[:2]
    assert (removed.action, removed.person) == ("deleted", administrator)
    assert (added.action, added.person) == ("created", administrator)
    assert added.record == "Nina Newcomer – VCS organisation member at Southsea Community Food Bank"
    html = page(client, kind="membership", person=administrator.email)
    assert "Nina Newcomer – VCS organisation member at Southsea Community Food Bank" in html
    assert "Deleted" in html
    assert "Created" in html


# --- Who may see it ------------------------------------------------------------------------------------------


def test_administrators_find_it_from_the_admin_index(client_for):
    html = client_for("administrator").get(reverse("admin:index")).content.decode()

    assert f'href="{reverse(AUDIT)}"' in html


def test_anonymous_visitors_are_sent_to_sign_in_like_any_admin_page(client, db):
    response = client.get(reverse(AUDIT))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role_fixture", [role for role in ROLE_FIXTURES if role != "administrator"])
def test_other_roles_are_refused_like_any_admin_page(client_for, role_fixture):
    assert client_for(role_fixture).get(reverse(AUDIT)).status_code == 403


def test_the_page_has_no_inline_scripts_styles_or_handlers(client_for, invoice):
    html = page(client_for("administrator"), kind="invoice", person="nobody")
    html += page(client_for("administrator"))

    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+\s*=", html)


# --- Filters and pages ---------------------------------------------------------------------------------------


@pytest.fixture
def two_peoples_changes(officer, champion, compact, council, charity):
    """An invoice the officer logged in 2026 and the champion's appointment in 2027."""
    funding = AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="GR-2026-009")
    with audit_context(user=officer):
        invoice = InvoiceFactory(relationship=funding, invoice_number="INV-1")
    with audit_context(user=champion):
        appointment = ChampionFactory(compact=compact, organisation=council, user=champion)
    Invoice.history.filter(id=invoice.pk).update(history_date=timezone.make_aware(datetime.datetime(2026, 6, 1, 9)))
    appointment.history.update(history_date=timezone.make_aware(datetime.datetime(2027, 1, 10, 9)))
    return invoice, appointment


def test_filters_by_kind_person_dates_and_action(two_peoples_changes, officer, champion):
    assert {entry.kind for entry in entries(kind="champion")} == {"champion"}
    assert {entry.kind for entry in entries(person=officer.email.upper())} == {"invoice"}
    assert {entry.person for entry in entries(person=champion.email)} == {champion}
    in_2026 = entries(date_from=datetime.date(2026, 6, 1), date_to=datetime.date(2026, 6, 1))
    assert [entry.record for entry in in_2026] == ["Invoice INV-1 on GR-2026-009"]
    assert entries(date_from=datetime.date(2027, 1, 11), kind="champion") == []
    assert {entry.action for entry in entries(action="created")} == {"created"}
    assert entries(kind="invoice", action="deleted") == []
    assert entries(kind="flag", action="deleted") == []


def test_the_page_applies_its_filters_and_reports_a_bad_one(client_for, two_peoples_changes):
    client = client_for("administrator")

    html = page(client, kind="invoice", date_from="2026-05-31", date_to="2026-06-02", action="created")
    assert "Invoice INV-1 on GR-2026-009" in html
    assert "Cara Champion, champion of" not in html

    html = page(client, kind="invoice", date_from="2026-06-02", date_to="2026-06-01")
    assert "The end date must not be before the start date." in html


def test_pages_of_changes_newest_first_with_newer_and_older_links(client_for, db):
    areas = [PolicyArea.objects.create(name=f"Area {number:02d}", slug=f"test-area-{number}") for number in range(30)]
    client = client_for("administrator")

    first = client.get(reverse(AUDIT), {"kind": "policy_area"})
    second = client.get(reverse(AUDIT), {"kind": "policy_area", "page": 2})
    wide = client.get(reverse(AUDIT), {"kind": "policy_area", "per_page": 50})

    assert [entry.record for entry in first.context["entries"]] == [a.name for a in reversed(areas)][:25]
    assert [entry.record for entry in second.context["entries"]] == [a.name for a in reversed(areas)][25:]
    assert first.context["older_url"]
    assert not first.context["newer_url"]
    assert second.context["newer_url"]
    assert not second.context["older_url"]
    assert "page=2" in first.context["older_url"]
    assert "kind=policy_area" in first.context["older_url"]
    assert len(wide.context["entries"]) == 30


# --- Query budget --------------------------------------------------------------------------------------------


def _changes_of_every_kind(compact, council, charity, number: int) -> None:
    """Another funding relationship with its decision, an invoice paid and a notice; an organisation created and
    changed; a membership; a published consultation: about a dozen changes of ten kinds."""
    from tests.consultations.factories import ConsultationFactory

    funding = AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference=f"GR-9-{number}")
    invoice = InvoiceFactory(relationship=funding, received_date=datetime.date(2027, 4, 6))
    pay_in_full(invoice, datetime.date(2027, 4, 22))
    NoticeFactory(relationship=funding)
    organisation = OrganisationFactory()
    organisation.paid_staff = number
    organisation.save()
    MembershipFactory(organisation=organisation, role=Role.VCS_MEMBER)
    ConsultationFactory(compact=compact, body=council, publish=True)


BUDGET = 40  # the union, two queries a kind of record on the page, the names, the session and the admin's checks


@pytest.mark.parametrize("per_page", [25, 50])
def test_the_page_has_a_query_budget_that_does_not_grow_with_the_data(
    client_for, compact, council, charity, per_page, django_assert_max_num_queries
):
    client = client_for("administrator")
    for number in range(5):
        _changes_of_every_kind(compact, council, charity, number)
    compliance_scan(today=datetime.date(2027, 9, 1), send_digest=False)

    with django_assert_max_num_queries(BUDGET):
        small = client.get(reverse(AUDIT), {"per_page": per_page})

    for number in range(5, 25):
        _changes_of_every_kind(compact, council, charity, number)
    compliance_scan(today=datetime.date(2027, 9, 2), send_digest=False)

    with django_assert_max_num_queries(BUDGET):
        large = client.get(reverse(AUDIT), {"per_page": per_page})
    with django_assert_max_num_queries(BUDGET):
        deeper = client.get(reverse(AUDIT), {"per_page": per_page, "page": 4})

    assert len(small.context["entries"]) == len(large.context["entries"]) == len(deeper.context["entries"]) == per_page
    assert len({entry.kind for entry in deeper.context["entries"]}) >= 5


# --- Each app's records, registered from its own audit.py ----------------------------------------------------


def test_the_filter_lists_each_apps_kinds_in_the_apps_order_and_the_flags_last():
    assert [key for key, _label in kind_choices()] == [
        *("compact", "organisation", "identifier_change", "signature", "champion", "membership", "api_token"),
        *("objective", "plan_action", "review", "group_member", "meeting"),
        *("funding_relationship", "decision", "invoice", "payment", "notice"),
        *("monitoring_template", "monitoring_plan", "improvement_timetable", "proposal", "funder_publishing"),
        *("consultation", "consultation_document", "response", "response_attachment", "feedback", "policy_area"),
        *("concern", "panel_assignment", "case_document"),
        "flag",
    ]


def test_a_kind_is_registered_once_and_a_cases_record_names_its_case_and_their_rules():
    with pytest.raises(ValueError, match="registered twice"):
        register(Kind("invoice", "Invoice", "funding.Invoice", lambda row, ref: ""))
    with pytest.raises(ValueError, match="both"):
        Kind("panel_assignment", "Panel assignment", "disputes.PanelAssignment", lambda row, ref: "", case="concern")


# --- The records of action plans, the implementation group, monitoring, the planner and the API ---------------


def test_action_plans_the_group_monitoring_the_planner_publishing_and_api_tokens_are_in_the_trail(
    compact, funding, council, officer
):
    today = datetime.date(2027, 9, 1)
    objective = plans.objective_create(compact=compact, actor=None, number="2", title="Fair funding")
    plans.plan_action_create(
        objective=objective,
        actor=None,
        today=today,
        what="Publish the funding calendar",
        timescale="By spring",
        lead_group="The Compact group",
    )
    plans.review_record(
        compact=compact, actor=None, today=today, kind="compact", held_on=today, public_participants="The council",
        vcs_participants="The CVS", findings="Most promises kept.", next_review_on=datetime.date(2028, 9, 1),
    )  # fmt: skip
    GroupMember.objects.create(compact=compact, name="Cara Champion", side="public", organisation=council)
    Meeting.objects.create(compact=compact, held_on=today)
    MonitoringTemplateFactory(compact=compact, name="Small grants")
    MonitoringPlanFactory(relationship=funding)
    ImprovementTimetableFactory(relationship=funding)
    Proposal.objects.create(
        compact=compact, funder=council, title="End the lunch clubs grant", kind="end", effective_date=today
    )
    FunderPublishing.objects.create(funder=council, publishes=False)
    token, _secret = token_create(
        organisation=council, actor=officer, name="Agresso", may_write_invoices=True, may_write_payments=False,
        expires_at=None,
    )  # fmt: skip

    described = {entry.kind: entry.record for entry in entries() if entry.action == "created"}

    assert described["objective"] == "Objective 2. Fair funding (Southsea Compact)"
    assert described["plan_action"].startswith("Publish the funding calendar (Not started) under 2. Fair funding")
    assert described["review"] == "Review of the compact held 1 September 2027 (Southsea Compact)"
    assert described["group_member"] == "Cara Champion on the implementation group of Southsea Compact"
    assert described["meeting"] == "Meeting of 1 September 2027 (Southsea Compact)"
    assert described["monitoring_template"] == "Monitoring template \u201cSmall grants\u201d of Southsea Compact"
    assert described["monitoring_plan"] == "Monitoring plan of GR-2027-001"
    assert described["improvement_timetable"] == "Improvement timetable agreed 1 June 2027 on GR-2027-001"
    assert described["proposal"] == f"End the lunch clubs grant (Being planned), {council.name}"
    assert described["funder_publishing"] == f"{council.name}: does not publish"
    assert described["api_token"] == f"API token \u201cAgresso\u201d of {council.name}"
    token_entry = next(entry for entry in of_kind("api_token"))
    assert changes_of(token_entry)["Digest"] == (None, NOT_SHOWN)
    assert token.digest not in shown_values(token_entry)


# Records with a history that the trail leaves out, and why: what an organisation writes to its funder stays its
# own until sent (a return's answers, its files, the changes it tells), and a many-to-many table's rows are shown
# on the record that holds them (an organisation's communities and services).
LEFT_OUT_OF_THE_TRAIL = {
    "funding.MonitoringReturn",
    "funding.ReturnDocument",
    "funding.SignificantChange",
    "commitments.Organisation_communities",
    "commitments.Organisation_services",
}


def test_every_record_with_a_history_is_in_the_trail_or_left_out_for_a_reason():
    tracked = {model._meta.label for model in registered_models.values()}
    listed = {kind.model._meta.label for kind in kinds()}

    assert tracked - listed == LEFT_OUT_OF_THE_TRAIL
