"""Invoices and payments in from a body's finance system, and its invoices out with their pay-by dates and flags.

Every endpoint needs an API token of the body (``compact_portal/api/authentication.py``); a token sees and writes
only the funding its body gives. Writes take one JSON object or a list of them (a batch) and go through the same row
logic as the CSV import (``funding/services/imports.py``), so through the same services, rules, history and live
flag re-checks (one re-check for the whole batch). A batch is saved whole or not at all: every bad item is reported
by its index (from 0) and reason. The same payload again changes nothing (an invoice already there with the same
values, a payment whose ``payment_reference`` its invoice already has or, sent without one, a payment already
recorded on the same day for the same amount, are "unchanged"), and an ``Idempotency-Key`` header replays the first
answer (``compact_portal/api/writes.py``). Writes are read as JSON only (anything else is a 415); every answer the
endpoints give is declared in the OpenAPI document.
"""

from __future__ import annotations

from collections import defaultdict

import django_filters
from django.db import IntegrityError
from django.db.models import Exists, OuterRef
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from commitments.models import LIVE_STATUSES, Flag, RecordType
from compact_portal.api.public import INVALID, NOT_FOUND
from compact_portal.api.writes import (
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    TOKEN_THROTTLES,
    token_scope,
    token_write,
)

from .models import Invoice
from .services.imports import funding_rows_import

MAX_BATCH = 5000
SAVE_ATTEMPTS = 2  # a batch that met another at the same moment is read again once
FIELDS = {
    "invoices": ("funding_reference", "invoice_number", "amount", "received_date"),
    "payments": ("funding_reference", "invoice_number", "paid_date", "amount"),
}
OPTIONAL_FIELDS = {"invoices": (), "payments": ("payment_reference",)}


# --- Reads -------------------------------------------------------------------------------------------------------


class InvoiceFlagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Flag
        fields = ("rule", "clause", "status", "due_date", "first_detected")


class InvoiceSerializer(serializers.ModelSerializer):
    funding_reference = serializers.CharField(source="relationship.reference")
    recipient = serializers.CharField(source="relationship.recipient.name")
    open_flags = InvoiceFlagSerializer(many=True, source="live_flags")

    class Meta:
        model = Invoice
        fields = (
            "funding_reference",
            "recipient",
            "invoice_number",
            "amount",
            "received_date",
            "pay_by",
            "amount_paid",
            "paid_date",
            "working_days_to_pay",
            "open_flags",
        )


class InvoiceFilter(django_filters.FilterSet):
    funding_reference = django_filters.CharFilter(field_name="relationship__reference", label="Funding reference")
    paid = django_filters.BooleanFilter(
        field_name="paid_date", lookup_expr="isnull", exclude=True, label="Paid in full"
    )
    pay_by_before = django_filters.DateFilter(field_name="pay_by", lookup_expr="lte", label="Pay by on or before")
    flagged = django_filters.BooleanFilter(method="filter_flagged", label="With an open flag")

    class Meta:
        model = Invoice
        fields = ()

    def filter_flagged(self, queryset, name, value):
        return queryset.filter(has_live_flag=value)


def _live_flags():
    return Flag.objects.filter(record_type=RecordType.INVOICE, status__in=LIVE_STATUSES)


# --- Writes ------------------------------------------------------------------------------------------------------


def _items(data) -> tuple[list[dict[str, str]] | None, str]:
    """The payload as rows of text (as a CSV row would be), or None and why it is not one."""
    items = data if isinstance(data, list) else [data]
    if not items:
        return None, "The list is empty; send at least one item."
    if len(items) > MAX_BATCH:
        return None, f"A batch holds at most {MAX_BATCH:,} items; this one holds {len(items):,}. Split it."
    rows = []
    for item in items:
        if not isinstance(item, dict):
            return None, "Send a JSON object, or a list of JSON objects."
        rows.append({str(key): "" if value is None else str(value) for key, value in item.items()})
    return rows, ""


