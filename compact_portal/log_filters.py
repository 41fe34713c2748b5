"""Filters for the portal's logging (settings.LOGGING)."""

import logging


class RefusalsWithoutTraceback(logging.Filter):
    """A refused request (a 4xx answer: 403, 404, 400...) is logged as its one line, without the traceback of the
    exception that made it: the refusal is the page working as meant, and a traceback per refusal buries the
    server errors (5xx), which keep theirs. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
