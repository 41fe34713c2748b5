"""The explanation a consultation may lack (Portsmouth 3.7), in words for officers.

A formal consultation shorter than the compact's minimum is saved and published as the body runs it; the
compact asks for an explanation, shown on its public page, and the compliance jobs flag it until one is added.
Whether one is missing is decided by ``consultations/rules.py`` (``length_explanation_missing``); this module
words it: as a warning on the form, before saving, and as a gap on the consultation's page, after, citing the
compact's own clause (``commitments.selectors.cite``: "commitment 3.7" in Portsmouth, "commitment PSA 18" in
Leicestershire, the portal's default where a compact states no such rule).
"""

import datetime

from django.urls import reverse
from django.utils.formats import date_format

from commitments.models import Compact, MeasurableRule
from commitments.selectors import cite
from compact_portal.gaps import Gap, plural

from . import rules
from .models import Consultation


def _too_short(*, opens: datetime.date, length_days: int, minimum_days: int) -> str:
    min_weeks = minimum_days // 7
    earliest = rules.earliest_close_date(opens=opens, min_weeks=min_weeks)
    return (
        f"This formal consultation lasts {plural(length_days, 'day')}, less than the compact's "
        f"{plural(min_weeks, 'week')} ({minimum_days} days; it would have to close on or after "
        f"{date_format(earliest)})."
    )


def length_warnings(
    *,
    compact: Compact | None,
    formal: bool,
    opens: datetime.date | None,
    closes: datetime.date | None,
    explanation: str | None,
) -> dict[str, str]:
    """{field: warning} for a consultation about to be saved: formal, shorter than the compact's minimum and
    with no explanation (3.7)."""
    if compact is None or opens is None or closes is None or closes < opens:
        return {}
    # As the services store them.
    length_days = rules.consultation_length_days(opens=opens, closes=closes)
    minimum_days = rules.minimum_length_days(min_weeks=compact.consultation_min_weeks)
    if not rules.length_explanation_missing(
        formal=formal, length_days=length_days, minimum_days=minimum_days, explanation=explanation
    ):
        return {}
    too_short = _too_short(opens=opens, length_days=length_days, minimum_days=minimum_days)
    return {
        "shorter_explanation": f"{too_short} Without an explanation of why it is shorter, it will be flagged as "
        f"not keeping {cite(compact=compact, rule=MeasurableRule.CONSULTATION_LENGTH)} once it is published and "
        "open. The explanation is shown on its public page."
    }


def consultation_gaps(consultation: Consultation) -> list[Gap]:
    """The explanation the consultation still lacks, with where to add it (its edit form); read from the stored
    length and minimum, as the flag is."""
    if not rules.length_explanation_missing(
        formal=consultation.formal,
        length_days=consultation.length_days,
        minimum_days=consultation.minimum_days,
        explanation=consultation.shorter_explanation,
    ):
        return []
    short = _too_short(
        opens=consultation.open_date, length_days=consultation.length_days, minimum_days=consultation.minimum_days
    )
    citation = cite(compact=consultation.compact, rule=MeasurableRule.CONSULTATION_LENGTH)
    return [
        Gap(
            MeasurableRule.CONSULTATION_LENGTH,
            citation,
            f"{short} No explanation of why it is shorter is recorded, which {citation} asks for.",
            "Add the explanation",
            reverse("consultations:edit", args=[consultation.pk]) + "#id_shorter_explanation",
        )
    ]
