"""How a flag, or a page, cites the promise it is about, in templates: ``{% load flags %}``."""

from django import template

from commitments import rulebook
from commitments.selectors import cite as cite_promise

register = template.Library()


@register.filter
def citation(flag) -> str:
    """ "clause 11.2", or "portal default: invoices paid within 10 working days; this compact states no such rule"
    (``rulebook.citation``)."""
    return rulebook.citation(flag)


@register.filter
def clause_or_default(clause: str) -> str:
    """A clause for a table's column: "11.2", or "Portal default" where the compact holds no such promise."""
    return clause or rulebook.PORTAL_DEFAULT


@register.filter
def cite(compact, rule: str) -> str:
    """``{{ compact|cite:"notice_period" }}``: "commitment 13.3", "commitment PSA 11", or "the portal's default
    (this compact states no such rule)": the compact's own words for a promise (``selectors.cite``)."""
    return cite_promise(compact=compact, rule=rule)
