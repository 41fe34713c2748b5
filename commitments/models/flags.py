"""Compliance flags: every broken (or nearly broken) Compact promise, owned and tracked until put right.

The compliance scan (``commitments/services/compliance.py``) writes flags in bulk, one set-based query per
rule across every compact, and records each scan as a ``ComplianceRun`` made of one ``RuleCheck`` per rule; a
change to a record re-checks just that record in a live run of its own. A flag is unique per compact, rule,
record and due date (a database constraint), so re-running a scan, or two scans overlapping, never duplicates
one.
"""

from django.db import models
from django.db.models import Q
from django.urls import reverse

from compact_portal.formatting import long_date
from compact_portal.models import actor_field


class RuleKey(models.TextChoices):
    """The rules the scan checks (docs/domain.md; Portsmouth clauses unless noted)."""

    CONSULTATION_TOO_SHORT = "consultation_too_short", "Consultation shorter than the minimum"
    CONSULTATION_NOT_ANNOUNCED = "consultation_not_announced", "Consultation not announced before it opened"
    CONSULTATION_FEEDBACK_OVERDUE = "consultation_feedback_overdue", "Consultation feedback overdue"
    NOTICE_TOO_SHORT = "notice_too_short", "Notice of ending shorter than the notice period"
    NOTICE_WITHOUT_IMPACT_ASSESSMENT = "notice_without_impact_assessment", "Notice given before the impact was assessed"
    NOTICE_DECIDED_BEFORE_RESPONSE = "notice_decided_before_response", "Decided before the response window closed"
    DECISION_TOO_LATE = "decision_too_late", "Funding decision told too late"
    FUNDING_TERM_TOO_SHORT = "funding_term_too_short", "Funding shorter than the minimum term"
    DECLINED_WITHOUT_FEEDBACK = "declined_without_feedback", "Declined without feedback"
    MONITORING_NOT_AGREED = "monitoring_not_agreed", "Monitoring not agreed before signing"
    MONITORING_DISPROPORTIONATE = "monitoring_disproportionate", "Monitoring asks more often than its band"
    MONITORING_RETURN_OVERDUE = "monitoring_return_overdue", "Monitoring return not yet made"
    INVOICE_OVERDUE = "invoice_overdue", "Invoice unpaid after its pay-by date"
    INVOICE_PAID_LATE = "invoice_paid_late", "Invoice paid late"
    REALLOCATION_NOT_ASSESSED = (
        "reallocation_not_assessed",
        "Withdrawn equality grant not assessed for reallocation",
    )
    IMPROVEMENT_TIMETABLE_MISSING = (
        "improvement_timetable_missing",
        "Ended for performance without an improvement timetable",
    )
    DISPUTE_STEP_OVERDUE = "dispute_step_overdue", "Dispute step overdue"
    COMPACT_REVIEW_OVERDUE = "compact_review_overdue", "Compact review overdue"
    ACTION_OVERDUE = "action_overdue", "Action plan action overdue"


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    AT_RISK = "at_risk", "At risk"
    WAIVED = "waived", "Waived"
    RESOLVED = "resolved", "Resolved"


LIVE_STATUSES = (FlagStatus.OPEN, FlagStatus.AT_RISK)  # what the scan keeps up to date and may resolve


class RecordType(models.TextChoices):
    """The kind of record a flag is about; ``Flag.record_id`` is that record's primary key."""

    FUNDING_RELATIONSHIP = "funding_relationship", "Funding relationship"
    INVOICE = "invoice", "Invoice"
    NOTICE = "notice", "Notice"
    MONITORING_RETURN = "monitoring_return", "Monitoring return"
    CONSULTATION = "consultation", "Consultation"
    CONCERN = "concern", "Compact concern"
    COMPACT = "compact", "Compact"
    PLAN_ACTION = "plan_action", "Action plan action"


