"""What has happened cannot have happened after today: a decision told, an invoice received, a payment made or
notice given after the day it is recorded is refused with a plain message, by the services every path goes
through (the forms, the CSV import in the browser and from the command, jobs), losing nothing typed. Planned dates
(an expected start, an end, an effective date, a response deadline) may lie ahead.

At the edge: today is accepted, tomorrow refused, for each of the four dates, in the services (``today`` passed in),
on the forms and in the imports. The forms and the command take today from the real clock, as the portal does.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape

from compact_portal.csv_import import read_csv
from funding import services
from funding.models import Decision, FundingRelationship, Invoice, Notice, Payment
from funding.services.imports import funding_import
from tests.funding.factories import AwardedFundingFactory, FundingRelationshipFactory, InvoiceFactory, NoticeFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
TODAY = datetime.date(2027, 5, 3)  # the services' and function imports' today, where a test passes it in

# date -> the message, without its "(<today>)."
MESSAGES = {
    "told_date": "A decision cannot be told to the organisation after today",
    "received_date": "An invoice cannot be received after today",
    "paid_date": "A payment cannot be made after today",
    "notice_date": "Notice cannot be given after today",
}
EDGES = [pytest.param(0, id="today-accepted"), pytest.param(1, id="tomorrow-refused")]


def refusal(field: str, today: datetime.date) -> str:
    return f"{MESSAGES[field]} ({date_format(today)})."


def test_the_message_names_today_in_words():
    assert refusal("received_date", datetime.date(2026, 12, 4)) == (
        "An invoice cannot be received after today (4 December 2026)."
    )


# --- The services -----------------------------------------------------------------------------------------------


def _decision(day, today):
    funding = FundingRelationshipFactory(expected_start=TODAY + 200 * DAY, start_date=None, end_date=None)
    services.decision_record(
        relationship=funding, actor=None, kind="awarded", told_date=day, today=today, rationale="Strong bid."
    )
    return Decision.objects.filter(relationship=funding)


def _invoice(day, today):
    funding = AwardedFundingFactory()
    services.invoice_record(
        relationship=funding, actor=None, invoice_number="INV-1", amount=Decimal("100"), received_date=day, today=today
    )
    return Invoice.objects.filter(relationship=funding)


def _invoice_corrected(day, today):
    invoice = InvoiceFactory(received_date=TODAY - 20 * DAY)
    services.invoice_update(
        invoice=invoice, actor=None, invoice_number=invoice.invoice_number, amount=invoice.amount, received_date=day,
        today=today,
    )  # fmt: skip
    return Invoice.objects.filter(pk=invoice.pk, received_date=day)


def _payment(day, today):
    invoice = InvoiceFactory(received_date=TODAY - 20 * DAY)
    services.payment_record(invoice=invoice, actor=None, paid_date=day, amount=invoice.amount, today=today)
    return Payment.objects.filter(invoice=invoice)


def _notice(day, today):
    funding = AwardedFundingFactory()
    services.notice_record(
        relationship=funding, actor=None, today=today, kind="end", notice_date=day, effective_date=day + 200 * DAY,
        rationale="Recommissioned.",
    )  # fmt: skip
    return Notice.objects.filter(relationship=funding)


def _notice_corrected(day, today):
    notice = NoticeFactory(notice_date=TODAY - 20 * DAY, effective_date=TODAY + 200 * DAY)
    services.notice_update(notice=notice, actor=None, today=today, notice_date=day)
    return Notice.objects.filter(pk=notice.pk, notice_date=day)


@pytest.mark.parametrize(
    ("record", "field"),
    [
        pytest.param(_decision, "told_date", id="decision-told"),
        pytest.param(_invoice, "received_date", id="invoice-received"),
        pytest.param(_invoice_corrected, "received_date", id="invoice-corrected"),
        pytest.param(_payment, "paid_date", id="payment-made"),
        pytest.param(_notice, "notice_date", id="notice-given"),
        pytest.param(_notice_corrected, "notice_date", id="notice-corrected"),
    ],
)
@pytest.mark.parametrize("days_ahead", EDGES)
def test_the_services_refuse_what_happened_after_today(record, field, days_ahead):
    day = TODAY + days_ahead * DAY

    if days_ahead == 0:
        assert record(day, TODAY).exists()
    else:
        with pytest.raises(services.ValidationError) as refused:
            record(day, TODAY)
        assert refused.value.message_dict == {field: [refusal(field, TODAY)]}


def test_planned_dates_may_lie_ahead():
    """An expected start and an end, an effective date, a response deadline and a final decision date."""
    funding = FundingRelationshipFactory(
        expected_start=TODAY + 400 * DAY, start_date=TODAY + 400 * DAY, end_date=TODAY + 1600 * DAY
    )
    services.decision_record(
        relationship=funding, actor=None, kind="awarded", told_date=TODAY, today=TODAY, rationale="Strong bid."
    )
    notice = services.notice_record(
        relationship=funding, actor=None, today=TODAY, kind="change", notice_date=TODAY,
        effective_date=TODAY + 120 * DAY, rationale="Quarterly returns.", response_due_by=TODAY + 30 * DAY,
        final_decision_date=TODAY + 45 * DAY,
    )  # fmt: skip

    assert notice.pk
    assert funding.decisions.exists()


# --- The forms (today is the real one) --------------------------------------------------------------------------


def _awarded(council, charity, compact):
    return AwardedFundingFactory(compact=compact, funder=council, recipient=charity)


def _decision_form(compact, council, charity, day):
    today = timezone.localdate()
    funding = FundingRelationshipFactory(
        compact=compact, funder=council, recipient=charity, expected_start=today + 200 * DAY, start_date=None,
        end_date=None,
    )  # fmt: skip
    url = reverse("funding:decision_create", args=[funding.pk])
    return url, {"kind": "awarded", "told_date": day, "rationale": "Strong bid."}, Decision.objects.all()


def _log_funding_form(compact, council, charity, day):
    start = (timezone.localdate() + 200 * DAY).isoformat()
    data = {
        "compact": compact.pk, "funder": council.pk, "recipient": charity.pk, "reference": "GR-NEW", "title": "Meals",
        "mechanism": "grant", "amount": "1000", "expected_start": start, "decision-kind": "awarded",
        "decision-told_date": day, "decision-rationale": "Strong bid.",
    }  # fmt: skip
    return reverse("funding:relationship_create"), data, FundingRelationship.objects.filter(reference="GR-NEW")


def _invoice_form(compact, council, charity, day):
    funding = _awarded(council, charity, compact)
    url = reverse("funding:invoice_create", args=[funding.pk])
    return url, {"invoice_number": "INV-1", "amount": "100.00", "received_date": day}, Invoice.objects.all()


def _invoice_edit_form(compact, council, charity, day):
    invoice = InvoiceFactory(relationship=_awarded(council, charity, compact), received_date=datetime.date(2026, 4, 7))
    url = reverse("funding:invoice_edit", args=[invoice.pk])
    data = {"invoice_number": invoice.invoice_number, "amount": "2500.00", "received_date": day}
    return url, data, Invoice.objects.filter(received_date=day)


def _payment_form(compact, council, charity, day):
    invoice = InvoiceFactory(relationship=_awarded(council, charity, compact), received_date=datetime.date(2026, 4, 7))
    url = reverse("funding:payment_create", args=[invoice.pk])
    return url, {"paid_date": day, "amount": "2500.00"}, Payment.objects.all()


def _notice_form(compact, council, charity, day):
    funding = _awarded(council, charity, compact)
    effective = (timezone.localdate() + 200 * DAY).isoformat()
    data = {"kind": "end", "notice_date": day, "effective_date": effective, "rationale": "Recommissioned."}
    return reverse("funding:notice_create", args=[funding.pk]), data, Notice.objects.all()


def _notice_edit_form(compact, council, charity, day):
    notice = NoticeFactory(
        relationship=_awarded(council, charity, compact),
        notice_date=datetime.date(2026, 4, 1),
        effective_date=datetime.date(2026, 8, 1),
    )
    effective = (timezone.localdate() + 200 * DAY).isoformat()
    data = {"kind": "end", "notice_date": day, "effective_date": effective, "rationale": "Recommissioned."}
    return reverse("funding:notice_edit", args=[notice.pk]), data, Notice.objects.filter(notice_date=day)


@pytest.mark.parametrize(
    ("form", "field", "name"),
    [
        pytest.param(_decision_form, "told_date", "told_date", id="decision"),
        pytest.param(_log_funding_form, "told_date", "decision-told_date", id="log-funding-first-decision"),
        pytest.param(_invoice_form, "received_date", "received_date", id="invoice"),
        pytest.param(_invoice_edit_form, "received_date", "received_date", id="invoice-edit"),
        pytest.param(_payment_form, "paid_date", "paid_date", id="payment"),
        pytest.param(_notice_form, "notice_date", "notice_date", id="notice"),
        pytest.param(_notice_edit_form, "notice_date", "notice_date", id="notice-edit"),
    ],
)
@pytest.mark.parametrize("days_ahead", EDGES)
def test_the_forms_refuse_what_happened_after_today_keeping_what_was_typed(
    client_for, compact, council, charity, form, field, name, days_ahead
):
    today = timezone.localdate()
    day = (today + days_ahead * DAY).isoformat()
    url, data, saved = form(compact, council, charity, day)

    response = client_for("officer").post(url, data)

    if days_ahead == 0:
        assert response.status_code == 302, response.content.decode()
        assert saved.exists()
        return
    page = response.content.decode()
    assert response.status_code == 200
    assert "error-summary" in page
    assert escape(refusal(field, today)) in page
    assert f'name="{name}" value="{day}"' in page  # what was typed is kept
    assert not saved.exists()


# --- The imports ------------------------------------------------------------------------------------------------

FILES = {
    "relationships": (
        "decision_date",
        "reference,funder_org_id,recipient_org_id,compact,mechanism,title,amount,expected_start,start_date,end_date,"
        "end_date_defined_at_start,strategic,decision,decision_date,decision_justification,term_explanation,feedback\n"
        "GR-NEW,GB-LAE-POR,GB-CHC-1170001,southsea,grant,Meals,1000,{start},,,no,no,awarded,{day},,,\n",
    ),
    "invoices": (
        "received_date",
        "funding_reference,invoice_number,amount,received_date,paid_date\nGR-2027-001,INV-1,100,{day},\n",
    ),
    "payments": (
        "paid_date",
        "funding_reference,invoice_number,amount,received_date,paid_date\nGR-2027-001,INV-1,100,{before},{day}\n",
    ),
    "notices": (
        "notice_date",
        "funding_reference,kind,notice_date,effective_date,rationale\nGR-2027-001,end,{day},{start},Recommissioned.\n",
    ),
}
# column -> the service's field
FIELDS = {"decision_date": "told_date", "received_date": "received_date", "paid_date": "paid_date"} | {
    "notice_date": "notice_date"
}
SAVED = {
    "relationships": lambda: Decision.objects.filter(relationship__reference="GR-NEW"),
    "invoices": lambda: Invoice.objects.all(),
    "payments": lambda: Payment.objects.all(),
    "notices": lambda: Notice.objects.all(),
}


@pytest.fixture
def importable(compact, council, charity):
    """The council (a signatory of the compact) funds the charity: GR-2027-001, for invoices and notices."""
    for organisation, org_id in ((council, "GB-LAE-POR"), (charity, "GB-CHC-1170001")):
        organisation.org_id = org_id
        organisation.save()
    compact.slug = "southsea"
    compact.save()
    return AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="GR-2027-001")


def _file(which: str, day: datetime.date) -> str:
    _column, text = FILES[which]
    return text.format(day=day.isoformat(), before=(day - 20 * DAY).isoformat(), start=(day + 200 * DAY).isoformat())


@pytest.mark.parametrize("which", FILES)
@pytest.mark.parametrize("days_ahead", EDGES)
def test_an_import_refuses_a_row_of_what_happened_after_today_by_its_number(importable, which, days_ahead):
    header, rows = read_csv(_file(which, TODAY + days_ahead * DAY).encode())

    result = funding_import(kind="invoices" if which == "payments" else which, header=header, rows=rows,
                            actor=None, today=TODAY)  # fmt: skip

    if days_ahead == 0:
        assert result.ok, result.errors
        assert SAVED[which]().exists()
    else:
        column = FILES[which][0]
        assert [(error.row, error.message) for error in result.errors] == [
            (2, f"{column}: {refusal(FIELDS[column], TODAY)}")
        ]
        assert not SAVED[which]().exists()


@pytest.mark.parametrize("which", FILES)
@pytest.mark.parametrize("days_ahead", EDGES)
def test_the_command_imports_as_of_the_real_today(importable, which, days_ahead, tmp_path, capsys):
    today = timezone.localdate()
    path = tmp_path / f"{which}.csv"
    path.write_text(_file(which, today + days_ahead * DAY))
    kind = "invoices" if which == "payments" else which

    if days_ahead == 0:
        call_command("import_funding", kind, str(path))
        assert SAVED[which]().exists()
    else:
        with pytest.raises(CommandError, match="Nothing was imported: 1 row"):
            call_command("import_funding", kind, str(path))
        column = FILES[which][0]
        assert f"Row 2: {column}: {refusal(FIELDS[column], today)}" in capsys.readouterr().err
        assert not SAVED[which]().exists()
