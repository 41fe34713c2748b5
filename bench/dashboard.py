"""Benchmark the champions' dashboard, the health check and the yearly PDF report at national scale on PostgreSQL.

    python bench/dashboard.py              # uses postgres://postgres@127.0.0.1:5432/compact_portal_bench_dashboard
    python bench/dashboard.py --keep       # keep the filled database; then, next time:
    python bench/dashboard.py --reuse      # skip the fill when the database is already filled
    python bench/dashboard.py --database-url URL --requests 50

It creates (or empties) the benchmark database, migrates it and fills it with the compliance benchmark's
national data set (bench/compliance_scan.py's statements: 50 compacts, 10,000 organisations, 200,000 funding
relationships, 1,000,000 invoices, 20,000 notices, 20,000 consultations and 5,000 cases, about 5% breaking a
rule), then runs one compliance scan (``manage.py check_compliance --as-of 2026-11-20``) so there are open
flags to count. With ``--reuse`` a database that is already filled is only migrated and scanned again (the
scan finds nothing new). The database is dropped afterwards unless ``--keep`` (or ``--reuse`` found it filled:
a database this run did not fill is left as it was, with the benchmark's administrator and signatures added).

Then, in this process, with the production settings (``DEBUG=false``; static files named without the
collected manifest) and Django's test client signed in as an administrator, it times for the year that
contains 2026-11-20 (``?year=2026``: by month, against the year before):
  1. the dashboard (``/compacts/<slug>/dashboard/``) of five compacts,
  2. the Compact health check (``commitments:scorecard``) of compact 1's largest funder and of its largest
     VCS organisation (both signed for the benchmark),
each 3 requests to warm up, then ``--requests`` (30) timed, server time in process; it prints p50, p95 and
max in ms, the queries of a request (counted with CaptureQueriesContext), their time and the slowest;
  3. the year's PDF compliance report of compact 1, rendered as the report job does
     (``commitments.reporting.pdf.render_report``): seconds, pages, size, queries.

Targets on the 2-core development machine: dashboard p95 < 500 ms, PDF report < 30 s.
"""

import argparse
import datetime
import math
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import compliance_scan  # noqa: E402  (the data set and its set-up are the compliance benchmark's)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/compact_portal_bench_dashboard"
YEAR = compliance_scan.AS_OF.year  # the year that contains the scan's date, 2026-11-20
COMPACT_IDS = (1, 18, 29, 40, 50)  # England and Wales, Scotland, Northern Ireland, review due, the last
WARM_UPS = 3
ADMIN_EMAIL = "bench-administrator@example.org"
LAST_INVOICE = compliance_scan.RELATIONSHIPS * compliance_scan.INVOICES_PER_RELATIONSHIP


def is_filled(url) -> bool:
    """Whether the database exists and holds the whole national data set (its compacts and last invoice)."""
    query = (
        "SELECT (SELECT count(*) FROM commitments_compact), "
        f"(SELECT count(*) FROM funding_invoice WHERE id = {LAST_INVOICE})"
    )
    args = ["psql", *compliance_scan.admin_arguments(url), "-d", url.path.lstrip("/"), "-tAc", query]
    probe = subprocess.run(args, capture_output=True, text=True)
    if probe.returncode:  # no such database, or not migrated
        return False
    compacts, last_invoice = probe.stdout.strip().split("|")
    return int(compacts) == compliance_scan.COMPACTS and int(last_invoice) == 1


