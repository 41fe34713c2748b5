"""Compacts, their principles and commitments, the organisations that sign them, and champions."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from compact_portal.accounts.roles import Role
from compact_portal.models import Recorded, actor_field

from .. import validators
from ..standing import DEFAULT_MEETING, DEFAULT_SLIPPING, threshold_errors


class Side(models.TextChoices):
    PUBLIC = "public", "Public body"
    VCS = "vcs", "Voluntary and community sector"


class UndertakenBy(models.TextChoices):
    PUBLIC = "public", "Public bodies"
    VCS = "vcs", "Voluntary and community sector"
    BOTH = "both", "Both sides"


class Nation(models.TextChoices):
    ENGLAND_WALES = "england_wales", "England and Wales"
    SCOTLAND = "scotland", "Scotland"
    NORTHERN_IRELAND = "northern_ireland", "Northern Ireland"


class CompactStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    CONSULTATION = "consultation", "Out for consultation"
    ADOPTED = "adopted", "Adopted"
    WITHDRAWN = "withdrawn", "Withdrawn"


class MeasurableRule(models.TextChoices):
    """The promises the portal can check (docs/domain.md)."""

    CONSULTATION_LENGTH = "consultation_length", "Formal consultations last the minimum length"
    CONSULTATION_ANNOUNCED = "consultation_announced", "Consultations are announced before they open"
    CONSULTATION_FEEDBACK = "consultation_feedback", "Respondents get feedback after a consultation"
    NOTICE_PERIOD = "notice_period", "Written notice before funding ends or is reduced"
    IMPACT_ASSESSMENT = "impact_assessment", "Impact assessed before funding ends"
    RESPONSE_BEFORE_DECISION = "response_before_decision", "The organisation can respond before the decision"
    PROMPT_PAYMENT = "prompt_payment", "Invoices paid within the working-day limit"
    DECISION_LEAD_TIME = "decision_lead_time", "Funding decisions told in good time before the start"
    FUNDING_TERM = "funding_term", "Funding lasts the minimum term"
    DECLINE_FEEDBACK = "decline_feedback", "Unsuccessful applicants get constructive feedback"
    MONITORING_AGREED = "monitoring_agreed", "Monitoring agreed before the agreement is signed"
    MONITORING_PROPORTIONATE = "monitoring_proportionate", "Monitoring is proportionate to the funding"
    MONITORING_RETURNS = "monitoring_returns", "Monitoring returns are made when they are due"
    IMPROVEMENT_TIMETABLE = "improvement_timetable", "Problems discussed before funding ends"
    REALLOCATION_ASSESSED = "reallocation_assessed", "Reallocation assessed when an equality grant is withdrawn"
    COMPACT_REVIEW = "compact_review", "The compact is reviewed every year"
    ACTION_PLAN = "action_plan", "The action plan's actions are done by their dates"
    DISPUTES_PROCESS = "disputes_process", "Concerns are resolved through the compact's disputes procedure"
    # Shares of the awards, not verdicts on each (commitments/figures.py, ``Figure.judged``): a compact asks for
    # them where they fit the work, not of every award.
    FULL_COST_RECOVERY = "full_cost_recovery", "Funding meets the full cost, overheads and volunteer costs included"
    PAYMENT_IN_ADVANCE = "payment_in_advance", "Payment in advance where it is needed and good value"


class Compact(Recorded):
    """A local compact and the values of its measurable rules (defaults: the source compacts', docs/domain.md)."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    area = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    source_document = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=CompactStatus.choices, default=CompactStatus.DRAFT)
    adopted_date = models.DateField(null=True, blank=True)
    next_review_date = models.DateField(
        null=True, blank=True, db_index=True, help_text="The compact and its action plan are reviewed every year."
    )
    nation = models.CharField(
        max_length=20,
        choices=Nation.choices,
        default=Nation.ENGLAND_WALES,
        help_text="Whose bank holidays count when working days are counted.",
    )

    # Rule settings (docs/domain.md; Portsmouth clause in brackets).
    consultation_min_weeks = models.PositiveSmallIntegerField(
        "minimum consultation (weeks)", default=12, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )  # 3.7
    feedback_due_weeks = models.PositiveSmallIntegerField(
        "feedback due after close (weeks)", default=12, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )  # 3.5
    notice_months = models.PositiveSmallIntegerField(
        "notice before funding ends (months)", default=3, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )  # 13.3
    notice_excepts_fixed_end = models.BooleanField(
        "no notice owed when the end date was fixed from the start",
        default=False,
        help_text="Leicestershire principle 11 excepts arrangements whose end date was defined at the start.",
    )
    decision_lead_months = models.PositiveSmallIntegerField(
        "decision told before start (months)", default=3, validators=[MinValueValidator(0), MaxValueValidator(24)]
    )  # 9.2
    min_funding_years = models.PositiveSmallIntegerField(
        "minimum funding term (years)", default=3, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )  # 9.1
    payment_working_days = models.PositiveSmallIntegerField(
        "invoices paid within (working days)", default=10, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )  # 11.2
    dispute_acknowledge_days = models.PositiveSmallIntegerField(
        "acknowledge a concern within (working days)", default=5, validators=[MinValueValidator(1)]
    )
    dispute_informal_days = models.PositiveSmallIntegerField(
        "informal stage (working days)", default=20, validators=[MinValueValidator(1)]
    )
    dispute_formal_days = models.PositiveSmallIntegerField(
        "formal response (working days)", default=20, validators=[MinValueValidator(1)]
    )
    dispute_formal_extension_days = models.PositiveSmallIntegerField(
        "one extension of the formal stage (working days)", default=10
    )
    dispute_appeal_lodge_days = models.PositiveSmallIntegerField(
        "lodge an appeal within (working days)", default=20, validators=[MinValueValidator(1)]
    )
    dispute_appeal_decision_days = models.PositiveSmallIntegerField(
        "panel decides an appeal within (working days)", default=20, validators=[MinValueValidator(1)]
    )

    # Where the dashboard, the health checks and the report say each promise stands (commitments/standing.py):
    # meeting the compact at or above ``meeting_threshold`` per cent kept or explained, slipping at or above
    # ``slipping_threshold``, not met below it.
    meeting_threshold = models.PositiveSmallIntegerField(
        "meeting the compact from (% kept or explained)",
        default=DEFAULT_MEETING,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="A promise kept or explained at least this often in a period is meeting the compact.",
    )
    slipping_threshold = models.PositiveSmallIntegerField(
        "slipping from (% kept or explained)",
        default=DEFAULT_SLIPPING,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Below the meeting threshold but at least this: slipping. Below this: not met. "
        "No higher than the meeting threshold.",
    )

    action_plan_public = models.BooleanField(
        "action plan shown to the public",
        default=True,
        help_text="The action plan is on the compact's public page; untick to show it only to people signed in.",
    )
    # How many monitoring returns a year are proportionate to the funding's value (Portsmouth 12.3): under the small
    # limit at most the small number, under the medium limit at most the medium number, above it at most the large.
    monitoring_small_below = models.PositiveIntegerField(
        "small funding: under (£)",
        default=10_000,
        validators=[MinValueValidator(1)],
        help_text="Funding under this amount is small: monitored at most the small number of times a year.",
    )
    monitoring_small_returns = models.PositiveSmallIntegerField(
        "returns a year for small funding, at most",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    monitoring_medium_below = models.PositiveIntegerField(
        "medium funding: under (£)",
        default=100_000,
        validators=[MinValueValidator(1)],
        help_text="Funding from the small limit up to under this amount is medium; at or above it, large.",
    )
    monitoring_medium_returns = models.PositiveSmallIntegerField(
        "returns a year for medium funding, at most",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    monitoring_large_returns = models.PositiveSmallIntegerField(
        "returns a year for large funding, at most",
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("commitments:compact_detail", args=[self.slug])

    def clean(self):
        super().clean()
        if self.status == CompactStatus.ADOPTED and not self.adopted_date:
            raise ValidationError({"adopted_date": "Give the date the compact was adopted."})
        if self.adopted_date and self.next_review_date and self.next_review_date <= self.adopted_date:
            raise ValidationError({"next_review_date": "The next review must come after the date of adoption."})
        thresholds = threshold_errors(meeting=self.meeting_threshold, slipping=self.slipping_threshold)
        if thresholds and not self._threshold_out_of_range():  # the fields' own validators say that
            raise ValidationError(thresholds)
        small, medium = self.monitoring_small_below, self.monitoring_medium_below
        if small and medium and medium <= small:
            raise ValidationError({"monitoring_medium_below": "The medium limit must be more than the small limit."})

    def _threshold_out_of_range(self) -> bool:
        return any(
            value is not None and not 0 <= value <= 100 for value in (self.meeting_threshold, self.slipping_threshold)
        )


class Principle(models.Model):
    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="principles")
    number = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    summary = models.TextField()
    reference = models.CharField(max_length=300, blank=True, help_text="Where the document says this.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["compact", "position"]
        constraints = [models.UniqueConstraint(fields=["compact", "number"], name="principle_unique_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Section(models.Model):
    """A group of commitments (Portsmouth: 22 numbered sections in three themes)."""

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="sections")
    number = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    theme = models.CharField(max_length=200, blank=True)
    side = models.CharField(max_length=10, choices=UndertakenBy.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["compact", "position"]
        constraints = [models.UniqueConstraint(fields=["compact", "number"], name="section_unique_number")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Commitment(models.Model):
    """A numbered promise one side makes (e.g. Portsmouth 13.3: three months' notice)."""

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="commitments")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="commitments")
    code = models.CharField("clause", max_length=20, help_text='As the document writes it, e.g. "13.3".')
    side = models.CharField("undertaken by", max_length=10, choices=UndertakenBy.choices)
    summary = models.TextField()
    reference = models.CharField(max_length=300, blank=True)
    rule_key = models.CharField(
        max_length=40,
        choices=MeasurableRule.choices,
        blank=True,
        db_index=True,
        help_text="The measurable rule that checks this commitment, if it has one.",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["compact", "position"]
        constraints = [models.UniqueConstraint(fields=["compact", "code"], name="commitment_unique_code")]

    def __str__(self) -> str:
        return f"{self.code}: {self.summary[:60]}"

    def clean(self):
        super().clean()
        if self.section_id and self.compact_id and self.section.compact_id != self.compact_id:
            raise ValidationError({"section": "The section must belong to the same compact."})


class OrganisationType(models.TextChoices):
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    NHS_BODY = "nhs_body", "NHS body"
    POLICE = "police", "Police"
    FIRE_AND_RESCUE = "fire_and_rescue", "Fire and rescue"
    PROBATION = "probation", "Probation"
    OTHER_PUBLIC_BODY = "other_public_body", "Other public body"
    REGISTERED_CHARITY = "registered_charity", "Registered charity"
    CHARITABLE_INCORPORATED_ORGANISATION = (
        "charitable_incorporated_organisation",
        "Charitable incorporated organisation",
    )
    COMPANY_LIMITED_BY_GUARANTEE = "company_limited_by_guarantee", "Company limited by guarantee"
    COMMUNITY_INTEREST_COMPANY = "community_interest_company", "Community interest company"
    UNINCORPORATED_COMMUNITY_GROUP = "unincorporated_community_group", "Unincorporated community group"
    SOCIAL_ENTERPRISE = "social_enterprise", "Social enterprise"
    FAITH_GROUP = "faith_group", "Faith group"
    INFRASTRUCTURE_BODY = "infrastructure_body", "Infrastructure body"


PUBLIC_TYPES = frozenset(
    {
        OrganisationType.LOCAL_AUTHORITY,
        OrganisationType.NHS_BODY,
        OrganisationType.POLICE,
        OrganisationType.FIRE_AND_RESCUE,
        OrganisationType.PROBATION,
        OrganisationType.OTHER_PUBLIC_BODY,
    }
)

SMALL_GROUP_MAX_PAID_STAFF = 2  # a "small group" has at most two paid staff (docs/domain.md)


class TidiedCharField(models.CharField):
    """A short stored value that people type with spaces ("101 2345", "po1  2al").

    Forms built from it set no length limit: ``Organisation.clean_fields`` tidies the value first and
    then checks the stored length, so a correct number typed loosely is not refused for its spaces.
    """

    def formfield(self, **kwargs):
        return super().formfield(**{**kwargs, "max_length": None})

    def deconstruct(self):
        # Migrations name the field by the package that exports it, wherever the class is defined.
        name, _path, args, kwargs = super().deconstruct()
        return name, "commitments.models.TidiedCharField", args, kwargs


class Community(models.Model):
    """A community an organisation serves; the Equality Act 2010's protected characteristics are marked."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    protected_characteristic = models.BooleanField(default=False)

    class Meta:
        ordering = ["-protected_characteristic", "name"]
        verbose_name_plural = "communities"

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """A kind of service an organisation offers, from a fixed list, so the directory can be filtered by it."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GoverningDocument(models.TextChoices):
    """The document that sets up an organisation and its purposes (as the Charity Commission lists them)."""

    CONSTITUTION = "constitution", "Constitution"
    TRUST_DEED = "trust_deed", "Trust deed"
    ARTICLES = "articles", "Articles of association"
    CIO_CONSTITUTION = "cio_constitution", "CIO constitution"
    RULES = "rules", "Rules (community benefit or co-operative society)"
    STATUTE = "statute", "Act of Parliament, charter or statute"
    OTHER = "other", "Other"


# The public registers' entries for a registration number.
CHARITY_COMMISSION_ENTRY = (
    "https://register-of-charities.charitycommission.gov.uk/charity-search/-/charity-details/{number}"
)
OSCR_ENTRY = "https://www.oscr.org.uk/about-charities/search-the-register/charity-details?number={number}"
COMPANIES_HOUSE_ENTRY = "https://find-and-update.company-information.service.gov.uk/company/{number}"


class Organisation(models.Model):
    """A public body or a voluntary and community sector (VCS) organisation."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    side = models.CharField(max_length=10, choices=Side.choices)
    organisation_type = models.CharField(max_length=40, choices=OrganisationType.choices, blank=True)
    charity_number = TidiedCharField(
        "charity number (England and Wales)",
        max_length=7,
        blank=True,
        db_index=True,
        validators=[validators.normalise_charity_number],
    )
    scottish_charity_number = TidiedCharField(
        max_length=8, blank=True, validators=[validators.normalise_scottish_charity_number]
    )
    company_number = TidiedCharField(max_length=8, blank=True, validators=[validators.normalise_company_number])
    org_id = models.CharField(
        "Org-ID",
        max_length=60,
        blank=True,
        validators=[validators.normalise_org_id],
        help_text="Worked out from the charity or company number; public bodies enter theirs, e.g. GB-LAE-POR.",
    )
    address = models.TextField(blank=True)
    postcode = TidiedCharField(max_length=8, blank=True, validators=[validators.normalise_postcode])
    email = models.EmailField("contact e-mail", blank=True)
    phone = models.CharField(max_length=30, blank=True)
    website = models.URLField(blank=True)
    paid_staff = models.PositiveIntegerField("number of paid staff", null=True, blank=True)
    governing_document = models.CharField(
        "governing document", max_length=30, choices=GoverningDocument.choices, blank=True
    )
    aims_and_services = models.TextField(
        "aims and services", blank=True, help_text="What the organisation is for and what it does, in a few lines."
    )
    area_served = models.CharField(
        "area served", max_length=200, blank=True, help_text="Where its work reaches, e.g. Portsmouth, or Southsea."
    )
    communities = models.ManyToManyField(Community, blank=True, related_name="organisations")
    services = models.ManyToManyField(Service, blank=True, related_name="organisations")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[communities, services])

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["side", "name"]), models.Index(fields=["name", "postcode"])]
        constraints = [
            models.UniqueConstraint(
                fields=["org_id"],
                condition=~Q(org_id=""),
                name="organisation_unique_org_id",
                violation_error_message="An organisation with this Org-ID is already registered.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("commitments:signatory_detail", args=[self.slug])

    @property
    def register_entries(self) -> list[tuple[str, str, str]]:
        """(register, number, address of the entry) for each public registration number stored: the Charity
        Commission for England and Wales, OSCR (Scotland) and Companies House."""
        registers = (
            ("Charity Commission (England and Wales)", self.charity_number, CHARITY_COMMISSION_ENTRY),
            ("Scottish Charity Regulator (OSCR)", self.scottish_charity_number, OSCR_ENTRY),
            ("Companies House", self.company_number, COMPANIES_HOUSE_ENTRY),
        )
        return [(register, number, entry.format(number=number)) for register, number, entry in registers if number]

    @property
    def is_small_group(self) -> bool:
        return self.side == Side.VCS and self.paid_staff is not None and self.paid_staff <= SMALL_GROUP_MAX_PAID_STAFF

    _NORMALISERS = (
        ("charity_number", validators.normalise_charity_number),
        ("scottish_charity_number", validators.normalise_scottish_charity_number),
        ("company_number", validators.normalise_company_number),
        ("postcode", validators.normalise_postcode),
        ("org_id", validators.normalise_org_id),
    )

    def clean_fields(self, exclude=None):
        """Normalise identifiers and postcode first, so "101 2345" is checked as "1012345"."""
        errors = {}
        for field, normalise in self._NORMALISERS:
            try:
                setattr(self, field, normalise(getattr(self, field)))
            except ValidationError as error:
                errors[field] = error.messages
        try:
            super().clean_fields(exclude=[*(exclude or []), *errors])
        except ValidationError as error:
            errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)

    def clean(self):
        super().clean()
        errors = {}
        if self.organisation_type:
            is_public_type = self.organisation_type in PUBLIC_TYPES
            if is_public_type != (self.side == Side.PUBLIC):
                errors["organisation_type"] = [
                    f"A {self.get_organisation_type_display().lower()} is on the "
                    f"{'public' if is_public_type else 'voluntary and community'} side."
                ]
        if errors:
            raise ValidationError(errors)
        derived = validators.derive_org_id(
            charity_number=self.charity_number,
            scottish_charity_number=self.scottish_charity_number,
            company_number=self.company_number,
        )
        if derived and not self.org_id:
            self.org_id = derived


# The details an organisation gives about itself (sign-up form, services, imports).
class IdentifierChangeStatus(models.TextChoices):
    PENDING = "pending", "Awaiting an administrator"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"


class IdentifierChange(Recorded):
    """A member's request to change their organisation's registration numbers: the Org-ID derives from them, so an
    administrator approves the change before the directory shows it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="identifier_changes")
    charity_number = TidiedCharField(
        "charity number (England and Wales)",
        max_length=7,
        blank=True,
        validators=[validators.normalise_charity_number],
    )
    scottish_charity_number = TidiedCharField(
        max_length=8, blank=True, validators=[validators.normalise_scottish_charity_number]
    )
    company_number = TidiedCharField(max_length=8, blank=True, validators=[validators.normalise_company_number])
    reason = models.TextField("why they change", blank=True)
    status = models.CharField(
        max_length=10, choices=IdentifierChangeStatus.choices, default=IdentifierChangeStatus.PENDING
    )
    requested_by = actor_field()
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = actor_field()
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField("the administrator's note", blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(status="pending"),
                name="identifier_change_one_pending_per_organisation",
                violation_error_message="A change of this organisation's numbers is already awaiting approval.",
            )
        ]

    def __str__(self) -> str:
        return f"Change of registration numbers for {self.organisation}"


ORGANISATION_DETAIL_FIELDS = (
    "name", "side", "organisation_type", "charity_number", "scottish_charity_number", "company_number", "org_id",
    "address", "postcode", "email", "phone", "website", "paid_staff",
)  # fmt: skip


class SignatureStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    APPROVED = "approved", "Signed"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


ACTIVE_SIGNATURE_STATUSES = (SignatureStatus.APPLIED, SignatureStatus.APPROVED)


class Signature(Recorded):
    """An organisation's application to sign a compact, and what became of it."""

    compact = models.ForeignKey(Compact, on_delete=models.PROTECT, related_name="signatures")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="signatures")
    status = models.CharField(max_length=10, choices=SignatureStatus.choices, default=SignatureStatus.APPLIED)
    applicant_name = models.CharField(max_length=150, blank=True)
    applicant_email = models.EmailField(blank=True)
    applied_by = actor_field()
    applied_at = models.DateTimeField(auto_now_add=True)
    decided_by = actor_field()
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    signed_date = models.DateField(null=True, blank=True)
    withdrawn_date = models.DateField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-applied_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["compact", "organisation"],
                condition=Q(status__in=["applied", "approved"]),
                name="signature_one_active_per_compact",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(signed_date__isnull=False), name="signature_signed_has_date"
            ),
        ]
        indexes = [models.Index(fields=["compact", "status"])]

    def __str__(self) -> str:
        return f"{self.organisation} – {self.compact} ({self.get_status_display()})"

    @property
    def applicant_role(self) -> str:
        """The role the applicant is given in the organisation if the application is approved: officer for a
        public body, VCS member for a voluntary or community organisation."""
        return Role.OFFICER if self.organisation.side == Side.PUBLIC else Role.VCS_MEMBER


class Champion(Recorded):
    """A Compact champion appointed in an organisation or one of its service teams."""

    compact = models.ForeignKey(Compact, on_delete=models.CASCADE, related_name="champions")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="champions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="championships")
    service_team = models.CharField(max_length=200, blank=True, help_text="Leave blank for the whole organisation.")
    appointed_on = models.DateField(default=datetime.date.today)

    class Meta:
        ordering = ["organisation__name", "service_team"]
        constraints = [
            models.UniqueConstraint(
                fields=["compact", "organisation", "user", "service_team"], name="champion_unique_appointment"
            )
        ]

    def __str__(self) -> str:
        where = f"{self.organisation}, {self.service_team}" if self.service_team else str(self.organisation)
        return f"{self.user} ({where})"
