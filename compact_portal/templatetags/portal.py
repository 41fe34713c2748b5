"""The portal's own template filters: ``money`` and ``long_date`` (compact_portal/formatting.py)."""

from django import template

from compact_portal import formatting

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
