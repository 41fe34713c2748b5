"""One record per form sent (compact_portal/one_time.py): every form that creates a record carries a one-time key,
and the same form posted twice, one post after the other or both at once, stores one record.

The seven create paths of the finding: a payment, a notice, a decision, a new consultation, a report request, a note
on a case and a public sign-up application (the concern form has its own tests in tests/disputes).
"""

import datetime
import re
import threading
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from commitments.models import ComplianceReport, Organisation, Signature, SignatureStatus
from compact_portal.models import SubmissionKey
from compact_portal.one_time import ALREADY_RECORDED, once
from consultations.models import Consultation, PolicyArea
from disputes.models import CaseEvent, EventKind
from funding.forms import NoticeForm
from funding.models import Decision, Invoice, Notice, Payment
from tests.commitments.factories import (
    ChampionFactory,
    CommitmentFactory,
    CompactFactory,
    SectionFactory,
    SignatureFactory,
)
from tests.disputes.factories import ConcernFactory
from tests.funding.factories import AwardedFundingFactory, FundingRelationshipFactory, InvoiceFactory, NoticeFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def same_day(monkeypatch):
    """Today held at the day this module was loaded, so a run that passes midnight does not see two days."""
    real = timezone.localdate  # a moment's date (localdate(value)) is still worked out

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)


def key_on(page: str, name: str = "submission_key") -> str:
    """The one-time key a page's form carries (its hidden field, as the browser sends it back)."""
    found = re.search(rf'<input type="hidden" name="{name}" value="([0-9a-f-]{{36}})"', page)
    assert found, f"no {name} on the page"
    return found.group(1)


# --- The world: the council funds the charity, under a compact both have signed ----------------------------------


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def compact(council, charity):
    compact = CompactFactory(name="Southsea Compact", status="adopted", adopted_date=datetime.date(2025, 4, 1))
    for organisation in (council, charity):
        SignatureFactory(compact=compact, organisation=organisation)
    section = SectionFactory(compact=compact, number="13", side="public")
    CommitmentFactory(compact=compact, section=section, code="13.3", side="public", summary="Three months' notice.")
    return compact


@pytest.fixture
def funding(compact, council, charity):
    return AwardedFundingFactory(compact=compact, funder=council, recipient=charity, reference="GR-2027-001")


@pytest.fixture
def invoice(funding):
    return InvoiceFactory(relationship=funding, amount=Decimal("2500.00"), received_date=TODAY - DAY * 30)


@pytest.fixture
def undecided(compact, council, charity):
    return FundingRelationshipFactory(compact=compact, funder=council, recipient=charity, reference="GR-2027-002")


@pytest.fixture
def compact_champion(compact, council, champion):
    ChampionFactory(compact=compact, organisation=council, user=champion)
    return champion


@pytest.fixture
def concern(compact, council, charity, vcs_member):
    return ConcernFactory(actor=vcs_member, raiser=charity, compact=compact, respondent=council, today=TODAY)


@pytest.fixture
def no_report_rendering(monkeypatch):
    """A requested report is queued, not rendered (rendering is tested in tests/commitments)."""
    monkeypatch.setattr("commitments.tasks.render_compliance_report.delay", lambda *args, **kwargs: None)


def youth_area() -> PolicyArea:
    """Seeded by a data migration, which a test with real transactions empties away: made again if need be."""
    area, _ = PolicyArea.objects.get_or_create(
        slug="children-and-young-people", defaults={"name": "Children and young people"}
    )
    return area


@dataclass
class Path:
    """A form that creates a record: who sends it, the page that shows it, what is sent, and where it leads."""

    person: str | None  # a person fixture, or None for a visitor
    page: str  # the URL of the page with the form
    data: dict
    stored: object  # () -> the records the form made
    key_field: str = "submission_key"
    post_to: str = ""  # when the form posts elsewhere than its page
    shows: str = ""  # where the answer leads (a redirect's Location), or "" for a page shown (the sign-up)

    @property
    def url(self) -> str:
        return self.post_to or self.page


