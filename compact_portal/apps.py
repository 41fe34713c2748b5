from django.apps import AppConfig


class CompactPortalConfig(AppConfig):
    name = "compact_portal"
    verbose_name = "Compact Portal"

    def ready(self):
        from simple_history.signals import pre_create_historical_record

        from . import session_timeout  # noqa: F401  (connects its sign-in receiver)
        from .audit import fill_historical_record

        # Imports, commands and scheduled jobs say who made a change (compact_portal/audit.py).
        pre_create_historical_record.connect(fill_historical_record, dispatch_uid="compact_portal_audit")
