from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = "Compact concerns and disputes"

    def ready(self):
        # When a compact's rule settings change, the deadlines of this app's open records follow
        # (commitments/deadlines.py explains).
        from commitments.deadlines import register

        from .services.deadlines import deadlines_recompute

        register(deadlines_recompute)
