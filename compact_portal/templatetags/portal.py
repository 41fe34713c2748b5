"""The portal's own template filters: ``money`` and ``long_date`` (compact_portal/formatting.py), and ``may_open``."""

from django import template

from compact_portal import formatting
from compact_portal.accounts import permissions

register = template.Library()


@register.filter
def money(amount):
    return formatting.money(amount)


@register.filter
def long_date(day):
    return formatting.long_date(day)


@register.filter
def waiting_when(item, today):
    """A worklist item's date in words as of ``today`` ("4 December 2026, 3 working days left")."""
    return item.when(today)


@register.filter
def may_open(user, url_name):
    """Whether the page ``url_name`` lets ``user`` in by its own role check (``{% if user|may_open:"disputes:case_list"
    %}``), so a link is offered only to those it opens for (compact_portal/accounts/permissions.py)."""
    return permissions.may_open(user, url_name)
