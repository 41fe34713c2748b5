import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from commitments.models import Champion
from compact_portal.accounts.roles import Role
from funding.models import FundingRelationship, Invoice, Notice
from tests.accounts.factories import MembershipFactory
from tests.commitments.factories import CompactFactory, PublicBodyFactory
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory, NoticeFactory

# The factory's compacts carry no catalogue: each promise is the portal's default (test_citations.py has compacts
# that state them).
DEFAULT = escape("the portal's default (this compact states no such rule)")

pytestmark = pytest.mark.django_db


def _relationship_form(compact, council, charity, **overrides):
    """Funding logged after the event (a decision told, like an invoice received or notice given, cannot be after
    today, which the views take from the real clock)."""
    data = {
        "compact": compact.pk,
        "funder": council.pk,
        "recipient": charity.pk,
        "reference": "GR-2027-010",
        "title": "Holiday hunger project",
        "mechanism": "grant",
        "amount": "45000.00",
        "expected_start": "2026-04-01",
        "start_date": "2026-04-01",
        "end_date": "2029-03-31",
        "decision-kind": "awarded",
        "decision-told_date": "2026-02-01",
        "decision-rationale": "Strong bid.",
        "decision-justification": "",
        "decision-feedback": "",
    }
    return data | overrides


# --- Who may see what ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "status"),
    [
        ("officer", 200),
        ("vcs_member", 200),
        ("administrator", 200),
        ("outsider", 404),
        ("panel_member", 404),
        ("person_without_roles", 404),
    ],
)
def test_who_sees_a_relationship(client_for, funding, person, status):
    response = client_for(person).get(reverse("funding:relationship_detail", args=[funding.pk]))

    assert response.status_code == status


def test_the_compacts_champion_sees_its_funding(client, funding, championed, champion):
    client.force_login(champion)

    assert client.get(reverse("funding:relationship_detail", args=[funding.pk])).status_code == 200


def test_a_champion_of_another_compact_does_not(client, funding, champion, council):
    Champion.objects.create(compact=CompactFactory(name="Other Compact"), organisation=council, user=champion)
    client.force_login(champion)

    assert client.get(reverse("funding:relationship_detail", args=[funding.pk])).status_code == 404


def test_an_officer_of_another_body_gets_404(client, funding):
    other_officer = MembershipFactory(organisation=PublicBodyFactory(), role=Role.OFFICER).user
    client.force_login(other_officer)

    assert client.get(reverse("funding:relationship_detail", args=[funding.pk])).status_code == 404
    assert client.get(reverse("funding:relationship_edit", args=[funding.pk])).status_code == 404


