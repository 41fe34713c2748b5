"""Compact Portal: settings, URLs, Celery and the project-wide pieces (accounts, layout, the audit trail)."""

from .celery import app as celery_app

__all__ = ("celery_app",)
