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
from funding.models import Decision, FundingRelationship, Invoice, Mechanism, Notice
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
