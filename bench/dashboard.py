"""Benchmark the champions' dashboard and the compliance report at national scale on PostgreSQL.

    python bench/dashboard.py                          # fills postgres://postgres@127.0.0.1:5432/compact_portal_bench
    python bench/dashboard.py --reuse                  # a database kept by: python bench/compliance_scan.py --keep

It fills the compliance benchmark's national data set (bench/compliance_scan.py: 50 compacts, 10,000
organisations, 200,000 funding relationships, 1,000,000 invoices, ...), runs the compliance scan once so
there are open flags to count, then, in this process, with Django's test client signed in as a champion:
  1. the dashboard of one compact for 2026 (months, with 2025 to compare): 20 requests;
  2. the scorecard of that compact's busiest funder: 20 requests;
  3. the PDF compliance report of that compact for 2026, rendered as the report job does.
It prints the server time of each page (median and 95th percentile), its queries, and the report's time
and page count. Targets on the 2-core development machine: dashboard p95 < 500 ms, report < 30 s.
"""

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import compliance_scan  # noqa: E402  (the data set is the compliance benchmark's)

DEFAULT_URL = compliance_scan.DEFAULT_URL
REQUESTS = 20
COMPACT_ID = 1
YEAR = 2026
TODAY = datetime.date(2026, 11, 20)


def fill(url, env) -> None:
    name = url.path.lstrip("/")
    admin = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    print(f"==> Database {name}: recreating, migrating, filling", flush=True)
    subprocess.run(["dropdb", *admin, "--if-exists", name], check=True)
    subprocess.run(["createdb", *admin, name], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in compliance_scan.FILL:
            cursor.execute(statement)
        for table in (*compliance_scan.SCANNED_TABLES, "commitments_organisation", "consultations_policyarea"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cursor.execute("ANALYZE")
    print("==> Compliance scan, so there are open flags to count", flush=True)
    scan = [sys.executable, "manage.py", "check_compliance", "--as-of", compliance_scan.AS_OF.isoformat()]
    subprocess.run(scan, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def timed_pages(client, url: str) -> tuple[list[float], int]:
    """Server time of ``REQUESTS`` requests of ``url`` (after one to warm up), and the queries of one."""
    from django.db import connection

    queries = []  # counted by a wrapper: Django clears its own query log when a request starts
    with connection.execute_wrapper(lambda execute, *args: queries.append(1) or execute(*args)):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return times, len(queries)


def p95(times: list[float]) -> float:
    return sorted(times)[max(0, round(0.95 * len(times)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--reuse", action="store_true", help="Use the database as it is (already filled).")
    options = parser.parse_args()
    url = urlparse(options.database_url)
    env = {key: value for key, value in os.environ.items() if key != "CELERY_BROKER_URL"}
    env["DATABASE_URL"] = options.database_url
    env["ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compact_portal.settings")
    import django

    django.setup()
    if not options.reuse:
        fill(url, env)

    from django.db.models import Count
    from django.test import Client

    from commitments.models import Champion, Compact, Organisation, Signature, SignatureStatus
    from commitments.reporting.pdf import render_report
    from compact_portal.accounts.models import Membership, User
    from compact_portal.accounts.roles import Role
    from compact_portal.periods import Period
    from funding.models import FundingRelationship

    compact = Compact.objects.get(pk=COMPACT_ID)
    funder_id = (
        FundingRelationship.objects.filter(compact=compact)
        .values("funder")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("funder", flat=True)
        .first()
    )
    funder = Organisation.objects.get(pk=funder_id)
    user, _ = User.objects.get_or_create(email="bench-champion@example.org", defaults={"full_name": "Bench Champion"})
    Membership.objects.get_or_create(user=user, organisation=funder, role=Role.CHAMPION)
    Champion.objects.get_or_create(compact=compact, organisation=funder, user=user)
    # The bench's organisations have not signed; the health check is a signatory's.
    Signature.objects.get_or_create(
        compact=compact,
        organisation=funder,
        defaults={"status": SignatureStatus.APPROVED, "signed_date": datetime.date(2025, 6, 1)},
    )
    client = Client()
    client.force_login(user)

    pages = {
        "dashboard": f"/compacts/{compact.slug}/dashboard/?year={YEAR}",
        "scorecard": f"/compacts/{compact.slug}/health-check/{funder.slug}/?year={YEAR}",
    }
    results = {name: timed_pages(client, page) for name, page in pages.items()}

    started = time.perf_counter()
    rendered = render_report(compact=compact, period=Period.year(YEAR), today=TODAY, meeting="the benchmark")
    report_seconds = time.perf_counter() - started

    print()
    print(
        f"Dashboard benchmark, {compact.name}, {YEAR} by month against {YEAR - 1}, PostgreSQL, {os.cpu_count()} cores"
    )
    for name, (times, queries) in results.items():
        print(
            f"  {name + ':':<11} median {1000 * statistics.median(times):4.0f} ms, p95 {1000 * p95(times):4.0f} ms "
            f"over {REQUESTS} requests, {queries} queries"
        )
    print(f"  report:     {report_seconds:.1f} s, {rendered.page_count} pages, {len(rendered.pdf) / 1024:.0f} KiB")
    print("  targets:    dashboard p95 < 500 ms (at most 15 queries), report < 30 s")


if __name__ == "__main__":
    main()
