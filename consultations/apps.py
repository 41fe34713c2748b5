from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "consultations"
    verbose_name = "Consultations"

    def ready(self):
        # When a compact's rule settings change, the deadlines of this app's open records follow
        # (commitments/deadlines.py explains).
        from commitments.deadlines import register

        from .services.deadlines import deadlines_recompute

        register(deadlines_recompute)
