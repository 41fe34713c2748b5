"""Data migrations fill stored values for records that existed before them."""

import datetime
import importlib

import pytest
from django.apps import apps

from funding import services
from funding.models import Invoice
from tests.funding.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

working_days_migration = importlib.import_module("funding.migrations.0004_invoice_working_days_to_pay")


def test_invoices_paid_before_the_working_days_were_stored_get_them_counted():
    paid = InvoiceFactory(received_date=datetime.date(2027, 4, 6))
    services.payment_record(
        invoice=paid,
        actor=None,
        paid_date=datetime.date(2027, 4, 13),
        today=datetime.date(2027, 4, 13),
        amount=paid.amount,
    )
    unpaid = InvoiceFactory(received_date=datetime.date(2027, 4, 6))
    Invoice.objects.update(working_days_to_pay=None)  # as they stood before the migration

    working_days_migration.count_working_days_to_pay(apps, None)

    assert dict(Invoice.objects.values_list("pk", "working_days_to_pay")) == {paid.pk: 5, unpaid.pk: None}