def path_for(name: str, request) -> Path:
    fixture = request.getfixturevalue
    if name == "payment":
        invoice = fixture("invoice")
        return Path(
            "officer",
            reverse("funding:payment_create", args=[invoice.pk]),
            {"paid_date": TODAY.isoformat(), "amount": "1000.00"},
            lambda: Payment.objects.filter(invoice=invoice),
            shows=invoice.relationship.get_absolute_url(),
        )
    if name == "notice":
        funding = fixture("funding")
        return Path(
            "officer",
            reverse("funding:notice_create", args=[funding.pk]),
            {
                "kind": "reduce",
                "notice_date": TODAY.isoformat(),
                "effective_date": (TODAY + DAY * 120).isoformat(),
                "rationale": "The budget is cut.",
            },
            lambda: Notice.objects.filter(relationship=funding),
        )
    if name == "decision":
        relationship = fixture("undecided")
        return Path(
            "officer",
            reverse("funding:decision_create", args=[relationship.pk]),
            {"kind": "awarded", "told_date": "2026-10-01", "rationale": "A strong bid."},
            lambda: Decision.objects.filter(relationship=relationship),
            shows=relationship.get_absolute_url(),
        )
    if name == "consultation":
        compact, council = fixture("compact"), fixture("council")
        data = {
            "compact": compact.pk,
            "body": council.pk,
            "title": "Youth services review",
            "summary": "Which youth services matter most?",
            "policy_area": youth_area().pk,
            "formal": "on",
            "announced_date": (TODAY + DAY * 7).isoformat(),
            "open_date": (TODAY + DAY * 14).isoformat(),
            "close_date": (TODAY + DAY * 97).isoformat(),
            "contact_email": "youth@example.org",
        }
        return Path("officer", reverse("consultations:create"), data, lambda: Consultation.objects.all())
    if name == "report":
        compact = fixture("compact")
        fixture("compact_champion")
        fixture("no_report_rendering")
        return Path(
            "champion",
            reverse("commitments:reports", args=[compact.slug]),
            {"year": "2026", "quarter": "2", "meeting": "the partnership board"},
            lambda: ComplianceReport.objects.all(),
        )
    if name == "case note":
        concern = fixture("concern")
        return Path(
            "vcs_member",
            concern.get_absolute_url(),
            {"note-text": "We sent the minutes on Friday."},
            lambda: CaseEvent.objects.filter(concern=concern, kind=EventKind.NOTE),
            key_field="note-submission_key",
            post_to=reverse("disputes:case_action", args=[concern.reference, "note"]),
            shows=concern.get_absolute_url(),
        )
    if name == "sign-up":
        compact = fixture("compact")
        data = {
            "applicant_name": "Ann Applicant",
            "applicant_email": "ann@example.org",
            "name": "Milton Allotment Society",
            "side": "vcs",
            "organisation_type": "unincorporated_community_group",
            "postcode": "po4 8lr",
            "email": "allotments@example.org",
            "paid_staff": "0",
        }
        return Path(
            None,
            reverse("commitments:sign_up", args=[compact.slug]),
            data,
            lambda: Signature.objects.filter(compact=compact, organisation__name="Milton Allotment Society"),
        )
    raise AssertionError(name)


PATHS = ["payment", "notice", "decision", "consultation", "report", "case note", "sign-up"]


@pytest.fixture
def client_as(client, request):
    def sign_in(person: str | None) -> Client:
        if person:
            client.force_login(request.getfixturevalue(person))
        return client

    return sign_in


# --- The same form sent twice, one post after the other ----------------------------------------------------------


