"""Compact Portal: settings, URLs, Celery and the project-wide pieces (accounts, layout, demo data)."""

from .celery import app as celery_app

__all__ = ("celery_app",)
