from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from compact_portal.accounts.roles import Role


def home(request):
    """Tells each kind of visitor what they can do here, starting with the roles they hold."""
    roles = request.user.roles if request.user.is_authenticated else frozenset()
    return render(request, "home.html", {"roles": roles, "Role": Role})


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
