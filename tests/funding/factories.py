"""Funding records built through the services, so their stored deadlines are what the portal would store.

Each record is made on the day it happened (the services' ``today`` is the decision's, invoice's, payment's or
notice's own date, unless a test passes ``today``), and funding's funder signs its compact first, unless it has
already signed, applied or withdrawn: the services refuse funding under a compact the funder has not signed."""

import datetime
from decimal import Decimal

import factory

from commitments.models import Signature
from commitments.services import signature_record_signed
from funding import services
from funding.models import (
    ChangeKind,
    Decision,
    FundingRelationship,
    ImprovementTimetable,
    Invoice,
    Mechanism,
    MonitoringPlan,
    MonitoringReturn,
    MonitoringTemplate,
    Notice,
    SignificantChange,
)
from funding.services import monitoring
from tests.commitments.factories import CompactFactory, OrganisationFactory, PublicBodyFactory


class FundingRelationshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingRelationship
        skip_postgeneration_save = True

    compact = factory.SubFactory(CompactFactory)
    funder = factory.SubFactory(PublicBodyFactory)
    recipient = factory.SubFactory(OrganisationFactory)
    reference = factory.Sequence(lambda n: f"GR-2026-{n:03d}")
    title = "Community food project"
    mechanism = Mechanism.GRANT
    amount = Decimal("30000.00")
    expected_start = datetime.date(2027, 4, 1)
    start_date = datetime.date(2027, 4, 1)
    end_date = datetime.date(2030, 3, 31)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        sign_up(compact=kwargs["compact"], funder=kwargs["funder"])
        return services.relationship_create(actor=None, **kwargs)


FUNDER_SIGNED_ON = datetime.date(2026, 4, 1)


def sign_up(*, compact, funder) -> None:
    """The funder signs the compact, as it must before its funding is recorded under it; a funder that has already
    signed, applied or withdrawn is left as it is (a test of those sets them up itself)."""
    if not Signature.objects.filter(compact=compact, organisation=funder).exists():
        signature_record_signed(compact=compact, organisation=funder, signed_date=FUNDER_SIGNED_ON)


class AwardedFundingFactory(FundingRelationshipFactory):
    """A relationship with an award told in good time (six months before the start)."""

    @factory.post_generation
    def award(obj, create, extracted, **kwargs):
        services.decision_record(
            relationship=obj,
            actor=None,
            kind="awarded",
            told_date=datetime.date(2026, 10, 1),
            today=datetime.date(2026, 10, 1),
            rationale="Strong bid.",
        )
        obj.refresh_from_db()


class DecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Decision

    relationship = factory.SubFactory(FundingRelationshipFactory)
    kind = "awarded"
    told_date = datetime.date(2026, 10, 1)
    rationale = "Meets the priorities."

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.decision_record(actor=None, **{"today": kwargs["told_date"], **kwargs})


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    relationship = factory.SubFactory(AwardedFundingFactory)
    invoice_number = factory.Sequence(lambda n: f"INV-{n:04d}")
    amount = Decimal("2500.00")
    received_date = datetime.date(2027, 4, 6)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.invoice_record(actor=None, **{"today": kwargs["received_date"], **kwargs})


def pay_in_full(invoice: Invoice, paid_date: datetime.date) -> Invoice:
    """Record one payment of the whole invoice on ``paid_date``, through the service (which stores the invoice's
    paid date and working days to pay)."""
    services.payment_record(invoice=invoice, actor=None, paid_date=paid_date, today=paid_date, amount=invoice.amount)
    return invoice


class NoticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notice

    relationship = factory.SubFactory(AwardedFundingFactory)
    kind = "end"
    notice_date = datetime.date(2027, 9, 1)
    effective_date = datetime.date(2027, 12, 1)
    rationale = "The service is being recommissioned."

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.notice_record(actor=None, **{"today": kwargs["notice_date"], **kwargs})


# --- Monitoring (12.1-12.5, 17.3, 17.4) and improvement timetables (12.7) -------------------------------------------

QUESTIONS = "How many people did the project reach?\nWhat difference has it made to them?"
PURPOSE = "Reported to the cabinet each year, and used to plan next year's funding."


class MonitoringTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonitoringTemplate

    compact = factory.SubFactory(CompactFactory)
    name = factory.Sequence(lambda n: f"Standard monitoring {n}")
    questions = QUESTIONS
    purpose = PURPOSE
    service_user_views = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return monitoring.monitoring_template_create(**{"actor": None, **kwargs})


class MonitoringPlanFactory(factory.django.DjangoModelFactory):
    """A plan set through the service (its band stored, its returns scheduled) on ``today``: by default once a
    year, for funding of £30,000 (the shipped bands allow two), not yet agreed. The default award runs from
    1 April 2027 to 31 March 2030, so the returns cover the years to 31 March 2028, 2029 and 2030."""

    class Meta:
        model = MonitoringPlan

    relationship = factory.SubFactory(AwardedFundingFactory)
    questions = QUESTIONS
    purpose = PURPOSE
    returns_per_year = 1
    service_user_views = False
    agreed_on = None
    disproportion_reason = ""
    today = datetime.date(2027, 3, 1)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return monitoring.monitoring_plan_set(**{"actor": None, **kwargs})


class MonitoringReturnFactory(factory.django.DjangoModelFactory):
    """A return recorded as it happened (``return_record``), its due date counted from its period's end: by
    default the first of a twice-yearly plan's (which the plan scheduled already), due 1 November 2027."""

    class Meta:
        model = MonitoringReturn

    plan = factory.SubFactory(MonitoringPlanFactory, returns_per_year=2)
    period_start = datetime.date(2027, 4, 1)
    period_end = datetime.date(2027, 9, 30)
    submitted_date = None
    today = factory.LazyAttribute(lambda o: o.submitted_date or datetime.date(2027, 4, 1))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return monitoring.return_record(**{"actor": None, **kwargs})


class ImprovementTimetableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImprovementTimetable

    relationship = factory.SubFactory(AwardedFundingFactory)
    problems = "Sessions were cancelled for lack of volunteers."
    agreed_on = datetime.date(2027, 6, 1)
    review_on = datetime.date(2027, 8, 2)
    actions = factory.LazyAttribute(lambda o: [("Recruit and train four more volunteers", o.review_on)])
    today = factory.LazyAttribute(lambda o: o.agreed_on)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return monitoring.improvement_timetable_agree(**{"actor": None, **kwargs})


class SignificantChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SignificantChange

    relationships = factory.LazyFunction(lambda: [AwardedFundingFactory()])
    organisation = factory.LazyAttribute(lambda o: o.relationships[0].recipient)
    kind = ChangeKind.MANAGEMENT
    description = "Our chief officer leaves at the end of the month; the chair steps in until a new one starts."
    today = datetime.date(2027, 6, 1)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return monitoring.significant_change_tell(**{"actor": None, **kwargs})
