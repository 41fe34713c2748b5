from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from compact_portal import worklist
from compact_portal.accounts.roles import Role


def home(request):
    """The first page: for a signed-in person, what is waiting for them in each role they hold, most urgent
    first (compact_portal/worklist.py), then what they can do; for a visitor, what the portal is."""
    roles = request.user.roles if request.user.is_authenticated else frozenset()
    today = timezone.localdate()
    waiting = worklist.waiting_for(request.user, today, signed_in_now=True) if roles else {}
    sections = [(Role(role).label, role, items) for role, items in waiting.items()]
    return render(
        request,
        "home.html",
        {
            "roles": roles,
            "Role": Role,
            "waiting": sections,
            "today": today,
            "waiting_count": sum(len(s[2]) for s in sections),
        },
    )


def accessibility(request):
    return render(request, "accessibility.html")


@never_cache
def healthz(request):
    """For load balancers and monitoring: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok", "database": "ok"})
    except Exception as exc:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": type(exc).__name__}, status=503)
