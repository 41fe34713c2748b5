"""After each compliance run, one digest e-mail per person, not one per flag.

An organisation's officers hear of the flags raised against it; a compact's champions hear of every
flag raised in their compact. A person who is both gets one e-mail listing each flag once.

The day's first full check (every compact, every rule) also carries each person's "Waiting for you" list
(``compact_portal.worklist``: the same items, order and wording as their home page), and goes to everyone with
something waiting, not only to those with new flags; later checks that day report only their new flags, so the
list goes out once a day. Each person chooses how often (``User.digest_frequency``): every day, only the digest
of a check as of a Monday, or never.
"""

import datetime
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from compact_portal import worklist
from compact_portal.accounts.models import Membership, User
from compact_portal.accounts.roles import Role

from .. import selectors
from ..models import Champion, ComplianceRun, Trigger

DIGEST_LISTS_AT_MOST = 25  # flags listed in one e-mail; the rest are a link away
# A run still unfinished this long after it started has died (killed, or its worker lost): a national scan takes
# about a minute. The next digest reports the flags it raised that are still live, so none goes unannounced.
RUN_PRESUMED_DEAD_AFTER = timedelta(hours=6)


MONDAY = 0


def digest_frequencies_on(day: datetime.date) -> list[str]:
    """The choices of ``User.digest_frequency`` that get the digest of a check as of ``day``: "daily" always,
    "weekly" on Mondays, "off" never."""
    return ["daily", "weekly"] if day.weekday() == MONDAY else ["daily"]


def _is_full_check(run: ComplianceRun) -> bool:
    return run.trigger != Trigger.LIVE and run.compact_id is None and not run.rules


def _carries_worklist(run: ComplianceRun) -> bool:
    """Whether this run's digest carries each person's "Waiting for you" list: it is a full check (every compact,
    every rule; not a live re-check) and no other full check of its day claimed its digest before it did (the
    earlier claim wins; two claimed at the same instant, the lower id), so the list goes out once a day."""
    if not _is_full_check(run):
        return False
    before = Q(digest_sent_at__lt=run.digest_sent_at) | Q(digest_sent_at=run.digest_sent_at, pk__lt=run.pk)
    others = (
        ComplianceRun.objects.filter(before, as_of=run.as_of, compact__isnull=True, finished_at__isnull=False)
        .exclude(trigger=Trigger.LIVE)
        .values_list("rules", flat=True)
    )
    return not any(not rules for rules in others)


def _waiting_sections(user: User, today: datetime.date) -> list[tuple[str, str, list[worklist.Waiting]]]:
    """The person's "Waiting for you" list as the home page shows it: (role's label, role, items) per role."""
    return [(Role(role).label, role, items) for role, items in worklist.waiting_for(user, today).items()]


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

    carries_worklist = _carries_worklist(run)
    readers = User.objects.filter(is_active=True, digest_frequency__in=digest_frequencies_on(run.as_of))
    if carries_worklist:  # everyone who holds a role may have something waiting
        readers = readers.filter(Q(pk__in=list(wanted)) | Q(memberships__isnull=False) | Q(is_superuser=True))
    else:
        readers = readers.filter(pk__in=list(wanted))
    people = readers.distinct().order_by("pk")
    if not carries_worklist and not wanted:
        return 0

    base = settings.PORTAL_BASE_URL
    messages = []
    for person in people:
        organisation_ids, compact_ids = wanted.get(person.pk, ((), ()))
        flags, total = [], 0
        if organisation_ids or compact_ids:
            theirs = (
                raised.filter(Q(organisation__in=organisation_ids) | Q(compact__in=compact_ids))
                .select_related("compact", "organisation")
                .order_by("compact__name", "status", "due_date", "pk")
            )
            total = theirs.count()
            flags = [(flag, base + flag.get_absolute_url()) for flag in theirs[:DIGEST_LISTS_AT_MOST]]
        waiting = _waiting_sections(person, run.as_of) if carries_worklist else []
        if not total and not waiting:
            continue
        waiting_count = sum(len(items) for _, _, items in waiting)
        body = render_to_string(
            "commitments/email/flag_digest.txt",
            {
                "person": person,
                "flags": flags,
                "total": total,
                "more": max(0, total - DIGEST_LISTS_AT_MOST),
                "list_link": base + reverse("commitments:flag_list"),
                "run": run,
                "waiting": waiting,
                "waiting_count": waiting_count,
                "today": run.as_of,
                "base": base,
                "account_link": base + reverse("account"),
            },
        )
        if total:
            subject = f"Compact Portal: {total} new compliance flag{'s' if total != 1 else ''}"
        else:
            subject = f"Compact Portal: {waiting_count} thing{'s' if waiting_count != 1 else ''} waiting for you"
        messages.append(EmailMessage(subject, body, to=[person.email]))
    return get_connection().send_messages(messages) or 0
