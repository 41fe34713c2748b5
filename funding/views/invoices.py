"""Invoices and payments (11.2)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format

from compact_portal.accounts.permissions import role_required
from compact_portal.accounts.roles import Role
from compact_portal.forms import SERVICE_ERRORS, add_service_errors
from compact_portal.one_time import announce, repeat_of

from .. import selectors, services
from ..forms import (
    InvoiceForm,
    PaymentForm,
)
from ..models import Invoice, Payment
from ._common import relationship_to_change


@role_required(Role.OFFICER)
def invoice_create(request, pk):
    relationship = relationship_to_change(request, pk)
    form = InvoiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invoice = services.invoice_record(
                relationship=relationship, actor=request.user, today=timezone.localdate(), **form.cleaned_data
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"Invoice {invoice.invoice_number} is recorded. Pay it by {date_format(invoice.pay_by)}."
            )
            return redirect(relationship)
    return render(request, "funding/invoice_form.html", {"form": form, "relationship": relationship})


def _invoice_to_change(request, pk: int) -> Invoice:
    try:
        invoice = selectors.invoice_for(user=request.user, pk=pk)
    except Invoice.DoesNotExist:
        raise Http404("No such invoice") from None
    relationship_to_change(request, invoice.relationship_id)
    return invoice


@role_required(Role.OFFICER)
def invoice_edit(request, pk):
    invoice = _invoice_to_change(request, pk)
    form = InvoiceForm(request.POST or None, instance=invoice)
    if request.method == "POST" and form.is_valid():
        try:
            invoice = services.invoice_update(
                invoice=invoice, actor=request.user, today=timezone.localdate(), **form.cleaned_data
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"Invoice {invoice.invoice_number} is saved. Pay it by {date_format(invoice.pay_by)}."
            )
            return redirect(invoice.relationship)
    return render(
        request, "funding/invoice_form.html", {"form": form, "relationship": invoice.relationship, "invoice": invoice}
    )


@role_required(Role.OFFICER)
def payment_create(request, pk):
    invoice = _invoice_to_change(request, pk)
    form = PaymentForm(request.POST or None, initial={"amount": invoice.outstanding})
    if repeat_of(request, form, Payment):
        return redirect(invoice.relationship)
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.payment_record(
                invoice=invoice, actor=request.user, today=timezone.localdate(), **form.cleaned_data
            )
        except SERVICE_ERRORS as error:
            add_service_errors(form, error)
        else:
            announce(request, payment, f"The payment on invoice {invoice.invoice_number} is recorded.")
            return redirect(invoice.relationship)
    return render(
        request, "funding/payment_form.html", {"form": form, "invoice": invoice, "relationship": invoice.relationship}
    )
