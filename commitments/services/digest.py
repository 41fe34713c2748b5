"""After each compliance run, one digest e-mail per person, not one per flag.

An organisation's officers hear of the flags raised against it; a compact's champions hear of every
flag raised in their compact. A person who is both gets one e-mail listing each flag once.
"""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from compact_portal.accounts.models import Membership, User
from compact_portal.accounts.roles import Role

from .. import selectors
from ..models import Champion, ComplianceRun, Trigger

DIGEST_LISTS_AT_MOST = 25  # flags listed in one e-mail; the rest are a link away
# A run still unfinished this long after it started has died (killed, or its worker lost): a national scan takes
# about a minute. The next digest reports the flags it raised that are still live, so none goes unannounced.
RUN_PRESUMED_DEAD_AFTER = timedelta(hours=6)


def flag_digest_send(*, run_id: int) -> int:
    """Send a finished run's digests once (a conditional update claims the run); returns e-mails sent.

    Flags raised since the last digest by the live re-checks that follow each change, and by earlier runs that
    died before their digest, are reported with this run's while they are still live.
    """
    now = timezone.now()
    if not ComplianceRun.objects.filter(pk=run_id, digest_sent_at__isnull=True).update(digest_sent_at=now):
        return 0
    run = ComplianceRun.objects.get(pk=run_id)
    unannounced = Q(trigger=Trigger.LIVE, finished_at__isnull=False) | Q(
        finished_at__isnull=True, started_at__lt=min(run.started_at, now - RUN_PRESUMED_DEAD_AFTER)
    )
    earlier = ComplianceRun.objects.filter(unannounced, digest_sent_at__isnull=True).exclude(pk=run.pk)
    # Claimed like the run itself, so two digests never both report an earlier run's flags.
    candidates = list(earlier.values_list("pk", flat=True))
    ComplianceRun.objects.filter(pk__in=candidates, digest_sent_at__isnull=True).update(digest_sent_at=now)
    claimed = list(ComplianceRun.objects.filter(pk__in=candidates, digest_sent_at=now).values_list("pk", flat=True))
    raised = selectors.flags_raised_in(run=run, earlier_runs=claimed)
    wanted: dict[int, tuple[set[int], set[int]]] = defaultdict(lambda: (set(), set()))
    for user_id, organisation_id in Membership.objects.filter(
        role=Role.OFFICER, organisation__in=raised.values("organisation"), user__is_active=True
    ).values_list("user_id", "organisation_id"):
        wanted[user_id][0].add(organisation_id)
    for user_id, compact_id in Champion.objects.filter(
        compact__in=raised.values("compact"), user__is_active=True
    ).values_list("user_id", "compact_id"):
        wanted[user_id][1].add(compact_id)
    if not wanted:
        return 0

    people = User.objects.in_bulk(list(wanted))
    base = settings.PORTAL_BASE_URL
    messages = []
    for user_id, (organisation_ids, compact_ids) in sorted(wanted.items()):
        theirs = (
            raised.filter(Q(organisation__in=organisation_ids) | Q(compact__in=compact_ids))
            .select_related("compact", "organisation")
            .order_by("compact__name", "status", "due_date", "pk")
        )
        total = theirs.count()
        person = people[user_id]
        body = render_to_string(
            "commitments/email/flag_digest.txt",
            {
                "person": person,
                "flags": [(flag, base + flag.get_absolute_url()) for flag in theirs[:DIGEST_LISTS_AT_MOST]],
                "total": total,
                "more": max(0, total - DIGEST_LISTS_AT_MOST),
                "list_link": base + reverse("commitments:flag_list"),
                "run": run,
            },
        )
        subject = f"Compact Portal: {total} new compliance flag{'s' if total != 1 else ''}"
        messages.append(EmailMessage(subject, body, to=[person.email]))
    return get_connection().send_messages(messages) or 0
