"""Record the facts, flag the gap: what a record page lists as an explanation still missing.

A record that breaks a commitment allowing an explanation (Portsmouth 9.1, 9.2, 9.3, 3.7) is saved as it
happened, and the compliance jobs flag it until the explanation is added. Each app words its gaps (with the
verdicts of its ``rules.py``); the page shows them with ``includes/gaps.html``, linked to where the
explanation is added for those who may add it.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Gap:
    rule: str  # the MeasurableRule the gap leaves unkept, e.g. "decision_lead_time"
    citation: str  # how the record's compact names it: "commitment 9.2", or the portal's default (selectors.cite)
    message: str  # what happened and what is missing, in plain English
    action: str  # the link's words, e.g. "Add the justification"
    url: str  # where the explanation is added


def plural(count: int, word: str) -> str:
    """'1 month', '3 months': the compact's own setting, in words."""
    return f"{count} {word}{'' if count == 1 else 's'}"