class Trigger(models.TextChoices):
    NIGHTLY = "nightly", "Nightly full scan"
    PAYMENTS = "payments", "Hourly payment check"
    COMMAND = "command", "check_compliance command"
    MANUAL = "manual", "Started by hand"
    LIVE = "live", "Re-check after a change"


class ComplianceRun(models.Model):
    """One scan: which compacts and rules, as of which day, when it started and finished, what it found."""

    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    as_of = models.DateField(help_text="The day the rules were checked against.")
    compact = models.ForeignKey(
        "commitments.Compact", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="Blank: every compact in use (not withdrawn).",
    )  # fmt: skip
    rules = models.JSONField(default=list, blank=True, help_text="Empty: every rule.")
    cause = models.CharField(
        max_length=200, blank=True, help_text="For a re-check after a change: the change, and who made it."
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    checks_total = models.PositiveIntegerField(default=0)
    digest_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Compliance run {self.pk} ({self.get_trigger_display()}, as of {long_date(self.as_of)})"


class CheckStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


FINISHED_CHECKS = (CheckStatus.DONE, CheckStatus.FAILED)


class RuleCheck(models.Model):
    """One rule checked within a run, in one statement across the run's compacts (every compact in use, or the
    run's one compact); a worker claims it, so it runs once. Checks of runs before the rules read every compact
    at once were one per compact and rule, and keep their compact."""

    run = models.ForeignKey(ComplianceRun, on_delete=models.CASCADE, related_name="checks")
    compact = models.ForeignKey(
        "commitments.Compact", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="Blank: every compact the run checks.",
    )  # fmt: skip
    rule = models.CharField(max_length=40, choices=RuleKey.choices)
    status = models.CharField(max_length=10, choices=CheckStatus.choices, default=CheckStatus.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    live = models.PositiveIntegerField(default=0, help_text="Open and at-risk flags after the check.")
    new = models.PositiveIntegerField(default=0, help_text="Flags raised for the first time.")
    changed = models.PositiveIntegerField(
        default=0, help_text="Existing flags moved to open or at risk: a deadline passed, or a record broke again."
    )
    resolved = models.PositiveIntegerField(default=0, help_text="Flags resolved because the record was put right.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "compact", "rule"]
        constraints = [
            models.UniqueConstraint(fields=["run", "compact", "rule"], name="rule_check_once_per_run"),
            models.UniqueConstraint(
                fields=["run", "rule"], condition=Q(compact__isnull=True), name="rule_check_once_per_run_all_compacts"
            ),
        ]
        indexes = [models.Index(fields=["run", "status"])]

    def __str__(self) -> str:
        return f"{self.rule} for {self.compact_id or 'every compact'} in run {self.run_id}"


class Flag(models.Model):
    """A Compact promise broken, or about to be, by one organisation on one record.

    ``due_date`` is the day the promise fell due: the deadline the record missed or is about to miss
    (pay-by, decision date, feedback date, dispute step), or for a promise kept or broken in one act,
    the day of that act (notice given, consultation opened, agreement signed).
    """

    # Foreign keys whose own index a composite index below already serves are left without one: every index is
    # written again for each of the tens of thousands of flags a national scan inserts.
    # A flag is derived data: the scan writes it from rows it has just joined to their compact, organisation and
    # commitment, so those references exist as it is written, and deleting them goes through Django, which
    # cascades (or clears) in Python. The database does not check them again at each commit, which at national
    # scale would cost the first scan a third of its time (bench/compliance_scan.py).
    compact = models.ForeignKey(
        "commitments.Compact", on_delete=models.CASCADE, related_name="flags", db_index=False, db_constraint=False
    )  # served by flag_once_per_record_due_date and (compact, rule, status)
    rule = models.CharField(max_length=40, choices=RuleKey.choices)
    clause = models.CharField(
        max_length=20,
        blank=True,
        help_text="The compact's clause for the commitment broken; blank where the compact's document holds no such "
        "promise and the portal's default applies.",
    )
    commitment = models.ForeignKey(
        "commitments.Commitment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="flags",
        db_constraint=False,  # as compact
        # Unindexed: only deleting a commitment looks flags up by it (to clear it), a rare administrator's step
        # that may read the table once, while every flag a scan inserts would write the index.
        db_index=False,
    )
    organisation = models.ForeignKey(
        "commitments.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="flags",
        db_index=False,  # served by (organisation, status)
        db_constraint=False,  # as compact
        help_text="The organisation responsible; blank where the compact's champions are (a review, a case step).",
    )
    record_type = models.CharField(max_length=30, choices=RecordType.choices)
    record_id = models.PositiveBigIntegerField()
    record_label = models.CharField(
        max_length=100, help_text="Invoice number, funding reference, consultation or case reference, compact slug."
    )
    due_date = models.DateField()
    first_detected = models.DateField()
    status = models.CharField(max_length=10, choices=FlagStatus.choices)
    status_changed_at = models.DateTimeField()
    status_changed_by = actor_field(
        db_index=False,  # as commitment: only deleting a person's account looks flags up by it
        help_text="Blank: changed by the compliance scan.",
    )
    status_reason = models.TextField(blank=True)
    # Which run last changed the flag: bookkeeping, checked by Django (runs are only deleted through it), not by
    # a database constraint that a national scan would check again for each of its tens of thousands of flags.
    changed_in_run = models.ForeignKey(
        ComplianceRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        # Unindexed: on PostgreSQL a check writes each flag's history from the rows it wrote, never looking flags
        # up by run; elsewhere (SQLite: small data) it reads them back by run without an index.
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [
            # One flag per compact, rule, record and due date: re-runs and overlapping runs add nothing. With
            # the compact in it, funding moved to another compact is flagged there afresh (with that compact's
            # clause) while its flag under the old compact is resolved.
            models.UniqueConstraint(
                fields=["compact", "rule", "record_type", "record_id", "due_date"], name="flag_once_per_record_due_date"
            ),
            models.CheckConstraint(
                condition=~Q(status="waived") | ~Q(status_reason=""), name="flag_waived_with_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["compact", "rule", "status"]),
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["record_type", "record_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()}: {self.record_label}"

    def get_absolute_url(self) -> str:
        return reverse("commitments:flag_detail", args=[self.pk])

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


class FlagEvent(models.Model):
    """One change of a flag's status: by a person (waive, reopen) or by a scan (raised, resolved, ...)."""

    # Written by the scan beside the flag it follows, in the same statement's transaction (as Flag.compact).
    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="events", db_constraint=False)
    status = models.CharField("new status", max_length=10, choices=FlagStatus.choices)
    reason = models.TextField(blank=True)
    by = actor_field()
    run = models.ForeignKey(
        ComplianceRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        db_index=False,  # served by (run, status)
        db_constraint=False,  # as Flag.changed_in_run
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["run", "status"]),
            models.Index(fields=["at"], name="flag_event_at"),  # the audit trail reads the newest first
        ]

    def __str__(self) -> str:
        return f"{self.flag_id} → {self.status}"


class BreachRow(models.Model):
    """One row of a rule's statement (``commitments/rulebook.py``, ``breach_rows``), held in a temporary table
    for the length of one check, so that the check runs the rule's statement once and compares the flags with
    what it holds. Never migrated: each check creates and drops the table in its own transaction."""

    flag_compact = models.BigIntegerField()
    flag_record = models.BigIntegerField(primary_key=True)  # with compact and due date, what a flag is about
    flag_organisation = models.BigIntegerField(null=True)
    flag_due = models.DateField()
    flag_label = models.CharField(max_length=100)
    flag_status = models.CharField(max_length=10)
    flag_clause = models.CharField(max_length=20)
    flag_commitment = models.BigIntegerField(null=True)

    class Meta:
        managed = False
        db_table = "compliance_breach_rows"

    def __str__(self) -> str:
        return f"{self.flag_label} ({self.flag_status})"