@pytest.mark.parametrize("name", PATHS)
def test_the_same_form_sent_twice_stores_one_record_and_says_so(client_as, request, name):
    path = path_for(name, request)
    client = client_as(path.person)
    key = key_on(client.get(path.page).content.decode(), path.key_field)

    first = client.post(path.url, {**path.data, path.key_field: key})
    again = client.post(path.url, {**path.data, path.key_field: key}, follow=True)

    assert path.stored().count() == 1
    record = path.stored().get()
    assert SubmissionKey.objects.get(key=key).record == record
    assert ALREADY_RECORDED in again.content.decode()
    if name == "sign-up":  # the confirmation, again
        assert first.status_code == again.status_code == 200
        assert "Application received" in again.content.decode()
        assert Organisation.objects.filter(name="Milton Allotment Society").count() == 1
    else:
        assert first.status_code == 302
        assert again.redirect_chain == [(first["Location"], 302)]
        if path.shows:
            assert first["Location"] == path.shows


@pytest.mark.parametrize("name", PATHS)
def test_each_time_the_form_is_shown_it_has_a_new_key(client_as, request, name):
    path = path_for(name, request)
    client = client_as(path.person)

    keys = {key_on(client.get(path.page).content.decode(), path.key_field) for _ in range(2)}

    assert len(keys) == 2


def test_a_payment_sent_twice_counts_once_in_the_amount_paid(client_as, request, invoice):
    path = path_for("payment", request)
    client = client_as("officer")
    key = key_on(client.get(path.page).content.decode())

    for _ in range(2):
        client.post(path.url, {**path.data, "submission_key": key})

    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("1000.00")
    assert invoice.outstanding == Decimal("1500.00")


def test_a_second_payment_from_the_form_shown_again_is_stored(client_as, request, invoice):
    """A new key for each showing of the form: a second, genuine part payment is not mistaken for a repeat."""
    path = path_for("payment", request)
    client = client_as("officer")
    for _ in range(2):
        key = key_on(client.get(path.page).content.decode())
        assert client.post(path.url, {**path.data, "submission_key": key}).status_code == 302

    invoice.refresh_from_db()
    assert path.stored().count() == 2
    assert invoice.amount_paid == Decimal("2000.00")


def test_a_form_shown_again_with_its_mistakes_keeps_its_key_so_the_corrected_form_pays_once(client_as, request):
    path = path_for("payment", request)
    client = client_as("officer")
    key = key_on(client.get(path.page).content.decode())

    wrong = client.post(path.url, {**path.data, "amount": "9999.00", "submission_key": key})  # more than is owed
    assert wrong.status_code == 200
    assert "is still owed" in wrong.content.decode()
    assert key_on(wrong.content.decode()) == key
    assert not SubmissionKey.objects.exists()  # the refused post left no key behind

    for _ in range(2):
        client.post(path.url, {**path.data, "submission_key": key})
    assert path.stored().count() == 1


def test_a_form_sent_without_a_key_still_works(client_as, request):
    """A page from before the keys, or a script: the record is stored, with no protection against a repeat."""
    path = path_for("notice", request)

    response = client_as("officer").post(path.url, path.data)

    assert response.status_code == 302
    assert path.stored().count() == 1


def test_the_edit_forms_carry_no_key(funding):
    notice = NoticeFactory(relationship=funding)

    assert "submission_key" not in NoticeForm(instance=notice, compact=funding.compact).fields
    assert "submission_key" in NoticeForm(compact=funding.compact).fields


def test_a_key_sent_by_someone_else_is_refused(client_as, request, invoice, officer, council):
    from compact_portal.accounts.roles import Role
    from tests.accounts.factories import MembershipFactory

    path = path_for("payment", request)
    key = key_on(client_as("officer").get(path.page).content.decode())
    client_as("officer").post(path.url, {**path.data, "submission_key": key})
    colleague = MembershipFactory(organisation=council, role=Role.OFFICER).user
    other = Client()
    other.force_login(colleague)

    response = other.post(path.url, {**path.data, "submission_key": key})

    assert response.status_code == 403
    assert path.stored().count() == 1


# --- once() itself --------------------------------------------------------------------------------------------------


