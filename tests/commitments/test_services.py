import datetime
import json

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from commitments import services
from commitments.models import Commitment, Compact, MeasurableRule, Organisation, Section, Signature, SignatureStatus
from compact_portal.accounts.models import User
from compact_portal.accounts.roles import Role
from tests.commitments.factories import CompactFactory

TODAY = datetime.date(2026, 11, 21)
PORTSMOUTH_PUBLIC_SECTIONS = {*range(1, 4), *range(5, 14), 19, 20}


def test_portsmouth_has_its_95_commitments_in_22_sections(compacts):
    portsmouth = compacts["portsmouth"]
    codes = list(portsmouth.commitments.values_list("code", flat=True))
    assert len(codes) == 95
    assert codes[0] == "1.1"
    assert codes[-1] == "22.4"
    assert portsmouth.sections.count() == 22
    assert portsmouth.principles.count() == 6
    for number in range(1, 23):
        section = portsmouth.sections.get(number=str(number))
        expected = "public" if number in PORTSMOUTH_PUBLIC_SECTIONS else "vcs"
        assert section.side == expected, f"section {number}"
        assert set(section.commitments.values_list("side", flat=True)) == {expected}
        assert all(code.startswith(f"{number}.") for code in section.commitments.values_list("code", flat=True))


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("3.7", "consultation_length"),
        ("13.3", "notice_period"),
        ("11.2", "prompt_payment"),
        ("9.2", "decision_lead_time"),
        ("19.5", "reallocation_assessed"),
    ],
)
def test_portsmouth_clauses_carry_the_rule_that_checks_them(compacts, code, rule):
    assert compacts["portsmouth"].commitments.get(code=code).rule_key == rule


def test_leicestershire_and_nottinghamshire_are_loaded(compacts):
    leicestershire, notts = compacts["leicestershire"], compacts["nottinghamshire"]
    assert leicestershire.principles.count() == 14
    # Principle 11 (public bodies) and section 8 (both sides) sit beside the undertakings of section 7.
    assert set(leicestershire.commitments.values_list("side", flat=True)) == {"public", "vcs", "both"}
    assert notts.sections.filter(number__startswith="KP").count() == 4
    assert notts.status == "adopted"
    assert notts.next_review_date == datetime.date(2009, 11, 1)


def test_every_summary_cites_its_document(compacts):
    assert not Commitment.objects.filter(reference="").exists()
    assert set(MeasurableRule.values) >= set(Commitment.objects.exclude(rule_key="").values_list("rule_key", flat=True))


def test_loading_again_changes_nothing_and_keeps_settings_changed_in_the_portal(compacts):
    portsmouth = compacts["portsmouth"]
    portsmouth.notice_months = 4
    portsmouth.save()
    counts = (Compact.objects.count(), Section.objects.count(), Commitment.objects.count())
    history = portsmouth.history.count()
    services.compacts_load()
    assert (Compact.objects.count(), Section.objects.count(), Commitment.objects.count()) == counts
    portsmouth.refresh_from_db()
    assert portsmouth.notice_months == 4
    assert portsmouth.history.count() == history


# A compact's file with nothing in its catalogue, to which a test adds what it breaks.
EMPTY_COMPACT_FILE = {
    "slug": "good",
    "name": "Good",
    "area": "A",
    "summary": "",
    "source_document": "",
    "nation": "england_wales",
    "status": "draft",
    "adopted_date": None,
    "principles": [],
    "sections": [],
    "commitments": [],
}


def test_a_broken_fixture_loads_nothing(db, tmp_path):
    good = EMPTY_COMPACT_FILE
    (tmp_path / "a.json").write_text(json.dumps(good))
    bad = {**good, "slug": "bad", "sections": [{"number": "1", "title": "S", "side": "nobody"}]}
    (tmp_path / "b.json").write_text(json.dumps(bad))
    with pytest.raises(ValidationError):
        services.compacts_load(directory=tmp_path)
    assert not Compact.objects.exists()


BROKEN_CATALOGUES = {
    "a section that is not in the file": {
        "sections": [{"number": "1", "title": "S", "side": "both"}],
        "commitments": [{"code": "2.1", "section": "2", "side": "both", "summary": "Talk."}],
    },
    "a section given twice": {
        "sections": [{"number": "1", "title": "S", "side": "both"}, {"number": "1", "title": "T", "side": "both"}],
    },
    "a clause given twice": {
        "sections": [{"number": "1", "title": "S", "side": "both"}],
        "commitments": [
            {"code": "1.1", "section": "1", "side": "both", "summary": "Talk."},
            {"code": "1.1", "section": "1", "side": "both", "summary": "Listen."},
        ],
    },
}


