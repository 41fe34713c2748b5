import datetime

import factory
from django.utils import timezone
from django.utils.text import slugify

from commitments.models import (
    Champion,
    Commitment,
    Compact,
    Flag,
    FlagStatus,
    Organisation,
    RecordType,
    RuleKey,
    Section,
    Side,
    Signature,
    SignatureStatus,
)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Community Group {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    side = Side.VCS


class PublicBodyFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Borough Council {n}")
    side = Side.PUBLIC


class CompactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Compact
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Borough Compact {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    area = "Borough"
    status = "draft"


class SignatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signature

    compact = factory.SubFactory(CompactFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    status = SignatureStatus.APPROVED
    signed_date = datetime.date(2026, 4, 1)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # A funder the funding factories have already signed up (tests/funding/factories.py) keeps that signature.
        if kwargs.get("status") == SignatureStatus.APPROVED:
            signed = model_class.objects.filter(
                compact=kwargs["compact"], organisation=kwargs["organisation"], status=SignatureStatus.APPROVED
            ).first()
            if signed is not None:
                return signed
        return super()._create(model_class, *args, **kwargs)


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    compact = factory.SubFactory(CompactFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    title = "Allocating resources"
    side = "public"


class CommitmentFactory(factory.django.DjangoModelFactory):
    """A numbered commitment; give ``rule_key`` (a MeasurableRule) for one the compliance scan checks."""

    class Meta:
        model = Commitment

    compact = factory.SubFactory(CompactFactory)
    section = factory.SubFactory(SectionFactory, compact=factory.SelfAttribute("..compact"))
    code = factory.Sequence(lambda n: f"{n + 1}.1")
    side = "public"
    summary = "Public bodies keep this promise."


class ChampionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Champion

    compact = factory.SubFactory(CompactFactory)
    organisation = factory.SubFactory(PublicBodyFactory)
    user = factory.SubFactory("tests.accounts.factories.UserFactory")
    appointed_on = datetime.date(2026, 1, 5)


class FlagFactory(factory.django.DjangoModelFactory):
    """A flag as the compliance scan would write it (for pages and exports; the scan itself is tested
    by running it over real records)."""

    class Meta:
        model = Flag

    compact = factory.SubFactory(CompactFactory)
    rule = RuleKey.INVOICE_OVERDUE
    clause = "11.2"
    organisation = factory.SubFactory(PublicBodyFactory)
    record_type = RecordType.INVOICE
    record_id = factory.Sequence(lambda n: n + 1)
    record_label = factory.Sequence(lambda n: f"INV-{n:04d}")
    due_date = datetime.date(2026, 11, 2)
    first_detected = datetime.date(2026, 11, 3)
    status = FlagStatus.OPEN
    status_changed_at = factory.LazyFunction(timezone.now)
    status_reason = "Found by the compliance scan."
