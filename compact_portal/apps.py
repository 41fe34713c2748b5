from django.apps import AppConfig


class CompactPortalConfig(AppConfig):
    name = "compact_portal"
    verbose_name = "Compact Portal"
