"""``compact_portal.models.Recorded`` and ``actor_field``: what the apps' models share, declared once."""

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models

from compact_portal.models import Recorded, actor_field
from funding.models import Payment
from tests.funding.factories import InvoiceFactory, pay_in_full

# Their history is configured differently (a field left out of it; a many-to-many field kept in it), so they
# declare their own HistoricalRecords.
OWN_HISTORY = {"disputes.Concern", "commitments.Organisation"}


def test_every_model_with_a_history_keeps_it_through_recorded_unless_configured_differently():
    tracked = {
        model._meta.label: issubclass(model, Recorded)
        for model in apps.get_models()
        if getattr(model._meta, "simple_history_manager_attribute", None)
    }

    assert {label for label, inherited in tracked.items() if not inherited} == OWN_HISTORY
    assert len(tracked) > len(OWN_HISTORY)


def test_each_recorded_model_has_a_history_table_of_its_own():
    recorded = [model for model in apps.get_models() if issubclass(model, Recorded)]

    tables = {model.history.model._meta.db_table for model in recorded}

    assert tables == {f"{model._meta.app_label}_historical{model._meta.model_name}" for model in recorded}


@pytest.mark.django_db
def test_a_recorded_models_history_says_who_made_each_change(officer):
    invoice = InvoiceFactory()

    pay_in_full(invoice, invoice.received_date)
    payment = Payment.objects.get(invoice=invoice)
    payment._history_user = officer
    payment.save()

    assert [(row.history_type, row.history_user) for row in payment.history.order_by("history_id")] == [
        ("+", None),
        ("~", officer),
    ]


def test_an_actor_field_is_an_optional_link_to_a_person_kept_when_they_go():
    field = actor_field()
    field.set_attributes_from_name("recorded_by")

    _name, path, args, kwargs = field.deconstruct()

    assert path == "django.db.models.ForeignKey"
    assert kwargs.pop("to").lower() == settings.AUTH_USER_MODEL.lower()
    assert kwargs == {"null": True, "blank": True, "on_delete": models.SET_NULL, "related_name": "+"}
    assert actor_field(related_name="reports", blank=False).deconstruct()[3]["related_name"] == "reports"
