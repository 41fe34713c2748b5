"""The consultation figures of every dashboard, health check and report (``commitments/figures.py``
explains); the measures are in ``selectors.py``."""

from commitments.figures import Figure, Listing, register
from commitments.models import MeasurableRule

from .models import Consultation, PublicationStatus, ResponseStatus
from .selectors import FEEDBACK_ON_TIME, LONG_ENOUGH


def consultations(compact):
    """The compact's published consultations."""
    return Consultation.objects.filter(compact=compact, status=PublicationStatus.PUBLISHED)


# The body running a consultation made the promise; the organisations that responded were the ones it was
# made to.
BODY, RESPONDENTS = "body", "responses__organisation"
ANSWERED = {"responses__status": ResponseStatus.SUBMITTED}  # a draft never sent answers nothing

register(
    Figure(
        "long_enough",
        "Consultations lasting the minimum length",
        "Formal consultations opened",
        LONG_ENOUGH,
        consultations,
        Listing("consultations", ("body", "feedback"), ("open_date", "pk")),
        BODY,
        RESPONDENTS,
        MeasurableRule.CONSULTATION_LENGTH,
        recipient_filter=ANSWERED,
    ),
    Figure(
        "feedback_on_time",
        "Consultation feedback published on time",
        "Consultations whose feedback fell due",
        FEEDBACK_ON_TIME,
        consultations,
        Listing("consultations", ("body", "feedback"), ("feedback_due", "pk")),
        BODY,
        RESPONDENTS,
        MeasurableRule.CONSULTATION_FEEDBACK,
        recipient_filter=ANSWERED,
    ),
)
