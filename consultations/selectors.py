"""Reads about consultations, shared by the register, the management pages, exports and jobs.

Who sees what: published consultations are public; drafts only to the body's officers,
the compact's champions and administrators. A response is seen by its own organisation's members;
once submitted, by the consulting body's officers and the compact's champions; and, if the
organisation allowed it and the body published it with its feedback, by everyone.
"""

import datetime

from django.db.models import Case, CharField, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value, When

from commitments.figures import waived
from commitments.models import Champion, Compact, Organisation, RecordType, RuleKey
from compact_portal.accounts.models import Membership, User
from compact_portal.accounts.roles import Role
from compact_portal.accounts.selectors import organisations_where
from compact_portal.figures import Measure

from .models import Consultation, ConsultationDocument, PublicationStatus, Response, ResponseStatus


def with_phase(consultations: QuerySet[Consultation], *, today: datetime.date) -> QuerySet[Consultation]:
    """Annotate ``phase``: forthcoming, open or closed on ``today`` (the same as rules.phase)."""
    return consultations.annotate(
        phase=Case(
            When(open_date__gt=today, then=Value("forthcoming")),
            When(close_date__lt=today, then=Value("closed")),
            default=Value("open"),
            output_field=CharField(),
        )
    )


def register(*, today: datetime.date) -> QuerySet[Consultation]:
    """Published consultations for the public register, with their body, area and phase."""
    return with_phase(
        Consultation.objects.filter(status=PublicationStatus.PUBLISHED).select_related(
            "body", "policy_area", "compact"
        ),
        today=today,
    )


def _officer_of_body(user: User):
    return Membership.objects.filter(user=user, role=Role.OFFICER, organisation=OuterRef("body_id"))


def _champion_of_compact(user: User):
    return Champion.objects.filter(user=user, compact=OuterRef("compact_id"))


def consultations_visible_to(*, user: User) -> QuerySet[Consultation]:
    published = Q(status=PublicationStatus.PUBLISHED)
    if not user.is_authenticated:
        return Consultation.objects.filter(published)
    if user.has_role(Role.ADMINISTRATOR):
        return Consultation.objects.all()
    return Consultation.objects.filter(published | Exists(_officer_of_body(user)) | Exists(_champion_of_compact(user)))


def consultations_managed_by(*, user: User) -> QuerySet[Consultation]:
    """Consultations the person runs: those of the public bodies they are an officer of."""
    if not user.is_authenticated:
        return Consultation.objects.none()
    return Consultation.objects.filter(Exists(_officer_of_body(user)))


def may_see_all_responses(*, user: User, consultation: Consultation) -> bool:
    """The consulting body's officers and the compact's champions see every submitted response, confidential
    ones included (3.8, 4.5); no one else does, administrators included."""
    if not user.is_authenticated:
        return False
    return (
        Membership.objects.filter(user=user, role=Role.OFFICER, organisation_id=consultation.body_id).exists()
        or Champion.objects.filter(user=user, compact_id=consultation.compact_id).exists()
    )


def consultation_detail(*, user: User, pk: int, today: datetime.date) -> Consultation:
    """One consultation the person may see, with its documents, date changes and feedback, and the verdicts
    ``length_verdict`` (3.7, formal consultations) and ``feedback_verdict`` (3.5, once its feedback is due).

    Raises ``Consultation.DoesNotExist`` for one they may not see.
    """
    return (
        with_phase(consultations_visible_to(user=user), today=today)
        # The 3.7 and 3.5 verdicts the dashboards count with, so the page says the same as every figure.
        .annotate(length_verdict=LONG_ENOUGH.verdict(), feedback_verdict=FEEDBACK_ON_TIME.verdict())
        .select_related("body", "policy_area", "compact", "feedback")
        .prefetch_related(
            Prefetch("documents", queryset=ConsultationDocument.objects.order_by("uploaded_at")),
            "date_changes",
        )
        .get(pk=pk)
    )


def published_responses(*, consultation: Consultation) -> QuerySet[Response]:
    return (
        consultation.responses.filter(status=ResponseStatus.SUBMITTED, may_publish=True, published=True)
        .select_related("organisation")
        .prefetch_related("attachments")
    )


def submitted_responses(*, consultation: Consultation) -> QuerySet[Response]:
    return (
        consultation.responses.filter(status=ResponseStatus.SUBMITTED)
        .select_related("organisation")
        .prefetch_related("attachments")
        .order_by("organisation__name")
    )


def responding_organisations(*, user: User) -> QuerySet[Organisation]:
    """The VCS organisations the person responds for."""
    return organisations_where(user=user, role=Role.VCS_MEMBER)


def responses_for_user(*, user: User) -> QuerySet[Response]:
    """Every response (draft or submitted) of the organisations the person responds for."""
    return (
        Response.objects.filter(organisation__in=responding_organisations(user=user))
        .select_related("consultation__body", "organisation")
        .order_by("-consultation__close_date")
    )


def response_visible_to(*, user: User, response: Response) -> bool:
    """May the person see this response (and download its attachments)?"""
    if response.organisation_id in set(responding_organisations(user=user).values_list("pk", flat=True)):
        return True
    if response.status != ResponseStatus.SUBMITTED:
        return False
    if may_see_all_responses(user=user, consultation=response.consultation):
        return True
    return response.may_publish and response.published


# --- Figures for the dashboards and reports ---------------------------------------------------------

# 3.7: formal consultations opened in the period that ran at least the compact's minimum, or the shorter length
# explained.
LONG_ENOUGH = Measure(
    "long_enough",
    "open_date",
    met=Q(length_days__gte=F("minimum_days")),
    counted=Q(formal=True),
    explained=~Q(shorter_explanation="") | waived(RecordType.CONSULTATION, RuleKey.CONSULTATION_TOO_SHORT),
)
# 3.5: consultations whose feedback fell due in the period, with the feedback published by then; only a
# champion's waiver explains late feedback.
FEEDBACK_ON_TIME = Measure(
    "feedback_on_time",
    "feedback_due",
    met=Q(feedback__published_on__lte=F("feedback_due")),
    explained=waived(RecordType.CONSULTATION, RuleKey.CONSULTATION_FEEDBACK_OVERDUE),
)


def consultations_of(*, compact: Compact, organisation: Organisation | None = None) -> QuerySet[Consultation]:
    """The compact's published consultations (those ``organisation`` ran, if given)."""
    consultations = Consultation.objects.filter(compact=compact, status=PublicationStatus.PUBLISHED)
    if organisation is not None:
        consultations = consultations.filter(body=organisation)
    return consultations