@pytest.mark.parametrize("broken", BROKEN_CATALOGUES.values(), ids=list(BROKEN_CATALOGUES))
def test_a_catalogue_that_contradicts_itself_loads_nothing(db, tmp_path, broken):
    (tmp_path / "a.json").write_text(json.dumps(EMPTY_COMPACT_FILE | broken))
    with pytest.raises(ValidationError):
        services.compacts_load(directory=tmp_path)
    assert not Compact.objects.exists()


def test_loading_the_catalogues_costs_a_few_queries_per_compact_not_one_per_clause(db, django_assert_max_num_queries):
    # Each compact: its own row and history, three reads and three inserts of its catalogue, and one read of what its
    # flags cite (an update only for a rule whose flags cite something else); never a query per principle, section
    # or commitment (the seeds hold about 250).
    with django_assert_max_num_queries(50):
        loaded = services.compacts_load()
    assert Commitment.objects.filter(compact__in=loaded).count() > 150
    with django_assert_max_num_queries(40):
        services.compacts_load()


def test_an_approved_application_signs_today_and_makes_the_applicant_a_member(
    db, council, django_capture_on_commit_callbacks
):
    compact = CompactFactory()
    charity = services.organisation_create(name="New Group", side="vcs", postcode="po4 0aa")
    signature = services.signature_apply(
        compact=compact, organisation=charity, applicant_name="Ann Applicant", applicant_email="Ann@Example.org"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.signature_approve(signature=signature, decided_by=None, today=TODAY)
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.APPROVED
    assert signature.signed_date == TODAY
    applicant = User.objects.get(email="ann@example.org")
    assert applicant.memberships.get().role == Role.VCS_MEMBER
    assert not applicant.has_usable_password()
    assert "/account/password/reset/" in mail.outbox[0].body  # a link to choose a password


def test_an_application_can_be_decided_only_once(db):
    signature = Signature.objects.create(
        compact=CompactFactory(),
        organisation=Organisation.objects.create(name="G", slug="g", side="vcs"),
        applicant_email="g@example.org",
    )
    services.signature_decline(signature=signature, decided_by=None, reason="Not based in the area.")
    with pytest.raises(ValidationError, match="already been declined"):
        services.signature_approve(signature=signature, decided_by=None, today=TODAY)


def test_declining_needs_a_reason(db):
    signature = Signature.objects.create(
        compact=CompactFactory(), organisation=Organisation.objects.create(name="G", slug="g", side="vcs")
    )
    with pytest.raises(ValidationError):
        services.signature_decline(signature=signature, decided_by=None, reason="  ")


def test_an_organisation_cannot_apply_twice_while_an_application_or_signature_stands(db, charity):
    compact = CompactFactory()
    services.signature_apply(compact=compact, organisation=charity, applicant_name="A", applicant_email="a@example.org")
    with pytest.raises(ValidationError, match="already applied"):
        services.signature_apply(
            compact=compact, organisation=charity, applicant_name="A", applicant_email="a@example.org"
        )


def test_withdrawing_records_the_date_and_allows_signing_again_later(db, charity):
    compact = CompactFactory()
    signature = services.signature_record_signed(compact=compact, organisation=charity, signed_date=TODAY)
    services.signature_withdraw(signature=signature, reason="Closing down the project", today=TODAY)
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.WITHDRAWN
    assert signature.withdrawn_date == TODAY
    services.signature_apply(compact=compact, organisation=charity, applicant_name="A", applicant_email="a@example.org")


def test_appointing_a_champion_gives_the_champion_role(db, council, officer):
    compact = CompactFactory()
    services.champion_appoint(
        compact=compact, organisation=council, user=officer, service_team="Adult social care", appointed_on=TODAY
    )
    services.champion_appoint(
        compact=compact, organisation=council, user=officer, service_team="Adult social care", appointed_on=TODAY
    )
    assert compact.champions.count() == 1
    assert User.objects.get(pk=officer.pk).has_role(Role.CHAMPION)


def test_changes_to_an_organisation_are_kept_with_who_made_them(db, charity, administrator):
    services.organisation_update(organisation=charity, email="new@example.org")
    latest = charity.history.first()
    assert latest.email == "new@example.org"
    assert latest.prev_record.email == ""