def _write(request, kind: str) -> tuple[int, dict]:
    rows, problem = _items(request.data)
    if rows is None:
        return 400, {"detail": problem, "errors": []}
    errors = []
    for index, row in enumerate(rows):
        missing = [name for name in FIELDS[kind] if not row.get(name, "").strip()]
        # PostgreSQL cannot store or even compare text holding NUL: refused here, as the API's addresses are.
        with_nul = [name for name in FIELDS[kind] + OPTIONAL_FIELDS[kind] if "\x00" in row.get(name, "")]
        if missing:
            errors.append({"index": index, "reason": f"Give {', '.join(missing)}."})
        elif with_nul:
            errors.append({"index": index, "reason": f"Remove the NUL character (\\u0000) from {', '.join(with_nul)}."})
    if not errors:
        token = request.user.token
        today = timezone.localdate()
        for attempt in range(1, SAVE_ATTEMPTS + 1):
            try:
                result = funding_rows_import(
                    kind=kind,
                    rows=[{name: row.get(name, "") for name in FIELDS[kind] + OPTIONAL_FIELDS[kind]} for row in rows],
                    actor=None,
                    today=today,
                    allowed_funder_ids={token.organisation_id},
                    first_number=0,
                    row_word="item",
                )
                break
            except IntegrityError:
                # Another batch saved the same payment reference (or invoice number) between this batch's look-ups
                # and its save, and nothing of this one was kept: read again, and what the other saved is unchanged.
                if attempt == SAVE_ATTEMPTS:
                    raise
        errors = [{"index": error.row, "reason": error.message} for error in result.errors]
    if errors:
        return 400, {
            "detail": f"Nothing was saved: {len(errors)} of {len(rows)} item{'s' if len(rows) != 1 else ''} "
            "could not be recorded. Put them right and send the whole batch again.",
            "errors": errors,
        }
    outcomes = [
        {"index": index, "funding_reference": row["funding_reference"], "invoice_number": row["invoice_number"]}
        | {name: row[name].strip() for name in OPTIONAL_FIELDS[kind] if row.get(name, "").strip()}
        | {"outcome": outcome}
        for index, (row, outcome) in enumerate(zip(rows, result.outcomes, strict=True))
    ]
    return (201 if result.created else 200), {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "items": outcomes,
    }


_ERROR = inline_serializer(
    "WriteRefused",
    {
        "detail": serializers.CharField(),
        "errors": inline_serializer(
            "ItemRefused",
            {"index": serializers.IntegerField(), "reason": serializers.CharField()},
            many=True,
            required=False,
        ),
    },
)
_TOKEN_PROBLEM = inline_serializer("TokenProblem", {"detail": serializers.CharField()})
# DRF's own refusals, {"detail": ...}, as every endpoint with a token gives them.
_NO_TOKEN = OpenApiResponse(
    _TOKEN_PROBLEM,
    description="No token, or one that is not known, has expired or was revoked (WWW-Authenticate: Bearer).",
)
_THROTTLED = OpenApiResponse(
    _TOKEN_PROBLEM,
    description="Too many requests with this token (API_RATE_TOKEN); try again after Retry-After seconds.",
)
_DONE = inline_serializer(
    "WriteDone",
    {
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
        "items": inline_serializer(
            "ItemDone",
            {
                "index": serializers.IntegerField(),
                "funding_reference": serializers.CharField(),
                "invoice_number": serializers.CharField(),
                "payment_reference": serializers.CharField(
                    required=False, help_text="A payment's own reference, when the item gave one."
                ),
                "outcome": serializers.ChoiceField(choices=["created", "updated", "unchanged"]),
            },
            many=True,
        ),
    },
)
_IDEMPOTENCY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Any unique text (a UUID): the same key and body again replay the first answer and change nothing.",
)


class InvoiceIn(serializers.Serializer):
    funding_reference = serializers.CharField(help_text="The funding's reference, as the portal shows it.")
    invoice_number = serializers.CharField(max_length=60)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="In pounds, e.g. 1234.50.")
    received_date = serializers.DateField(help_text="YYYY-MM-DD; not after today.")


class PaymentIn(serializers.Serializer):
    funding_reference = serializers.CharField()
    invoice_number = serializers.CharField(max_length=60, help_text="An invoice already recorded on that funding.")
    paid_date = serializers.DateField(help_text="YYYY-MM-DD; not after today.")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Part or all of what is owed.")
    payment_reference = serializers.CharField(
        max_length=60,
        required=False,
        help_text="Your finance system's own reference for the payment. Given, it is what makes a payment the same "
        "as one sent before; without it, a payment with the same invoice, day and amount as one recorded is taken as "
        "that one.",
    )


