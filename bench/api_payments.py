"""Benchmark a finance system's batch of 1,000 payments through the API on the national data set, on PostgreSQL.

    python bench/api_payments.py              # uses postgres://postgres@127.0.0.1:5432/compact_portal_bench_api
    python bench/api_payments.py --keep       # keep the filled database; then, next time:
    python bench/api_payments.py --reuse      # skip the fill when the database is already filled
    python bench/api_payments.py --batch 2000

It creates (or empties) the benchmark database, migrates it and fills it with the compliance benchmark's national
data set (bench/compliance_scan.py: 50 compacts, 10,000 organisations, 200,000 funding relationships, 1,000,000
invoices...). With ``--reuse`` a database already filled is only migrated. The database is dropped afterwards unless
``--keep`` (or ``--reuse`` found it filled).

Then, in this process, with the production settings (``DEBUG=false``, no broker: the live flag re-check runs in the
request, as in the default set-up), it makes an API token for the funder with the most unpaid invoices and posts
``--batch`` (1,000) invoices (``POST /api/v1/invoices/``, received over the last 60 days, spread over its awards),
then as many payments settling them today, as one JSON list to ``POST /api/v1/payments/`` (some late, so flagged),
timed with Django's test client (server time in process, the live re-check included); then
the same batch again (every item "unchanged"). It prints both times and their queries. Target: under 5 s.
"""

import argparse
import datetime
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import compliance_scan  # noqa: E402  (the data set and its set-up are the compliance benchmark's)
import dashboard  # noqa: E402  (national_database: the same data set, set up the same way)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/compact_portal_bench_api"
OFFICER_EMAIL = "bench-finance-officer@example.org"
TARGET_SECONDS = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_API_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--keep", action="store_true", help="Keep the filled database for another run.")
    parser.add_argument("--reuse", action="store_true", help="Skip the fill if the database is already filled.")
    parser.add_argument("--batch", type=int, default=1000, help="Payments in the batch (1,000).")
    options = parser.parse_args()
    if options.batch < 1:
        parser.error("--batch must be at least 1")
    url = urlparse(options.database_url)
    name = url.path.lstrip("/")
    _env, reused = dashboard.national_database(options.database_url, reuse=options.reuse, API_RATE_TOKEN="100000/hour")
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from commitments.models import Organisation
    from compact_portal.accounts.models import Membership, User
    from compact_portal.accounts.roles import Role
    from compact_portal.accounts.tokens import token_create
    from funding.models import FundingRelationship, Payment

    today = timezone.localdate()
    counted = (
        FundingRelationship.objects.filter(status="awarded")
        .values("funder")
        .annotate(n=Count("pk"))
        .order_by("-n", "funder")
        .first()
    )
    funder = Organisation.objects.get(pk=counted["funder"])
    officer = User.objects.filter(email=OFFICER_EMAIL).first() or User.objects.create_user(
        OFFICER_EMAIL, full_name="Bench Finance Officer"
    )
    Membership.objects.get_or_create(user=officer, organisation=funder, role=Role.OFFICER)
    run = secrets.token_hex(3)
    _token, raw = token_create(
        organisation=funder,
        actor=officer,
        name=f"Bench finance system {run}",
        may_write_invoices=True,
        may_write_payments=True,
        expires_at=None,
    )
    references = list(
        FundingRelationship.objects.filter(funder=funder, status="awarded")
        .order_by("pk")
        .values_list("reference", flat=True)
    )
    # The finance system's day: invoices received over the last 60 days (some past their pay-by date, so the
    # payments are late and flagged), spread over the funder's awards, then paid in full today.
    invoices = [
        {
            "funding_reference": references[n % len(references)],
            "invoice_number": f"BENCH-{run}-{n:05d}",
            "amount": "1250.00",
            "received_date": (today - datetime.timedelta(days=n % 60)).isoformat(),
        }
        for n in range(options.batch)
    ]
    batch = [
        {key: invoice[key] for key in ("funding_reference", "invoice_number", "amount")}
        | {"paid_date": today.isoformat()}
        for invoice in invoices
    ]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    payments_before = Payment.objects.count()

    def post(path: str = "/api/v1/payments/", body: list | None = None) -> tuple[float, int, dict]:
        queries = []

        def count(execute, sql, params, many, context):
            queries.append(1)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            started = time.perf_counter()
            answer = client.post(path, batch if body is None else body, content_type="application/json", secure=True)
            seconds = time.perf_counter() - started
        if answer.status_code not in (200, 201):
            sys.exit(f"The API refused the batch ({answer.status_code}): {answer.content[:2000]!r}")
        return seconds, len(queries), answer.json()

    print(f"==> {options.batch:,} invoices of {funder.name} in one batch to POST /api/v1/invoices/", flush=True)
    invoice_seconds, invoice_queries, _sent = post("/api/v1/invoices/", invoices)
    print(f"  {invoice_seconds:.2f} s, {invoice_queries:,} queries", flush=True)
    print(f"==> {options.batch:,} payments of those invoices in one batch to POST /api/v1/payments/", flush=True)
    first_seconds, first_queries, first = post()
    again_seconds, again_queries, again = post()
    recorded = Payment.objects.count() - payments_before

    print(f"  first:  {first_seconds:.2f} s, {first_queries:,} queries; created {first['created']:,}")
    print(f"  again:  {again_seconds:.2f} s, {again_queries:,} queries; unchanged {again['unchanged']:,}")
    print(f"  payments recorded: {recorded:,} (expected {options.batch:,})")
    print(f"  target: < {TARGET_SECONDS} s  {'PASS' if first_seconds < TARGET_SECONDS else 'FAIL'}")

    connection.close()
    if not (options.keep or reused):
        subprocess.run(["dropdb", *compliance_scan.admin_arguments(url), "--if-exists", name], check=True)
    if first_seconds >= TARGET_SECONDS or recorded != options.batch:
        sys.exit(1)


if __name__ == "__main__":
    main()