def test_the_charity_does_not_see_the_funders_draft(client_for, draft_funding):
    response = client_for("vcs_member").get(reverse("funding:relationship_detail", args=[draft_funding.pk]))

    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, funding):
    response = client.get(reverse("funding:relationship_detail", args=[funding.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "url_name",
    ["funding:relationship_edit", "funding:decision_create", "funding:invoice_create", "funding:notice_create"],
)
def test_the_recipient_reads_but_cannot_change(client, funding, url_name, charity):
    # A member of the charity who is also an officer somewhere else: may see, may not change.
    person = MembershipFactory(organisation=charity, role=Role.VCS_MEMBER).user
    MembershipFactory(user=person, organisation=PublicBodyFactory(), role=Role.OFFICER)
    client.force_login(person)

    assert client.get(reverse(url_name, args=[funding.pk])).status_code == 403


def test_the_list_shows_each_person_only_their_own(client_for, funding, compact):
    other = AwardedFundingFactory(compact=compact, reference="XX-OTHER", title="Someone else's grant")

    officer_page = client_for("officer").get(reverse("funding:list")).content.decode()
    assert funding.reference in officer_page
    assert other.reference not in officer_page

    outsider_page = client_for("outsider").get(reverse("funding:list")).content.decode()
    assert funding.reference not in outsider_page


# --- Logging funding ----------------------------------------------------------------------------


def test_an_award_told_two_months_before_the_start_asks_for_a_justification(client_for, compact, council, charity):
    client = client_for("officer")
    data = _relationship_form(compact, council, charity)

    response = client.post(reverse("funding:relationship_create"), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert f"Without a justification this decision will be flagged as not keeping {DEFAULT}." in page
    assert 'value="Holiday hunger project"' in page  # nothing typed is lost
    assert not FundingRelationship.objects.exists()  # nothing saved before the officer chooses

    data["decision-justification"] = "The council's budget was set in February."
    response = client.post(reverse("funding:relationship_create"), data)

    funding = FundingRelationship.objects.get()
    assert response.status_code == 302
    assert response["Location"] == funding.get_absolute_url()
    assert funding.status == "awarded"
    assert funding.decisions.get().justification.startswith("The council's budget")


def test_a_decline_without_feedback_is_warned_of_before_saving(client_for, compact, council, charity):
    data = _relationship_form(compact, council, charity, **{"decision-kind": "declined"})

    response = client_for("officer").post(reverse("funding:relationship_create"), data)

    assert f"not keeping {DEFAULT}, which asks for constructive feedback" in response.content.decode()
    assert not FundingRelationship.objects.exists()


def test_a_short_term_is_warned_of_before_saving(client_for, compact, council, charity):
    data = _relationship_form(compact, council, charity, end_date="2028-03-31", **{"decision-told_date": "2025-12-01"})

    response = client_for("officer").post(reverse("funding:relationship_create"), data)

    assert "This funding lasts less than 3 years" in response.content.decode()
    assert not FundingRelationship.objects.exists()


def test_an_officer_cannot_log_funding_for_another_body(client_for, compact, charity):
    elsewhere = PublicBodyFactory()
    data = _relationship_form(compact, elsewhere, charity, **{"decision-told_date": "2025-12-01"})

    response = client_for("officer").post(reverse("funding:relationship_create"), data)

    assert response.status_code == 200
    assert not FundingRelationship.objects.exists()


def test_the_form_page_shows_where_computed_dates_appear(client_for):
    page = client_for("officer").get(reverse("funding:relationship_create")).content.decode()

    assert 'data-computed="decision_due_by"' in page
    assert "js/funding-dates.js" in page


def test_the_dates_preview_computes_with_the_compacts_settings(client_for, compact):
    response = client_for("officer").get(
        reverse("funding:dates_preview"),
        {
            "compact": compact.pk,
            "received_date": "2026-12-18",
            "notice_date": "2026-11-30",
            "expected_start": "2027-04-01",
        },
    )

    assert response.json() == {
        "pay_by": "Wednesday 6 January 2027",
        "earliest_effective_date": "Sunday 28 February 2027",
        "decision_due_by": "Friday 1 January 2027",
    }


@pytest.mark.parametrize("half_typed", ["0002-04-01", "0020-01-31", "0001-01-01"])
def test_the_dates_preview_waits_while_a_year_is_half_typed(client_for, compact, half_typed):
    response = client_for("officer").get(
        reverse("funding:dates_preview"),
        {"compact": compact.pk, "expected_start": half_typed, "received_date": half_typed, "notice_date": half_typed},
    )

    assert response.status_code == 200
    assert response.json() == {}  # the form keeps its "(enter the dates to see it)" placeholder


@pytest.mark.parametrize("year", ["0002", "1899", "2200", "9999"])
def test_a_mistyped_year_is_a_field_error_and_nothing_is_saved(client_for, compact, council, charity, year):
    data = _relationship_form(compact, council, charity, expected_start=f"{year}-04-01", start_date=f"{year}-04-01")

    response = client_for("officer").post(reverse("funding:relationship_create"), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Expected start: Enter a date between 1900 and 2199; check the year." in page
    assert not FundingRelationship.objects.exists()


# --- Invoices and payments ----------------------------------------------------------------------


def test_adding_an_invoice_shows_its_pay_by_date(client_for, funding):
    client = client_for("officer")

    response = client.post(
        reverse("funding:invoice_create", args=[funding.pk]),
        {"invoice_number": "SCFB-101", "amount": "2500.00", "received_date": "2025-12-18"},
        follow=True,
    )

    assert Invoice.objects.get().pay_by == datetime.date(2026, 1, 6)
    assert "Pay it by 6 January 2026" in response.content.decode()
    assert "6 Jan 2026" in response.content.decode()  # on the relationship's invoice list


def test_a_duplicate_invoice_number_is_refused_in_plain_english(client_for, funding):
    InvoiceFactory(relationship=funding, invoice_number="SCFB-101")

    response = client_for("officer").post(
        reverse("funding:invoice_create", args=[funding.pk]),
        {"invoice_number": "SCFB-101", "amount": "10", "received_date": "2025-12-18"},
    )

    assert "already has an invoice with that number" in response.content.decode()


def test_changing_the_received_date_moves_the_pay_by_date(client_for, funding):
    invoice = InvoiceFactory(relationship=funding, received_date=datetime.date(2026, 4, 7))

    client_for("officer").post(
        reverse("funding:invoice_edit", args=[invoice.pk]),
        {"invoice_number": invoice.invoice_number, "amount": "2500.00", "received_date": "2026-03-25"},
    )

    invoice.refresh_from_db()
    assert invoice.pay_by == datetime.date(2026, 4, 10)  # Good Friday and Easter Monday 2026 skipped


def test_a_late_payment_shows_how_late(client_for, funding):
    invoice = InvoiceFactory(relationship=funding, received_date=datetime.date(2026, 4, 7))  # pay by 21 April
    client = client_for("officer")

    client.post(reverse("funding:payment_create", args=[invoice.pk]), {"paid_date": "2026-04-23", "amount": "2500.00"})

    page = client.get(funding.get_absolute_url()).content.decode()
    assert "Paid on 23 April 2026, 2 working days late" in page
    assert '<span class="badge text-bg-danger">Broken</span> Paid on 23 April 2026' in page


def test_an_overpayment_is_refused_and_the_form_kept(client_for, funding):
    invoice = InvoiceFactory(relationship=funding, amount=Decimal("100"), received_date=datetime.date(2026, 4, 7))

    response = client_for("officer").post(
        reverse("funding:payment_create", args=[invoice.pk]), {"paid_date": "2026-04-22", "amount": "150.00"}
    )

    assert "Only £100.00 is still owed" in response.content.decode()
    assert 'value="150.00"' in response.content.decode()


# --- Notices ------------------------------------------------------------------------------------


def test_a_short_notice_is_recorded_and_the_officer_warned(client_for, funding):
    response = client_for("officer").post(
        reverse("funding:notice_create", args=[funding.pk]),
        {
            "kind": "end",
            "notice_date": "2023-11-30",
            "effective_date": "2024-01-31",
            "rationale": "The service is being recommissioned.",
        },
        follow=True,
    )

    notice = Notice.objects.get()
    assert notice.earliest_effective_date == datetime.date(2024, 2, 29)
    assert "It will be flagged" in response.content.decode()


def test_the_charity_responds_to_a_notice_in_its_window(client_for, funding):
    today = timezone.localdate()
    notice = NoticeFactory(
        relationship=funding,
        notice_date=today - datetime.timedelta(days=3),
        effective_date=today + datetime.timedelta(days=120),
        response_due_by=today + datetime.timedelta(days=10),
    )
    client = client_for("vcs_member")

    response = client.post(reverse("funding:notice_detail", args=[notice.pk]), {"response": "400 families rely on us."})

    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.response == "400 families rely on us."


def test_after_the_window_the_response_form_is_gone_and_posts_refused(client_for, funding):
    today = timezone.localdate()
    notice = NoticeFactory(
        relationship=funding,
        notice_date=today - datetime.timedelta(days=30),
        effective_date=today + datetime.timedelta(days=90),
        response_due_by=today - datetime.timedelta(days=1),
    )
    client = client_for("vcs_member")

    page = client.get(reverse("funding:notice_detail", args=[notice.pk])).content.decode()
    assert "The window for responding closed" in page
    assert client.post(reverse("funding:notice_detail", args=[notice.pk]), {"response": "late"}).status_code == 403


def test_the_funders_officer_cannot_respond_for_the_charity(client_for, funding):
    today = timezone.localdate()
    notice = NoticeFactory(
        relationship=funding,
        notice_date=today,
        effective_date=today + datetime.timedelta(days=120),
        response_due_by=today + datetime.timedelta(days=10),
    )

    response = client_for("officer").post(reverse("funding:notice_detail", args=[notice.pk]), {"response": "x"})

    assert response.status_code == 403


# --- Lists, filters and the organisation's own view ---------------------------------------------


def test_the_list_filters_late_payments_and_short_notices(client_for, compact, council, charity):
    late = AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="LATE-1")
    InvoiceFactory(relationship=late, received_date=timezone.localdate() - datetime.timedelta(days=60))
    short = AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="SHORT-1")
    NoticeFactory(relationship=short, notice_date=datetime.date(2027, 9, 1), effective_date=datetime.date(2027, 10, 1))
    AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="FINE-1")
    client = client_for("officer")

    late_page = client.get(reverse("funding:list"), {"late_payments": "on"}).content.decode()
    short_page = client.get(reverse("funding:list"), {"short_notice": "on"}).content.decode()
    all_page = client.get(reverse("funding:list")).content.decode()

    assert ("LATE-1" in late_page, "SHORT-1" in late_page, "FINE-1" in late_page) == (True, False, False)
    assert ("LATE-1" in short_page, "SHORT-1" in short_page, "FINE-1" in short_page) == (False, True, False)
    assert all(reference in all_page for reference in ("LATE-1", "SHORT-1", "FINE-1"))


@pytest.mark.parametrize(("params", "shown"), [({"mechanism": "contract"}, "CON-1"), ({"q": "food"}, "GR-FOOD")])
def test_the_list_filters_by_mechanism_and_words(client_for, compact, council, charity, params, shown):
    AwardedFundingFactory(
        compact=compact, funder=council, recipient=charity, reference="CON-1", mechanism="contract", title="Advice"
    )
    AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="GR-FOOD", title="Food bank")

    page = client_for("officer").get(reverse("funding:list"), params).content.decode()

    assert shown in page
    assert ({"CON-1", "GR-FOOD"} - {shown}).pop() not in page


