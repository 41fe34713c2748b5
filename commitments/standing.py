"""Where a compact stands on one promise in a period: meeting the compact, slipping, or not met.

One pure function, ``standing``, decides it for every page (the dashboard's and the health check's summary, the
PDF report and its CSV), from the promise's ``Share`` and the compact's two thresholds:

- **Meeting the compact**: the share kept or explained is at or above ``meeting`` (90 unless the compact says
  otherwise);
- **Slipping**: below that, but at or above ``slipping`` (75);
- **Not met**: below ``slipping``.

The share kept or explained is the one the pages show: the whole percentage kept plus the whole percentage
explained (100 less the share broken), so a promise shown as 90% kept or explained is meeting a 90% threshold.
A promise with no records in the period has no standing (``None``): the pages say "No records in the period".
"""

from django.db import models

from compact_portal.figures import Share

DEFAULT_MEETING, DEFAULT_SLIPPING = 90, 75
NO_RECORDS = "No records in the period"


class Standing(models.TextChoices):
    MEETING = "meeting", "Meeting the compact"
    SLIPPING = "slipping", "Slipping"
    NOT_MET = "not_met", "Not met"


def kept_or_explained(share: Share) -> int | None:
    """The whole percentage kept or explained, as shown (100 less the share broken); None with no records."""
    if not share.total:
        return None
    return share.percent + share.explained_percent


def standing(share: Share, *, meeting: int = DEFAULT_MEETING, slipping: int = DEFAULT_SLIPPING) -> Standing | None:
    """Where ``share`` stands against the thresholds (whole percentages, ``slipping`` ≤ ``meeting``); None when
    nothing fell due in the period."""
    percent = kept_or_explained(share)
    if percent is None:
        return None
    if percent >= meeting:
        return Standing.MEETING
    if percent >= slipping:
        return Standing.SLIPPING
    return Standing.NOT_MET


def threshold_errors(*, meeting: int | None, slipping: int | None) -> dict[str, str]:
    """What is wrong with a pair of thresholds, by field: each a whole percentage from 0 to 100, and slipping no
    higher than meeting. Empty when they are right."""
    errors = {}
    for name, value in (("meeting_threshold", meeting), ("slipping_threshold", slipping)):
        if value is not None and not 0 <= value <= 100:
            errors[name] = "Give a percentage from 0 to 100."
    if not errors and meeting is not None and slipping is not None and slipping > meeting:
        errors["slipping_threshold"] = (
            f"Slipping starts below meeting the compact: give a percentage no higher than {meeting}."
        )
    return errors


def describe_thresholds(*, meeting: int, slipping: int) -> str:
    """The thresholds in a sentence, for the pages' legends."""
    return (
        f"Meeting the compact: {meeting}% or more kept or explained. Slipping: {slipping}% or more. "
        f"Not met: below {slipping}%."
    )