def test_once_makes_the_record_once_per_key(invoice, officer):
    made = []

    def create():
        made.append(Payment.objects.create(invoice=invoice, paid_date=TODAY, amount=1))
        return made[-1]

    key = uuid.uuid4()
    first, created = once(key=key, actor=officer, model=Payment, create=create)
    again, created_again = once(key=key, actor=officer, model=Payment, create=create)

    assert (created, created_again) == (True, False)
    assert again == first
    assert (first.already_recorded, again.already_recorded) == (False, True)
    assert len(made) == 1
    entry = SubmissionKey.objects.get(key=key)
    assert (entry.content_type, entry.object_id, entry.created_by) == (
        ContentType.objects.get_for_model(Payment),
        first.pk,
        officer,
    )


def test_once_refuses_a_key_used_for_another_kind_of_record(invoice, officer, funding):
    key = uuid.uuid4()
    once(key=key, actor=officer, model=Payment, create=lambda: _payment(invoice))

    with pytest.raises(ValidationError):
        once(key=key, actor=officer, model=Notice, create=lambda: NoticeFactory(relationship=funding))


def test_once_refuses_someone_elses_key(invoice, officer, vcs_member):
    key = uuid.uuid4()
    once(key=key, actor=officer, model=Payment, create=lambda: _payment(invoice))

    with pytest.raises(PermissionDenied):
        once(key=key, actor=vcs_member, model=Payment, create=lambda: _payment(invoice))


def test_once_keeps_no_key_when_the_record_is_refused(invoice, officer):
    key = uuid.uuid4()

    def refused():
        raise ValidationError("No.")

    with pytest.raises(ValidationError):
        once(key=key, actor=officer, model=Payment, create=refused)
    payment, created = once(key=key, actor=officer, model=Payment, create=lambda: _payment(invoice))

    assert created
    assert SubmissionKey.objects.get(key=key).object_id == payment.pk


def _payment(invoice: Invoice) -> Payment:
    return Payment.objects.create(invoice=invoice, paid_date=TODAY, amount=Decimal("1.00"))


# --- Two posts at the same moment (PostgreSQL: each thread has a connection of its own) ------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: two sessions at the same moment")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", PATHS)
def test_two_posts_of_the_same_form_at_once_store_one_record(request, name):
    path = path_for(name, request)
    person = request.getfixturevalue(path.person) if path.person else None
    page = Client()
    if person:
        page.force_login(person)
    key = key_on(page.get(path.page).content.decode(), path.key_field)
    both_ready = threading.Barrier(2)
    answers, failures = [], []

    def post():
        try:
            client = Client()
            if person:
                client.force_login(person)
            both_ready.wait(timeout=10)
            answers.append(client.post(path.url, {**path.data, path.key_field: key}))
        except Exception as error:  # reported below, with the other thread's outcome
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert len(answers) == 2
    assert path.stored().count() == 1
    if name == "sign-up":
        assert [answer.status_code for answer in answers] == [200, 200]
    else:
        assert [answer.status_code for answer in answers] == [302, 302]
        assert answers[0]["Location"] == answers[1]["Location"]
    if name == "payment":
        invoice = Invoice.objects.get(pk=path.stored().get().invoice_id)
        assert invoice.amount_paid == Decimal("1000.00")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: two sessions at the same moment")
@pytest.mark.django_db(transaction=True)
def test_two_applications_for_the_same_organisation_at_once_store_one(compact):
    """Two forms (two keys) for the same organisation, sent at the same moment: the second finds the first."""
    from commitments import services

    both_ready = threading.Barrier(2)
    applied, failures = [], []

    def apply(name: str):
        try:
            both_ready.wait(timeout=10)
            applied.append(
                services.organisation_sign_up(
                    compact=compact,
                    applicant_name="Ann",
                    applicant_email="ann@example.org",
                    submission_key=uuid.uuid4(),
                    name=name,
                    side="vcs",
                    postcode="PO4 8LR",
                )
            )
        except Exception as error:  # reported below
            failures.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=apply, args=(n,)) for n in ("Milton Allotment Society", "milton allotment  society")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert len({signature.pk for signature in applied}) == 1
    assert Signature.objects.filter(compact=compact, status=SignatureStatus.APPLIED).count() == 1
    assert Organisation.objects.filter(postcode="PO4 8LR").count() == 1
