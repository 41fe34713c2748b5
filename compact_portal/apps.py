from django.apps import AppConfig


class CompactPortalConfig(AppConfig):
    name = "compact_portal"
    verbose_name = "Compact Portal"

    def ready(self):
        from django.utils.module_loading import autodiscover_modules
        from simple_history.signals import pre_create_historical_record

        from . import session_timeout  # noqa: F401  (connects its sign-in receiver)
        from .audit import fill_historical_record

        # Imports, commands and scheduled jobs say who made a change (compact_portal/audit.py).
        pre_create_historical_record.connect(fill_historical_record, dispatch_uid="compact_portal_audit")
        # Each app lists its records in the audit trail from its own audit.py (compact_portal/selectors/audit.py
        # explains), so this package never imports the apps. This package's own audit.py, imported above,
        # registers nothing.
        autodiscover_modules("audit")
        # Likewise each app says what waits for whom in its own waiting.py (compact_portal/worklist.py).
        autodiscover_modules("waiting")
