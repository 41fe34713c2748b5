from commitments.services import compacts_load
from compact_portal.audit import AuditedCommand


class Command(AuditedCommand):
    help = "Load the compacts in fixtures/compacts (safe to run again: nothing is duplicated or reset)."

    def handle(self, *args, **options):
        for compact in compacts_load():
            self.stdout.write(
                f"  {compact.name}: {compact.principles.count()} principles, {compact.commitments.count()} commitments"
            )
        self.stdout.write(self.style.SUCCESS("Compacts loaded."))