def test_the_list_sorts_by_amount(client_for, compact, council, charity):
    AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="BIG", amount=Decimal("90000"))
    AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="SMALL", amount=Decimal("900"))

    page = client_for("officer").get(reverse("funding:list"), {"sort": "amount"}).content.decode()

    assert page.index("SMALL") < page.index("BIG")


def test_the_list_page_has_a_query_budget(client_for, compact, council, charity, django_assert_max_num_queries):
    client = client_for("officer")
    for number in range(30):
        funding = AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference=f"Q-{number}")
        InvoiceFactory(relationship=funding)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("funding:list"))

    assert response.status_code == 200


def test_the_relationship_page_has_a_query_budget(client_for, funding, django_assert_max_num_queries):
    for _ in range(10):
        InvoiceFactory(relationship=funding)
        NoticeFactory(relationship=funding)
    client = client_for("officer")

    with django_assert_max_num_queries(16):
        response = client.get(funding.get_absolute_url())

    assert response.status_code == 200


def test_the_charity_sees_all_its_funding_in_one_place(client_for, funding, charity, compact):
    other_funder = PublicBodyFactory(name="Solent NHS Trust")
    AwardedFundingFactory(compact=compact, funder=other_funder, recipient=charity, reference="NHS-7")

    page = client_for("vcs_member").get(reverse("funding:recipient_overview", args=[charity.slug])).content.decode()

    assert "GR-2027-001" in page
    assert "NHS-7" in page
    assert "Solent NHS Trust" in page


