"""Funding relationships between public bodies and VCS organisations, and what happens to them.

The rules (docs/domain.md; Portsmouth clauses in brackets) are computed in ``funding/rules.py``.
Their deadlines are stored on the records here when a service saves them, and indexed, so the
compliance jobs scan them with one query per rule.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from commitments.models import Compact, Organisation, Side
from compact_portal.formatting import long_date, money
from compact_portal.models import Recorded, actor_field

from .. import rules

MONEY = {"max_digits": 12, "decimal_places": 2}


class Mechanism(models.TextChoices):
    GRANT = "grant", "Grant"
    CONTRACT = "contract", "Contract"
    SERVICE_LEVEL_AGREEMENT = "service_level_agreement", "Service level agreement"
    LOAN = "loan", "Loan"
    IN_KIND = "in_kind", "In-kind support"
    PREMISES = "premises", "Premises"


class FundingStatus(models.TextChoices):
    PENDING = "pending", "Awaiting a decision"
    AWARDED = "awarded", "Awarded"
    DECLINED = "declined", "Declined"
    ENDED = "ended", "Ended"


class DecisionKind(models.TextChoices):
    AWARDED = "awarded", "Awarded"
    DECLINED = "declined", "Declined"
    VARIED = "varied", "Varied"
    RENEWED = "renewed", "Renewed"
    REDUCED = "reduced", "Reduced"
    ENDED = "ended", "Ended"


# What each decision makes of the relationship.
STATUS_AFTER_DECISION = {
    DecisionKind.AWARDED: FundingStatus.AWARDED,
    DecisionKind.VARIED: FundingStatus.AWARDED,
    DecisionKind.RENEWED: FundingStatus.AWARDED,
    DecisionKind.REDUCED: FundingStatus.AWARDED,
    DecisionKind.DECLINED: FundingStatus.DECLINED,
    DecisionKind.ENDED: FundingStatus.ENDED,
}


class NoticeKind(models.TextChoices):
    END = "end", "End of funding"
    REDUCE = "reduce", "Reduction"
    CHANGE = "change", "Change"


# The details an officer records; forms, services and imports share the list (and its order).
RELATIONSHIP_DETAIL_FIELDS = (
    "compact",
    "funder",
    "recipient",
    "reference",
    "title",
    "purpose",
    "mechanism",
    "amount",
    "expected_start",
    "start_date",
    "end_date",
    "end_date_defined_at_start",
    "term_explanation",
    "strategic",
    "overheads_included",
    "volunteer_costs_included",
    "payment_in_advance",
    "monitoring_agreed_date",
    "agreement_signed_date",
    "underspend_terms",
    "risk_notes",
)
NOTICE_DETAIL_FIELDS = (
    "kind",
    "notice_date",
    "effective_date",
    "rationale",
    "impact_assessment",
    "impact_assessed_date",
    "response_due_by",
    "final_decision_date",
    "reallocation_assessment",
    "for_performance",
)


class FundingRelationship(Recorded):
    """Money or support a public body (the funder) gives a VCS organisation (the recipient) under a compact."""

    compact = models.ForeignKey(Compact, on_delete=models.PROTECT, related_name="funding_relationships")
    funder = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="funding_given")
    recipient = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="funding_received")
    reference = models.CharField(max_length=60, help_text="The funder's own reference, e.g. GR-2026-014.")
    title = models.CharField(max_length=200)
    purpose = models.TextField(blank=True)
    mechanism = models.CharField(max_length=30, choices=Mechanism.choices)
    amount = models.DecimalField("amount (£)", **MONEY, validators=[MinValueValidator(Decimal("0"))])
    expected_start = models.DateField(
        help_text="When the funding is expected to start; the day to tell the decision by counts back from here."
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    end_date_defined_at_start = models.BooleanField(
        "end date defined from the start", default=False, help_text="The agreement fixed its end date when it began."
    )
    term_explanation = models.TextField(
        "explanation of a shorter term",
        blank=True,
        help_text="Why funding for less than the compact's minimum term is the better choice.",
    )
    strategic = models.BooleanField("strategic grant", default=False)
    overheads_included = models.BooleanField("overheads included", default=False)  # 8.1 full cost recovery
    volunteer_costs_included = models.BooleanField("volunteer costs included", default=False)  # 8.2
    payment_in_advance = models.BooleanField("payment in advance agreed", default=False)  # 11.1
    monitoring_agreed_date = models.DateField("monitoring agreed on", null=True, blank=True)  # 12.1
    agreement_signed_date = models.DateField("agreement signed on", null=True, blank=True)  # 12.1
    underspend_terms = models.TextField("under-spend terms", blank=True)  # 10.4 (grants)
    risk_notes = models.TextField("risk notes", blank=True)  # 10.2
    status = models.CharField(max_length=20, choices=FundingStatus.choices, default=FundingStatus.PENDING)
    published_as_open_data = models.BooleanField(
        "published as open data",
        default=True,
        help_text="In the funder's 360Giving file once awarded (untick to leave this award out).",
    )

    # Stored deadlines (computed by the services from the compact's settings).
    decision_due_by = models.DateField(
        "decision to be told by", help_text="The last day to tell the organisation in time."
    )
    minimum_end_date = models.DateField(
        "earliest end for the minimum term",
        null=True,
        blank=True,
        help_text="The start plus the compact's minimum term.",
    )

    created_by = actor_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-expected_start", "reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["funder", "reference"],
                name="funding_reference_unique_per_funder",
                violation_error_message="This funder already has a funding relationship with that reference.",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="funding_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(start_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="funding_ends_after_start",
                violation_error_message="The end date must not be before the start date.",
            ),
        ]
        indexes = [
            models.Index(fields=["compact", "status"]),
            models.Index(fields=["funder", "status"]),
            models.Index(fields=["recipient", "status"]),
            models.Index(fields=["end_date", "minimum_end_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("funding:relationship_detail", args=[self.pk])

    @property
    def full_cost_recovery(self) -> bool:
        """Commitments 8.1–8.2: overheads and volunteer costs are both funded."""
        return self.overheads_included and self.volunteer_costs_included

    @property
    def term_met(self) -> bool:
        if self.start_date is None:
            return True
        return rules.funding_term_met(start=self.start_date, end=self.end_date, years=self.compact.min_funding_years)

    def clean(self):
        super().clean()
        errors = {}
        if self.funder_id and self.funder.side != Side.PUBLIC:
            errors["funder"] = "The funder must be a public body."
        if self.recipient_id and self.recipient.side != Side.VCS:
            errors["recipient"] = "The recipient must be a voluntary or community organisation."
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = "The end date must not be before the start date."
        # A shorter term without an explanation (9.1) is kept as it happened, and flagged until explained;
        # whitespace alone is no explanation, so it is stored blank for the rule to see.
        self.term_explanation = self.term_explanation.strip()
        if errors:
            raise ValidationError(errors)


class Decision(Recorded):
    """A funding decision and the day the organisation was told of it."""

    relationship = models.ForeignKey(FundingRelationship, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField("decision", max_length=20, choices=DecisionKind.choices)
    told_date = models.DateField("date the organisation was told")
    rationale = models.TextField(blank=True)
    justification = models.TextField(
        "justification for a late decision",
        blank=True,
        help_text="Why the organisation was told less than the compact's notice before the start.",
    )
    feedback = models.TextField(
        "feedback to the organisation", blank=True, help_text="Constructive feedback on a decline."
    )
    new_amount = models.DecimalField(
        "new amount (£)", **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    due_by = models.DateField(
        "to be told by", db_index=True, help_text="Stored: the relationship's day to tell the decision by."
    )
    recorded_by = actor_field()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["told_date", "recorded_at"]
        indexes = [
            models.Index(fields=["kind", "told_date"]),
            # The awards told late with no justification (9.2): few, so the compliance scan reads them directly.
            models.Index(
                fields=["relationship"],
                condition=Q(kind="awarded", justification="") & Q(told_date__gt=F("due_by")),
                name="decision_late_unjustified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({long_date(self.told_date)})"

    @property
    def told_in_time(self) -> bool:
        return self.told_date <= self.due_by

    def clean(self):
        super().clean()
        errors = {}
        # A decline without feedback (9.3) or a late award without a justification (9.2) is kept as it
        # happened, and flagged until explained; whitespace alone is no explanation, so it is stored blank.
        self.justification = self.justification.strip()
        self.feedback = self.feedback.strip()
        if self.new_amount is not None and self.kind in (DecisionKind.DECLINED, DecisionKind.ENDED):
            errors["new_amount"] = "Only an award, variation, renewal or reduction changes the amount."
        if errors:
            raise ValidationError(errors)


# What the stored dates say, as conditions shared by the lists, the compliance rules, the figures and the
# indexes that serve them (a partial index is only used for a query that repeats its condition).
PAID_LATE = Q(paid_date__gt=F("pay_by"))  # 11.2: paid in full after the pay-by date
NOTICE_TOO_SHORT = Q(notice_owed=True, effective_date__lt=F("earliest_effective_date"))  # 13.3


class Invoice(Recorded):
    """An invoice from the recipient; it must be paid by its pay-by date (11.2)."""

    relationship = models.ForeignKey(FundingRelationship, on_delete=models.CASCADE, related_name="invoices")
    # Stored: the relationship's compact (the services keep it in step), so the 11.2 scan reads one compact's
    # unpaid or late invoices straight from a small partial index instead of through every relationship.
    compact = models.ForeignKey(Compact, on_delete=models.PROTECT, related_name="invoices", editable=False)
    invoice_number = models.CharField(max_length=60)
    amount = models.DecimalField("amount (£)", **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    received_date = models.DateField("date received")
    pay_by = models.DateField(
        "pay by",
        help_text="Stored: the compact's working-day limit after receipt, its nation's bank holidays excluded.",
    )
    amount_paid = models.DecimalField("amount paid (£)", **MONEY, default=Decimal("0"))
    paid_date = models.DateField("paid in full on", null=True, blank=True)
    working_days_to_pay = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="Stored once paid in full: the working days after receipt up to the payment.",
    )
    recorded_by = actor_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_date", "invoice_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "invoice_number"],
                name="invoice_number_unique_per_relationship",
                violation_error_message="This funding already has an invoice with that number.",
            ),
        ]
        indexes = [
            models.Index(fields=["pay_by", "paid_date"]),
            models.Index(fields=["paid_date", "pay_by"]),
            # The 11.2 rules: a compact's unpaid invoices, and those paid after their pay-by date.
            models.Index(fields=["compact", "pay_by"], condition=Q(paid_date__isnull=True), name="invoice_unpaid"),
            models.Index(fields=["compact", "pay_by"], condition=PAID_LATE, name="invoice_paid_late"),
            models.Index(fields=["compact", "paid_date"]),
        ]

    def __str__(self) -> str:
        return f"Invoice {self.invoice_number}"

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.amount_paid

    def clean(self):
        super().clean()
        if self.amount is not None and self.amount_paid and self.amount < self.amount_paid:
            raise ValidationError({"amount": f"{money(self.amount_paid)} has already been paid against this invoice."})


class Payment(Recorded):
    """A payment (perhaps a part payment) against an invoice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="payments")
    paid_date = models.DateField("date paid")
    amount = models.DecimalField("amount (£)", **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    reference = models.CharField(
        max_length=60,
        blank=True,
        help_text="The finance system's own reference for this payment, if it sent one.",
    )
    recorded_by = actor_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paid_date", "created_at"]
        constraints = [
            # A finance system's reference names one payment; payments entered by hand have none.
            models.UniqueConstraint(
                fields=["invoice", "reference"],
                condition=~Q(reference=""),
                name="payment_reference_unique_per_invoice",
                violation_error_message="This invoice already has a payment with that reference.",
            ),
        ]

    def __str__(self) -> str:
        return f"{money(self.amount)} on {long_date(self.paid_date)}"

    def clean(self):
        super().clean()
        if self.invoice_id and self.paid_date and self.paid_date < self.invoice.received_date:
            raise ValidationError({"paid_date": "A payment cannot be made before the invoice was received."})


class Notice(Recorded):
    """Written notice that funding will end, be reduced or change (13.1–13.4, 19.5)."""

    relationship = models.ForeignKey(FundingRelationship, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=10, choices=NoticeKind.choices)
    notice_date = models.DateField("written notice given on")
    effective_date = models.DateField("takes effect on")
    rationale = models.TextField(help_text="Why the funding is ending, reducing or changing.")
    for_performance = models.BooleanField(
        "for performance reasons",
        default=False,
        help_text="The funding ends or is reduced because of how the project performed: an improvement timetable "
        "should have been agreed first (12.7).",
    )
    impact_assessment = models.TextField(
        "impact on beneficiaries, service users and volunteers",
        blank=True,
        help_text="Assessed before notice is given.",
    )
    impact_assessed_date = models.DateField("impact assessed on", null=True, blank=True)
    response_due_by = models.DateField(
        "the organisation may respond until",
        null=True,
        blank=True,
        help_text="The organisation can respond before the final decision.",
    )
    response = models.TextField("the organisation's response", blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = actor_field()
    final_decision_date = models.DateField("final decision on", null=True, blank=True)
    reallocation_assessment = models.TextField(
        "reallocation assessment",
        blank=True,
        help_text="For a withdrawn strategic grant to an organisation serving people with a "
        "protected characteristic, how the money will be reallocated.",
    )

    # Stored (computed by the services from the compact's settings).
    earliest_effective_date = models.DateField("earliest allowed effective date", db_index=True)
    notice_owed = models.BooleanField(
        default=True, help_text="False where the compact excepts funding whose end date was fixed from the start."
    )

    recorded_by = actor_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-notice_date", "-created_at"]
        indexes = [models.Index(fields=["effective_date", "earliest_effective_date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} notice of {long_date(self.notice_date)}"

    def get_absolute_url(self) -> str:
        return reverse("funding:notice_detail", args=[self.pk])

    @property
    def notice_period_met(self) -> bool:
        return not self.notice_owed or self.effective_date >= self.earliest_effective_date

    @property
    def reallocation_needed(self) -> bool:
        """19.5 applies to a strategic grant withdrawn from an organisation serving a protected characteristic."""
        relationship = self.relationship
        ending = self.kind == NoticeKind.END
        strategic_grant = relationship.strategic and relationship.mechanism == Mechanism.GRANT
        return rules.reallocation_needed(
            ending=ending,
            strategic=relationship.strategic,
            grant=relationship.mechanism == Mechanism.GRANT,
            # asked of the database only when the rest holds
            serves_protected_characteristic=ending
            and strategic_grant
            and relationship.recipient.communities.filter(protected_characteristic=True).exists(),
        )

    def response_open(self, today) -> bool:
        return self.response_due_by is not None and self.notice_date <= today <= self.response_due_by

    def clean(self):
        super().clean()
        errors = {}
        if self.notice_date and self.effective_date and self.effective_date < self.notice_date:
            errors["effective_date"] = "The change cannot take effect before notice of it is given."
        if self.notice_date and self.response_due_by and self.response_due_by < self.notice_date:
            errors["response_due_by"] = "The response window must end on or after the day notice is given."
        if self.notice_date and self.final_decision_date and self.final_decision_date < self.notice_date:
            errors["final_decision_date"] = "The final decision cannot come before the notice."
        if not self.rationale.strip():
            errors["rationale"] = "Give the reason for the change (a rationale is required)."
        if errors:
            raise ValidationError(errors)
