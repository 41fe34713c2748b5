"""Consultations built through the services, so their stored dates are what the portal would store."""

import datetime

import factory

from consultations import services
from consultations.models import Consultation, PolicyArea
from tests.commitments.factories import CompactFactory, PublicBodyFactory


def policy_area(slug: str = "health-and-wellbeing") -> PolicyArea:
    """The policy area a data migration seeds; made again if a transactional test's flush emptied the table."""
    area, _ = PolicyArea.objects.get_or_create(slug=slug, defaults={"name": slug.replace("-", " ").capitalize()})
    return area


class ConsultationFactory(factory.django.DjangoModelFactory):
    """A draft, formal, exactly-12-week consultation (open Mon 5 Jan 2026, close Sun 29 Mar 2026)."""

    class Meta:
        model = Consultation

    compact = factory.SubFactory(CompactFactory)
    body = factory.SubFactory(PublicBodyFactory)
    title = factory.Sequence(lambda n: f"Library services review {n}")
    summary = "How should the city's libraries change?"
    policy_area = factory.LazyFunction(policy_area)
    formal = True
    announced_date = datetime.date(2025, 12, 1)
    open_date = datetime.date(2026, 1, 5)
    close_date = datetime.date(2026, 3, 29)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        publish = kwargs.pop("publish", False)
        consultation = services.consultation_create(actor=None, **kwargs)
        if publish:
            consultation = services.consultation_publish(consultation=consultation, actor=None)
        return consultation


def open_consultation(*, today: datetime.date, **kwargs) -> Consultation:
    """A published consultation open on ``today``: opened 30 days ago, closing in 60 days."""
    return ConsultationFactory(
        announced_date=today - datetime.timedelta(days=45),
        open_date=today - datetime.timedelta(days=30),
        close_date=today + datetime.timedelta(days=60),
        publish=True,
        **kwargs,
    )


def closed_consultation(*, today: datetime.date, **kwargs) -> Consultation:
    """A published consultation that closed yesterday after 12 weeks."""
    return ConsultationFactory(
        announced_date=today - datetime.timedelta(days=100),
        open_date=today - datetime.timedelta(days=84),
        close_date=today - datetime.timedelta(days=1),
        publish=True,
        **kwargs,
    )


def publish_feedback(consultation: Consultation, *, today: datetime.date):
    """The body's "you said, we did" for ``consultation``, published on ``today``."""
    return services.feedback_publish(
        consultation=consultation,
        actor=None,
        today=today,
        summary_of_responses="Most respondents wanted the mobile library kept.",
        what_changed="The mobile library stays.",
        what_did_not_change="Opening hours, for budget reasons.",
    )
