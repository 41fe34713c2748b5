"""The project-wide scheduled tasks (found by Celery's autodiscovery; the beat schedule is in celery.py)."""

from celery import shared_task

from . import working_days


@shared_task(name="compact_portal.refresh_bank_holidays")
def refresh_bank_holidays() -> str:
    """Fetch GOV.UK's bank holidays and store them where every process reads them (weekly).

    Returns "stored", "unchanged" or "kept" (the fetch failed: logged, and the copy in use stays). See
    ``compact_portal.working_days.refresh_stored_copy``.
    """
    return working_days.refresh_stored_copy()