def _write_schema(serializer, kind: str, example: dict):
    return extend_schema(
        request={"application/json": serializer(many=True)},
        parameters=[_IDEMPOTENCY],
        responses={
            200: OpenApiResponse(_DONE, description="No item was new: each was updated or already recorded so."),
            201: OpenApiResponse(_DONE, description="At least one item was created."),
            400: OpenApiResponse(
                _ERROR,
                description="Nothing was saved. The body is not JSON, or not one object or a list of 1 to "
                f"{MAX_BATCH:,} of them (detail only); or items cannot be recorded (each in errors, by index); or "
                f"the {IDEMPOTENCY_HEADER} is over {IDEMPOTENCY_KEY_MAX_LENGTH} characters (detail only).",
            ),
            401: _NO_TOKEN,
            403: OpenApiResponse(_TOKEN_PROBLEM, description=f"The token may not record {kind}."),
            (413, "text/plain"): OpenApiResponse(
                OpenApiTypes.STR, description="The body is over the portal's limit (UPLOAD_MAX_REQUEST_BYTES), unread."
            ),
            415: OpenApiResponse(_TOKEN_PROBLEM, description="The body is not sent as application/json."),
            422: OpenApiResponse(
                _TOKEN_PROBLEM,
                description=f"This {IDEMPOTENCY_HEADER} was used before with a different request; nothing was saved.",
            ),
            429: _THROTTLED,
        },
        examples=[OpenApiExample(f"A batch of {kind}", value=example, request_only=True)],
        description=f"Record {kind}: one object or a list (a batch, saved whole or not at all).",
    )


class InvoiceList(generics.ListCreateAPIView):
    """The body's invoices, soonest pay-by first, with their open flags; POST records invoices."""

    permission_classes = [token_scope("invoices")]
    throttle_classes = TOKEN_THROTTLES
    parser_classes = [JSONParser]  # as the document says: a form cannot carry a batch
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drawing the OpenAPI document: no token, no body
            return Invoice.objects.none()
        organisation = self.request.user.organisation
        return (
            Invoice.objects.filter(relationship__funder=organisation)
            .select_related("relationship__recipient")
            .annotate(has_live_flag=Exists(_live_flags().filter(record_id=OuterRef("pk"))))
            .order_by("pay_by", "pk")
        )

    @extend_schema(
        responses={
            200: InvoiceSerializer(many=True),
            400: INVALID,
            401: _NO_TOKEN,
            404: NOT_FOUND,
            429: _THROTTLED,
        }
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        invoices = page if page is not None else list(queryset)
        flags = defaultdict(list)
        for flag in _live_flags().filter(record_id__in=[invoice.pk for invoice in invoices]).order_by("due_date", "pk"):
            flags[flag.record_id].append(flag)
        for invoice in invoices:
            invoice.live_flags = flags[invoice.pk]
        data = self.get_serializer(invoices, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @_write_schema(
        InvoiceIn,
        "invoices",
        {
            "funding_reference": "GR-2027-001",
            "invoice_number": "INV-0042",
            "amount": "1250.00",
            "received_date": "2026-05-03",
        },
    )
    def post(self, request, *args, **kwargs):
        return token_write(request, lambda: _write(request, "invoices"))


class PaymentCreate(generics.GenericAPIView):
    """POST records payments against invoices already recorded."""

    permission_classes = [token_scope("payments")]
    throttle_classes = TOKEN_THROTTLES
    parser_classes = [JSONParser]  # as the document says: a form cannot carry a batch
    serializer_class = PaymentIn

    @_write_schema(
        PaymentIn,
        "payments",
        {
            "funding_reference": "GR-2027-001",
            "invoice_number": "INV-0042",
            "paid_date": "2026-05-20",
            "amount": "1250.00",
            "payment_reference": "BACS-20260520-0117",
        },
    )
    def post(self, request, *args, **kwargs):
        return token_write(request, lambda: _write(request, "payments"))


# Gathered under /api/v1/ (and the api namespace) by compact_portal/api/urls.py.
urlpatterns = [
    path("invoices/", InvoiceList.as_view(), name="invoices"),
    path("payments/", PaymentCreate.as_view(), name="payments"),
]
