"""What the project itself puts on an administrator's "Waiting for you" list (compact_portal/worklist.py): the
accounts, and the addresses, that django-axes has paused from signing in.

An e-mail address is paused while the failed sign-ins naming it within the cool-off (``AXES_COOLOFF_TIME``) add
up to ``AXES_FAILURE_LIMIT`` or more, as axes counts them (``AxesDatabaseHandler.get_failures``: the sum of
``failures_since_start`` over the attempts of that address newer than the cool-off); a client address likewise
(``AXES_LOCKOUT_PARAMETERS`` names both, each on its own). The portal's active accounts that are paused are
listed one by one; paused client addresses are counted in one item; failures naming no account (someone
guessing) are left out, as there is no one to let back in. A lockout is the portal's safeguard, not a compact's
promise, so it cites no clause.

Two queries whatever the number of attempts: the paused accounts, and the paused client addresses.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, OuterRef, Subquery, Sum
from django.urls import reverse
from django.utils import timezone

from compact_portal import worklist
from compact_portal.accounts.models import User
from compact_portal.accounts.roles import Role

ACCOUNTS_LISTED_AT_MOST = 10  # paused accounts listed one by one; the rest are counted in one item

UNLOCK = "Unlock in administration"


def _attempts_url(**query: str) -> str:
    url = reverse("admin:axes_accessattempt_changelist")
    return f"{url}?{urlencode(query)}" if query else url


def _paused(attempts, by: tuple[str, ...]):
    """The values of ``by`` (the e-mail address, or the client address) of ``attempts`` that are paused, with
    when their last failure was."""
    return (
        attempts.values(*by)
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    )


def _why(what: str) -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return (
        f"The portal's sign-in safeguard, not a compact's promise: {what} after {settings.AXES_FAILURE_LIMIT} "
        f"failed sign-ins in a row, and opens again by itself {minutes} minutes after the last one"
    )


@worklist.source(Role.ADMINISTRATOR)
def sign_in_lockouts(person: worklist.Person) -> Iterator[worklist.Waiting]:
    """Each of the portal's accounts paused from signing in (at most ``ACCOUNTS_LISTED_AT_MOST``, the latest
    first), then one item counting the other paused accounts and the paused client addresses. Each is dated the
    day the pause ends by itself."""
    recent = AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME)
    # Sign-in names the account as ``email_key`` does (trimmed, lower case), as accounts store it.
    name = User.objects.filter(email=OuterRef("username"), is_active=True).values("full_name")[:1]
    accounts = list(
        _paused(recent.annotate(name=Subquery(name)).filter(name__isnull=False), ("username", "name")).order_by(
            "-last", "username"
        )
    )
    for row in accounts[:ACCOUNTS_LISTED_AT_MOST]:
        email = row["username"]
        name = row["name"] or email
        yield worklist.Waiting(
            role=Role.ADMINISTRATOR,
            kind="account_locked",
            key=f"{email}-{row['last']:%Y%m%d%H%M%S}",
            what=f"{name} ({email}) cannot sign in: the account is paused",
            action=UNLOCK,
            url=_attempts_url(q=email),
            why=_why("the account is paused"),
            due=timezone.localdate(row["last"] + settings.AXES_COOLOFF_TIME),
        )
    more_accounts = len(accounts) - ACCOUNTS_LISTED_AT_MOST
    addresses = list(_paused(recent.exclude(ip_address__isnull=True), ("ip_address",)).order_by("-last"))
    if more_accounts > 0 or addresses:
        parts = []
        if more_accounts > 0:
            parts.append(f"{more_accounts} more account{'s' if more_accounts != 1 else ''}")
        if addresses:
            parts.append(f"{len(addresses)} client address{'es' if len(addresses) != 1 else ''}")
        last = max([row["last"] for row in addresses] + [row["last"] for row in accounts[ACCOUNTS_LISTED_AT_MOST:]])
        yield worklist.Waiting(
            role=Role.ADMINISTRATOR,
            kind="sign_ins_locked",
            key=f"{last:%Y%m%d%H%M%S}",
            what=f"Sign-in paused for {' and '.join(parts)}",
            action=UNLOCK,
            url=_attempts_url(),
            why=_why("each is paused"),
            due=timezone.localdate(last + settings.AXES_COOLOFF_TIME),
        )
