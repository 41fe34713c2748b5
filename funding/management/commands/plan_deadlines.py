"""The deadline planner from the command line: the latest day for each step a compact requires before a change to
funding taking effect on a day (the Compact impact assessment of Nottinghamshire KP3.1). Reads only."""

import datetime
import json

from django.core.management.base import BaseCommand, CommandError

from commitments import planner
from commitments.models import Compact
from compact_portal.formatting import long_date
from funding.models import ProposalKind
from funding.services.proposals import plan_preview

# The steps whose days the JSON always carries, as ISO dates or null when the plan has no such step (new funding;
# notice where the compact excepts an end fixed from the start).
ALWAYS = ("notice_by", "impact_assessment_by", "consultation_opens_by", "consultation_closes_by")


def iso_day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date: give the day as YYYY-MM-DD, e.g. 2028-03-31.") from None


class Command(BaseCommand):
    help = (
        "Work back from the day a change to funding takes effect to the latest day for each step the compact "
        "requires: notice, impact assessment, consultation, feedback, the response window and final decision, "
        "or for new funding the day to tell applicants and the minimum term."
    )

    def add_arguments(self, parser):
        parser.add_argument("--compact", required=True, help="The compact's slug, e.g. portsmouth.")
        parser.add_argument("--kind", required=True, choices=planner.KINDS, help="What the change is.")
        parser.add_argument("--effective", required=True, help="The day it takes effect, YYYY-MM-DD.")
        parser.add_argument(
            "--fixed-end",
            action="store_true",
            help="The end date was defined from the start (no notice where the compact excepts it).",
        )
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args, compact: str, kind: str, effective: str, fixed_end: bool, format: str, **options):
        day = iso_day(effective)
        found = Compact.objects.filter(slug=compact).first()
        if found is None:
            known = ", ".join(Compact.objects.order_by("slug").values_list("slug", flat=True)) or "none loaded"
            raise CommandError(f"No compact {compact!r}. The compacts are: {known}.")
        steps = plan_preview(compact=found, kind=kind, effective=day, fixed_end=fixed_end)
        if format == "json":
            self.stdout.write(json.dumps(self._json(found, kind, day, fixed_end, steps), indent=2))
            return
        self.stdout.write(
            f"{found.name}: {ProposalKind(kind).label.lower()} taking effect on {long_date(day)}"
            + (" (end date defined from the start)" if fixed_end else "")
        )
        if not steps:
            self.stdout.write("The compact requires no step before this change.")
        for step in steps:
            self.stdout.write(f"\n{long_date(step.latest_by):>18}  {step.label} [{step.key}]")
            self.stdout.write(f"{'':>18}  {step.clause[:1].upper()}{step.clause[1:]}. {step.explanation}")

    @staticmethod
    def _json(compact, kind, day, fixed_end, steps) -> dict:
        data = {
            "compact": compact.slug,
            "kind": kind,
            "effective": day.isoformat(),
            "fixed_end": fixed_end,
            **dict.fromkeys(ALWAYS),
        }
        data.update({step.key: step.latest_by.isoformat() for step in steps})
        data["steps"] = [
            {
                "key": step.key,
                "label": step.label,
                "latest_by": step.latest_by.isoformat(),
                "clause": step.clause,
                "explanation": step.explanation,
                "to_do": step.to_do,
            }
            for step in steps
        ]
        return data
