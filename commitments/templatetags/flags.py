"""How a flag cites the promise it is about, in templates: ``{% load flags %}``."""

from django import template

from commitments import compliance

register = template.Library()


@register.filter
def citation(flag) -> str:
    """ "clause 11.2", or "portal default: invoices paid within 10 working days; this compact states no such rule"
    (``compliance.citation``)."""
    return compliance.citation(flag)


@register.filter
def clause_or_default(clause: str) -> str:
    """A clause for a table's column: "11.2", or "Portal default" where the compact holds no such promise."""
    return clause or compliance.PORTAL_DEFAULT
