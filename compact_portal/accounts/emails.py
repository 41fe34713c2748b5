"""The e-mails a person cannot turn off, for their account page.

An app whose process requires some of its e-mails to be sent whatever the reader chooses registers them here, in
its own words (disputes does, from the module that decides which case e-mails are required), so the account page
lists them without importing the app and the list cannot drift from what the app sends.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AlwaysSent:
    what: str  # "E-mails about a Compact concern you raised ..."
    why: str  # the reason the process requires them, completing "because ..."


_ALWAYS_SENT: list[AlwaysSent] = []


def register_always_sent(*items: AlwaysSent) -> None:
    """Add e-mails that are sent whatever the person chooses (registering the same one twice adds it once)."""
    for item in items:
        if item not in _ALWAYS_SENT:
            _ALWAYS_SENT.append(item)


def always_sent() -> list[AlwaysSent]:
    return list(_ALWAYS_SENT)
