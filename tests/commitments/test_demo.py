import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse

from commitments import demo
from commitments.demo import DEMO_PASSWORD
from commitments.models import Organisation
from compact_portal.accounts.models import Membership, User
from compact_portal.accounts.roles import Role
from consultations.models import Consultation, Feedback
from disputes.models import Concern
from funding.models import FundingRelationship, Invoice, Notice

TODAY = datetime.date(2027, 3, 1)


def counts() -> tuple[int, ...]:
    return (
        Organisation.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        FundingRelationship.objects.count(),
        Invoice.objects.count(),
        Notice.objects.count(),
        Consultation.objects.count(),
        Feedback.objects.count(),
        Concern.objects.count(),
    )


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing(capsys):
    call_command("seed_demo")
    first = counts()
    hashes = dict(User.objects.values_list("email", "password"))
    call_command("seed_demo")
    assert counts() == first
    assert dict(User.objects.values_list("email", "password")) == hashes
    assert first[0] >= 6  # a council, an NHS body and several charities and groups
    assert first[3:] == (4, 4, 1, 5, 1, 3)  # funding, invoices, a notice; consultations, feedback; concerns


@pytest.mark.django_db
def test_the_demo_charity_sees_its_funding_and_can_respond_to_the_notice(client, capsys):
    call_command("seed_demo")
    client.login(username="charity@demo.example.org", password=DEMO_PASSWORD)
    notice = Notice.objects.get()

    overview = client.get(reverse("funding:recipient_overview", args=["southsea-community-food-bank"])).content.decode()
    notice_page = client.get(notice.get_absolute_url()).content.decode()

    assert "PCC-GR-101" in overview
    assert "ICB-C-55" in overview  # from the NHS body as well as the council
    assert "Send the response" in notice_page


@pytest.mark.django_db
def test_seed_demo_gives_one_person_per_role_who_can_sign_in(client, capsys):
    call_command("seed_demo")
    printed = capsys.readouterr().out
    assert DEMO_PASSWORD in printed
    for role in Role:
        holder = User.objects.filter(memberships__role=role).distinct().get()
        assert holder.email in printed
        assert client.login(username=holder.email, password=DEMO_PASSWORD)


# --- Each app's part, in the declared order -------------------------------------------------------------------


def test_each_app_registers_its_part_and_the_parts_run_in_the_declared_order():
    from consultations.demo import seed_consultations
    from disputes.demo import seed_disputes
    from funding.demo import seed_funding

    assert demo.parts() == [
        ("funding", seed_funding),
        ("consultations", seed_consultations),
        ("disputes", seed_disputes),
    ]


@pytest.mark.django_db
def test_seed_demo_runs_the_parts_in_order_after_the_people_and_organisations(monkeypatch):
    calls = []

    def part(name):
        def seed(*, compact, organisations, today):
            calls.append((name, compact.slug, len(organisations), User.objects.count(), today))

        return seed

    monkeypatch.setattr(demo, "_parts", {name: part(name) for name in reversed(demo.PARTS)})
    demo.seed_demo(today=TODAY)

    assert calls == [(name, "portsmouth", 7, 5, TODAY) for name in ("funding", "consultations", "disputes")]


def test_a_part_is_registered_once_under_a_name_the_order_declares(monkeypatch):
    monkeypatch.setattr(demo, "_parts", {})

    def seed(**kwargs):
        pass

    assert demo.register("funding", seed) is seed
    assert demo.register("funding", seed) is seed  # again: nothing changes
    with pytest.raises(ValueError, match="registered twice"):
        demo.register("funding", lambda **kwargs: None)
    with pytest.raises(ValueError, match="no place in PARTS"):
        demo.register("grants", seed)
    with pytest.raises(LookupError, match="consultations, disputes"):
        demo.parts()  # a demo without an app's records is never seeded
