from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    name = "commitments"
    verbose_name = "Compacts, commitments and signatories"

    def ready(self):
        # Each app declares its compliance rules in its own checks.py (commitments/rulebook.py explains),
        # its figures in its own figures.py (commitments/figures.py) and its part of the demo in its own
        # demo.py (commitments/demo.py).
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("checks")
        autodiscover_modules("figures")
        autodiscover_modules("planning")  # the deadline planner's steps (commitments/planner.py)
        autodiscover_modules("demo")