def p95(times: list[float]) -> float:
    """The 95th percentile, nearest rank."""
    ordered = sorted(times)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def timed_page(client, path: str, requests: int) -> dict:
    """Warm ``path`` up (counting the queries of each warm-up), then time ``requests`` requests of it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts, slowest, sql_ms = set(), None, 0.0
    for _ in range(WARM_UPS):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, secure=True)  # production redirects plain HTTP
        if response.status_code != 200:
            sys.exit(f"GET {path}: status {response.status_code}")
        counts.add(len(captured))
        sql_ms = 1000 * sum(float(q["time"]) for q in captured.captured_queries)  # the last warm-up's
        query = max(captured.captured_queries, key=lambda q: float(q["time"]))
        if slowest is None or float(query["time"]) > float(slowest["time"]):
            slowest = query
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path, secure=True)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            sys.exit(f"GET {path}: status {response.status_code}")
    return {"times": times, "queries": counts, "slowest": slowest, "sql_ms": sql_ms}


def describe(label: str, result: dict) -> None:
    times, queries = result["times"], result["queries"]
    counted = "/".join(str(n) for n in sorted(queries))
    print(
        f"  {label:<34} p50 {statistics.median(times):5.0f} ms  p95 {p95(times):5.0f} ms  max {max(times):5.0f} ms"
        f"  {counted} queries ({result['sql_ms']:.0f} ms of SQL)"
    )


def slowest_line(result: dict) -> str:
    sql = " ".join(result["slowest"]["sql"].split())
    return f"{1000 * float(result['slowest']['time']):.0f} ms: {sql[:150]}..."


def national_database(database_url: str, *, reuse: bool, **settings: str) -> tuple[dict[str, str], bool]:
    """Make ``database_url`` hold the national data set (compliance_scan's), migrated to this checkout, and set this
    process's Django up on it with production settings and throwaway secrets (``settings`` adds to them); no broker
    and no shared cache, so everything runs here. Returns the environment the settings came from (for commands run
    beside it) and whether an earlier fill was reused (``reuse`` and the database filled already)."""
    url = urlparse(database_url)
    name = url.path.lstrip("/")
    env = {key: value for key, value in os.environ.items() if key not in ("CELERY_BROKER_URL", "CACHE_URL")}
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="testserver",
        USE_MANIFEST_STATIC="false",  # no collectstatic: the pages only name their static files
        EMAIL_URL="dummymail://",
        LOG_LEVEL="WARNING",
        **settings,
    )

    reused = reuse and is_filled(url)
    if reused:
        print(f"==> Database {name}: filled already; migrating", flush=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    else:
        print(f"==> Database {name}: recreating, migrating, filling", flush=True)
        compliance_scan.recreate_database(url, env)

    os.environ.update(env)
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.pop("CACHE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compact_portal.settings")
    import django

    django.setup()
    from django.conf import settings as django_settings

    assert not django_settings.DEBUG
    if not reused:
        started = time.perf_counter()
        rows = compliance_scan.fill_database()
        print(f"    filled {rows:,} rows in {time.perf_counter() - started:.1f} s", flush=True)
    return env, reused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--keep", action="store_true", help="Keep the filled database for another run.")
    parser.add_argument("--reuse", action="store_true", help="Skip the fill if the database is already filled.")
    parser.add_argument("--requests", type=int, default=30, help="Timed requests of each page (30).")
    options = parser.parse_args()
    if options.requests < 1:
        parser.error("--requests must be at least 1")
    url = urlparse(options.database_url)
    name = url.path.lstrip("/")
    env, reused = national_database(options.database_url, reuse=options.reuse)
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from commitments.models import Compact, Flag, Organisation, Signature, SignatureStatus
    from commitments.reporting.pdf import render_report
    from compact_portal.accounts.models import User
    from compact_portal.periods import Period
    from funding.models import FundingRelationship

    print(f"==> Compliance scan as of {compliance_scan.AS_OF}, so there are open flags to count", flush=True)
    scan = [sys.executable, "manage.py", "check_compliance", "--as-of", compliance_scan.AS_OF.isoformat()]
    started = time.perf_counter()
    subprocess.run(scan, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    scan_seconds = time.perf_counter() - started
    open_flags = Flag.objects.filter(status="open").count()
    print(f"    {scan_seconds:.1f} s; {open_flags:,} open flags", flush=True)

    # The benchmark's administrator, and signatures for the health checks (the data set has none).
    admin = User.objects.filter(email=ADMIN_EMAIL).first() or User.objects.create_superuser(
        ADMIN_EMAIL, full_name="Bench Administrator"
    )
    compacts = list(Compact.objects.filter(pk__in=COMPACT_IDS).order_by("pk"))
    compact = compacts[0]
    relationships = FundingRelationship.objects.filter(compact=compact)

    def largest(side: str) -> Organisation:
        """The organisation in most of the compact's funding relationships as ``side``, funder or recipient."""
        counted = relationships.values(side).annotate(n=Count("pk")).order_by("-n", side)
        return Organisation.objects.get(pk=counted.values_list(side, flat=True).first())

    funder, vcs = largest("funder"), largest("recipient")
    for organisation in (funder, vcs):
        Signature.objects.get_or_create(
            compact=compact,
            organisation=organisation,
            status=SignatureStatus.APPROVED,
            defaults={"signed_date": datetime.date(2025, 6, 1)},
        )
    client = Client()
    client.force_login(admin)

    query = f"?year={YEAR}"
    print(f"==> Timing {WARM_UPS} + {options.requests} requests of each page", flush=True)
    dashboards = {
        c.name: timed_page(client, reverse("commitments:dashboard", args=[c.slug]) + query, options.requests)
        for c in compacts
    }
    scorecards = {
        f"{organisation.name} ({label})": timed_page(
            client, reverse("commitments:scorecard", args=[compact.slug, organisation.slug]) + query, options.requests
        )
        for label, organisation in (("funder", funder), ("VCS", vcs))
    }

    print(f"==> Rendering the {YEAR} PDF report of {compact.name}", flush=True)
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        rendered = render_report(
            compact=compact, period=Period.year(YEAR), today=timezone.localdate(), meeting="the benchmark"
        )
        report_seconds = time.perf_counter() - started
    report_sql = sum(float(q["time"]) for q in captured.captured_queries)

    every_dashboard = [t for result in dashboards.values() for t in result["times"]]
    print()
    print(
        f"Dashboard benchmark, {YEAR} by month against {YEAR - 1} (today {timezone.localdate()}), "
        f"PostgreSQL, {os.cpu_count()} cores, DEBUG off"
    )
    print(f"  data: national set, {open_flags:,} open flags after the scan")
    print("Dashboard, /compacts/<slug>/dashboard/")
    for label, result in dashboards.items():
        describe(label, result)
    print(
        f"  {'all five':<34} p50 {statistics.median(every_dashboard):5.0f} ms  p95 {p95(every_dashboard):5.0f} ms"
        f"  max {max(every_dashboard):5.0f} ms"
    )
    print(f"  slowest query ({compacts[0].name}): {slowest_line(dashboards[compacts[0].name])}")
    print("  target: p95 < 500 ms")
    print(f"Health check, /compacts/{compact.slug}/health-check/<organisation>/")
    for label, result in scorecards.items():
        describe(label, result)
        print(f"    slowest query: {slowest_line(result)}")
    print(f"PDF report of {compact.name}, {YEAR}")
    print(
        f"  {report_seconds:.1f} s, {rendered.page_count} pages, {len(rendered.pdf) / 1024:,.0f} KiB; "
        f"{len(captured)} queries taking {report_sql:.1f} s"
    )
    print("  target: < 30 s")

    connection.close()
    if not (options.keep or reused):
        subprocess.run(["dropdb", *compliance_scan.admin_arguments(url), "--if-exists", name], check=True)


if __name__ == "__main__":
    main()
