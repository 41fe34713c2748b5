"""WSGI entry point, used by gunicorn: ``gunicorn compact_portal.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compact_portal.settings")

application = get_wsgi_application()
