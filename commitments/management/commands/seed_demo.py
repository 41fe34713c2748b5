from django.utils import timezone

from commitments.demo import DEMO_PASSWORD, seed_demo
from compact_portal.accounts.roles import Role
from compact_portal.audit import AuditedCommand


class Command(AuditedCommand):
    help = (
        "Create the demo organisations, one person per role and some funding (safe to run again: it changes nothing)."
    )

    def handle(self, *args, **options):
        people = seed_demo(today=timezone.localdate())
        self.stdout.write(self.style.SUCCESS("Demo data is in place. Sign in with:"))
        for person in people:
            roles = ", ".join(Role(role).label for role in dict.fromkeys(role for _, role in person.roles))
            self.stdout.write(f"  {person.email:<30} {roles}")
        self.stdout.write(f"Password for every demo account: {DEMO_PASSWORD}")
        self.stdout.write("(An account whose password you have since changed keeps your password.)")