def test_another_organisations_overview_is_404(client_for, funding, charity):
    response = client_for("outsider").get(reverse("funding:recipient_overview", args=[charity.slug]))

    assert response.status_code == 404


# --- Exports ------------------------------------------------------------------------------------


def test_the_awards_csv_holds_only_what_the_person_may_see(client_for, funding, compact):
    AwardedFundingFactory(compact=compact, reference="NOT-YOURS")

    response = client_for("officer").get(reverse("funding:awards_csv"))
    body = response.content.decode("utf-8-sig")

    assert response["Content-Disposition"].startswith("attachment")
    assert "GR-2027-001" in body
    assert "NOT-YOURS" not in body


def test_the_360giving_export_narrows_to_a_funder(client_for, funding, council, compact):
    AwardedFundingFactory(compact=compact, reference="OTHER-FUNDER")

    response = client_for("administrator").get(reverse("funding:awards_360giving"), {"funder": council.slug})

    ids = [grant["id"] for grant in response.json()["grants"]]
    assert len(ids) == 1
    assert ids[0].endswith("GR-2027-001")


# --- Import -------------------------------------------------------------------------------------


def test_an_officer_imports_invoices_in_the_browser(client_for, funding):
    csv = "funding_reference,invoice_number,amount,received_date,paid_date\nGR-2027-001,INV-9,120.00,18/12/2025,\n"
    upload = _upload(csv)

    response = client_for("officer").post(reverse("funding:import"), {"kind": "invoices", "file": upload})

    assert "Imported: 1 new" in response.content.decode()
    assert Invoice.objects.get().pay_by == datetime.date(2026, 1, 6)


def test_a_bad_import_lists_each_row_and_saves_nothing(client_for, funding):
    csv = (
        "funding_reference,invoice_number,amount,received_date,paid_date\n"
        "GR-2027-001,INV-9,120.00,18/12/2025,\n"
        "GR-2027-001,INV-10,lots,2025-12-18,\n"
    )

    response = client_for("officer").post(reverse("funding:import"), {"kind": "invoices", "file": _upload(csv)})

    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "Row 3:" in page
    assert not Invoice.objects.exists()


def _upload(text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("funding.csv", text.encode(), content_type="text/csv")


def test_vcs_members_see_funding_in_the_navigation(client_for):
    page = client_for("vcs_member").get(reverse("home")).content.decode()

    assert reverse("funding:list") in page


def test_an_empty_360giving_export_says_so_instead_of_an_invalid_file(client_for, draft_funding):
    response = client_for("officer").get(reverse("funding:awards_360giving"), follow=True)

    assert "There are no awards to export yet" in response.content.decode()


def test_the_overview_page_has_a_query_budget(client_for, charity, compact, django_assert_max_num_queries):
    for number in range(15):
        funding = AwardedFundingFactory(compact=compact, recipient=charity, reference=f"OV-{number}")
        InvoiceFactory(relationship=funding)
        NoticeFactory(relationship=funding)
    client = client_for("vcs_member")

    with django_assert_max_num_queries(12):
        response = client.get(reverse("funding:recipient_overview", args=[charity.slug]))

    assert response.status_code == 200
