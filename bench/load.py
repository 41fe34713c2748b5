"""Load test: signed-in people on gunicorn and PostgreSQL, then a check that no concern was lost or doubled.

    .venv/bin/python -m pip install --require-hashes -r bench/requirements.lock   # locust, once
    python bench/load.py                                    # 50 users for 120 s
    python bench/load.py --users 10 --duration 20           # a short run
    python bench/load.py --keep                             # keep the filled database, then:
    python bench/load.py --reuse --workers 2 --threads 8    # another server set-up on the same data

It creates (drops and recreates) the PostgreSQL database ``compact_portal_load``, migrates it and fills it:
the compacts, the demo data (``seed_demo``) and, for the Portsmouth Compact, 300 more signatories (30 of them
public bodies) and 600 funding relationships with their decisions and 60 notices (through the portal's CSV
importers), about 2,000 invoices (in bulk, their dates worked out by ``funding.rules``), 120 consultations
(some with feedback) and 30 concerns (through the services), then runs the compliance check. It adds one
account per virtual user: a tenth are the compact's champions, the others each a member of a charity of its
own that has signed the compact.

Then it starts gunicorn with the production settings (``DEBUG=false``, hashed static files collected into a
temporary folder, ``check --deploy`` passing, rate limits counted in Redis) on a free port of 127.0.0.1, as if
behind the TLS proxy of a real set-up (``BEHIND_TLS_PROXY=true``): every request carries
``X-Forwarded-Proto: https`` and the virtual user's own address in ``X-Forwarded-For`` (127.0.1.N).

Every virtual user signs in through the sign-in form before the measured window opens; then, for
``--duration`` seconds, each loops with 1 to 5 s of think time (``--think``) over a weighted mix:
  - members: the consultation register (filters, searches, pages), the signatory directory (searches,
    filters, pages), a consultation's page, a signatory's page, and raising a concern (the form, then, after
    reading it, the post with its CSRF token, a unique marker in "what happened" and one or two small PDFs,
    then the case page it leads to), at most ``--concerns-per-user`` each (the form allows 20 an hour);
  - champions: the compact's dashboard (this quarter, a year, a quarter, by quarter) and the public pages.
It prints the requests, requests per second, the CPU used by gunicorn, the latency of pages (GETs) and of
concern posts (p50, p95, p99), each kind of request, and the errors by kind (an HTTP status of 400 or more,
429 included; a timeout; another exception; an unexpected answer, such as a page that redirects to the
sign-in or a post that shows the form again). Then it checks in the database that every concern it sent is
there exactly once, under the reference its answer gave, with exactly the files sent (count and sizes, in
the database and on disk) and its acknowledgement e-mail queued, and that no concern is there that was not
confirmed. PASS or FAIL for: no errors, page p95 under 500 ms, no concern lost or duplicated; the exit code
is 1 on FAIL.

Traffic goes to 127.0.0.1 only; the run stops by itself after the window, gunicorn is always stopped, and
the database and files are removed unless ``--keep``. Redis database 11 (``--redis``) holds the rate-limit
counts and the task queue (no worker: the e-mails wait in the outbox); it must be empty or marked as the
benchmark's own by an earlier run, and is emptied before and after. ``--double-submit PERCENT`` posts that
share of the concerns twice at once, as a double click does; and, in one member's place, an officer of the funders
records payments and notices (``OFFICER_DOUBLE_POSTS`` of each), every one posted twice at once. Each is checked
in the database as stored exactly once (a payment counted once in its invoice's amount paid).
"""

import argparse
import collections
import datetime
import logging
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlparse

from dateutil.relativedelta import relativedelta

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/compact_portal_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/11"
REDIS_MARK = "compact-portal-load:owner"  # the benchmark empties only a Redis database it has marked as its own
COMPACT = "portsmouth"
PASSWORD = "load-test-password-2026"  # of the load's accounts, in a throwaway database on 127.0.0.1
HOST = "127.0.0.1"

PUBLIC_BODIES = 30
VCS_ORGANISATIONS = 270
RELATIONSHIPS = 600
NOTICES = 60
CONSULTATIONS = 120
CONCERNS = 30
INVOICE_AMOUNT = Decimal("1250.00")
PAGE_P95_TARGET_MS = 500
# With --double-submit: the officer who records payments and notices, each posted twice at once, and how many.
OFFICER = "load-officer-000@load.example.org"
OFFICER_DOUBLE_POSTS = 3
OFFICER_PAYMENT = Decimal("10.00")

# Think time between two actions of one person (seconds, at random in the range; --think changes it), and while
# filling in the concern form. 1 to 5 s is a brisk reader; 0.5 to 1.5 s is a stress test, not a person.
THINK = (1.0, 5.0)
FILLING_IN = (1.0, 3.0)
# What a member does (weights); a champion mostly watches the dashboard.
MEMBER_MIX = {"register": 30, "directory": 25, "consultation": 15, "signatory": 12, "concern": 4}
CHAMPION_MIX = {"dashboard": 10, "register": 4, "directory": 4, "consultation": 2, "signatory": 2}

# fmt: off
PLACES = [
    "Southsea", "Fratton", "Cosham", "Drayton", "Farlington", "Hilsea", "Copnor", "Milton", "Eastney", "Buckland",
    "Landport", "Stamshaw", "Paulsgrove", "Wymering", "Baffins", "Anchorage Park", "Tipner", "Old Portsmouth",
    "Gunwharf", "Hayling",
]
KINDS_OF_GROUP = [
    "Community Larder", "Youth Club", "Carers Network", "Tenants' Association", "Befriending Scheme",
    "Credit Union", "Arts Collective", "Sports Trust", "Mental Health Forum", "Refugee Welcome", "Men's Shed",
    "Foodbank", "Advice Centre", "Women's Centre", "Scout Group", "Dementia Cafe", "Lifeboat Guild",
    "Allotment Society", "Play Association", "Heritage Trust",
]
PUBLIC_KINDS = [
    ("Town Council", "local_authority"),
    ("Primary Care Network", "nhs_body"),
    ("Neighbourhood Policing Team", "police"),
    ("Fire Station", "fire_and_rescue"),
    ("Housing Partnership", "other_public_body"),
]
SEARCH_WORDS = [
    "community", "youth", "carers", "southsea", "trust", "network", "centre", "library", "budget", "parking",
    "health", "council", "food", "arts", "advice",
]
# fmt: on
PDF_TEMPLATE = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% evidence {marker} {padding}\ntrailer << /Root 1 0 R >>\n"
    b"%%EOF\n"
)


# --- Set-up: the database and the data set -------------------------------------------------------------


def recreate_database(url, env) -> None:
    name = url.path.lstrip("/")
    print(f"==> Database {name}: recreating, migrating, filling", flush=True)
    subprocess.run(["dropdb", *pg_admin(url), "--if-exists", name], check=True)
    subprocess.run(["createdb", *pg_admin(url), name], check=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    print(f"    migrated in {time.perf_counter() - started:.0f} s", flush=True)


def pg_admin(url) -> list[str]:
    return ["-h", url.hostname or HOST, "-p", str(url.port or 5432), "-U", url.username or "postgres"]


def imported(result, what: str) -> None:
    if not result.ok:
        sys.exit(f"Importing the {what} failed: " + "; ".join(f"row {e.row}: {e.message}" for e in result.errors[:5]))


def fill(*, today: datetime.date, users: int, champions: int) -> None:
    """The demo data plus a realistic Portsmouth, mostly through the portal's own services and importers, and
    the load's accounts (``champions`` of the ``users`` are the compact's champions)."""
    from django.db import connection

    from commitments.demo import seed_demo
    from commitments.models import Compact, Organisation, Side, Trigger
    from commitments.services.compliance import compliance_scan
    from commitments.services.imports import organisations_import
    from funding.services.imports import funding_import

    rng = random.Random(2026)
    laps, marks = [], [time.perf_counter()]

    def lap(label: str) -> None:
        marks.append(time.perf_counter())
        laps.append(f"{label} {marks[-1] - marks[-2]:.0f} s")

    seed_demo(today=today)
    compact = Compact.objects.get(slug=COMPACT)
    lap("demo")
    header, rows = signatory_rows(rng)
    imported(organisations_import(header=header, rows=rows, today=today), "signatories")
    lap("signatories")
    public = list(Organisation.objects.filter(side=Side.PUBLIC).exclude(org_id="").order_by("pk"))
    vcs = list(Organisation.objects.filter(side=Side.VCS, signatures__compact=compact).order_by("pk"))
    relationships, invoices, notices = funding_rows(rng, today, public, [o for o in vcs if o.org_id])
    imported(
        funding_import(
            kind="relationships", header=list(relationships[0]), rows=relationships, actor=None, today=today
        ),
        "funding",
    )
    imported(funding_import(kind="notices", header=list(notices[0]), rows=notices, actor=None, today=today), "notices")
    add_invoices(invoices)
    lap("funding")
    add_consultations(rng, today, compact, public)
    lap("consultations")
    add_concerns(rng, today, compact, public)
    lap("concerns")
    add_accounts(today, compact, vcs, users=users, champions=champions)
    lap("accounts")
    compliance_scan(today=today, trigger=Trigger.MANUAL, send_digest=False)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    lap("compliance check")
    print(
        f"    {len(rows)} more signatories, {len(relationships)} funding relationships, {len(invoices)} invoices, "
        f"{len(notices)} notices, {CONSULTATIONS} consultations, {CONCERNS} concerns, {users} accounts\n"
        f"    in {marks[-1] - marks[0]:.0f} s: {', '.join(laps)}",
        flush=True,
    )


def signatory_rows(rng) -> tuple[list[str], list[dict[str, str]]]:
    """The organisation importer's rows: public bodies with their Org-IDs, then charities (Org-ID from the
    charity number), companies and community groups, each serving a few communities, all signing."""
    from commitments.models import Community

    communities = list(Community.objects.values_list("name", flat=True))
    header = ["name", "side", "organisation_type", "charity_number", "company_number", "postcode", "email",
              "org_id", "paid_staff", "communities_served", "compact"]  # fmt: skip
    rows = []
    for i in range(PUBLIC_BODIES):
        kind, organisation_type = PUBLIC_KINDS[(i + i // len(PLACES)) % len(PUBLIC_KINDS)]
        name = f"{PLACES[i % len(PLACES)]} {kind}"
        rows.append({"name": name, "side": "public", "organisation_type": organisation_type, "org_id": f"GB-LOAD-{i}"})
    for i, name in enumerate(rng.sample([f"{p} {k}" for p in PLACES for k in KINDS_OF_GROUP], VCS_ORGANISATIONS)):
        row = {"name": name, "side": "vcs", "paid_staff": str(rng.choice([0, 0, 1, 2, 4, 8, 15, 40]))}
        if i % 10 < 7:
            row.update(organisation_type="registered_charity", charity_number=str(1_190_000 + i))
        elif i % 10 < 9:
            row.update(organisation_type="company_limited_by_guarantee", company_number=f"{13_000_000 + i:08d}")
        else:
            row.update(organisation_type="unincorporated_community_group")
        row["communities_served"] = ";".join(rng.sample(communities, rng.choice([0, 1, 1, 2])))
        rows.append(row)
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    for i, row in enumerate(rows):
        postcode = f"PO{1 + i % 9} {i % 10}{letters[i % 20]}{letters[i // 20 % 20]}"
        row.update(postcode=postcode, email=f"contact{i}@load.example.org", compact=COMPACT)
        for column in header:
            row.setdefault(column, "")
    return header, rows


def funding_rows(rng, today, public, recipients) -> tuple[list[dict], list[dict], list[dict]]:
    """The funding importer's rows since April 2024: awards (some told late, with a justification; a fifth
    for one year, explained), declines with feedback, a few undecided; quarterly invoices of the awards that
    have started, most paid in 3 to 25 days, a few not yet; notices of endings and reductions, some short."""
    days = datetime.timedelta
    relationships, invoices, notices = [], [], []
    first = datetime.date(2024, 4, 1)
    for i in range(RELATIONSHIPS):
        expected = first + days(rng.randrange((today - first).days + 90))
        short = rng.random() < 0.2
        roll = rng.random()
        decision = "declined" if roll < 0.1 else "" if roll < 0.15 else "awarded"
        told = min(today, expected - days(rng.choice([120, 110, 100, 95, 60, 30])))
        started = decision == "awarded" and expected <= today
        reference = f"LOAD-{i:04d}"
        relationships.append({
            "reference": reference, "funder_org_id": public[i % len(public)].org_id,
            "recipient_org_id": rng.choice(recipients).org_id, "compact": COMPACT,
            "mechanism": rng.choice(["grant", "grant", "grant", "contract", "service_level_agreement"]),
            "title": f"{rng.choice(KINDS_OF_GROUP)} programme {i}", "amount": str(rng.randrange(2_000, 250_000, 500)),
            "expected_start": expected.isoformat(), "start_date": expected.isoformat() if started else "",
            "end_date": (expected + relativedelta(years=1 if short else 3) - days(1)).isoformat(),
            "end_date_defined_at_start": "no", "strategic": rng.choice(["yes", "no"]), "decision": decision,
            "decision_date": told.isoformat() if decision else "",
            "decision_justification": "The budget was set late." if told > expected - relativedelta(months=3) else "",
            "term_explanation": "A one-year pilot." if short else "",
            "feedback": "A good idea; the budget needed quotes." if decision == "declined" else "",
        })  # fmt: skip
        if not started:
            continue
        for n in range(5):
            received = expected + days(7 + 90 * n)
            if received > today:
                break
            paid = received + days(rng.choice([3, 5, 6, 8, 9, 12, 16, 25]))
            paid = paid if paid <= today and rng.random() > 0.04 else None
            invoices.append(
                {"reference": reference, "number": f"{reference}-{n + 1}", "received": received, "paid": paid}
            )
        if len(notices) < NOTICES and rng.random() < 0.15 and expected < today - days(60):
            given = today - days(rng.randrange(10, 300))
            notices.append({
                "funding_reference": reference, "kind": rng.choice(["end", "reduce"]), "notice_date": given.isoformat(),
                "effective_date": (given + days(rng.choice([60, 125, 150]))).isoformat(),
                "rationale": "The grants budget is reduced next year.",
            })  # fmt: skip
    return relationships, invoices, notices


def add_invoices(rows: list[dict]) -> None:
    """Invoices paid in full or not at all, in two statements. Their stored dates are worked out by the rules
    the services use (``funding.rules``); one at a time through the importer they took most of the set-up."""
    from funding import rules
    from funding.models import FundingRelationship, Invoice, Payment

    references = {row["reference"] for row in rows}
    funding = FundingRelationship.objects.filter(reference__in=references).select_related("compact")
    relationships = {relationship.reference: relationship for relationship in funding}
    invoices = []
    for row in rows:
        relationship = relationships[row["reference"]]
        compact, received, paid = relationship.compact, row["received"], row["paid"]
        invoices.append(
            Invoice(
                relationship=relationship, compact=compact, invoice_number=row["number"], amount=INVOICE_AMOUNT,
                received_date=received, amount_paid=INVOICE_AMOUNT if paid else 0, paid_date=paid,
                pay_by=rules.payment_due_by(received, nation=compact.nation, working_days=compact.payment_working_days),
                working_days_to_pay=rules.working_days_to_pay(received=received, paid=paid, nation=compact.nation)
                if paid else None,
            )
        )  # fmt: skip
    Invoice.objects.bulk_create(invoices)
    Payment.objects.bulk_create(
        Payment(invoice=invoice, paid_date=invoice.paid_date, amount=invoice.amount)
        for invoice in invoices
        if invoice.paid_date
    )


def add_consultations(rng, today, compact, public) -> None:
    """Forthcoming, open and closed consultations from every public body, over the policy areas; most formal
    and 12 weeks long, most announced two weeks ahead; feedback published on most of those closed a month."""
    from consultations import services
    from consultations.models import PolicyArea

    days = datetime.timedelta
    areas = list(PolicyArea.objects.all())
    common = {
        "compact": compact, "methods": "An online questionnaire and two drop-in sessions.",
        "formats_and_languages": "Easy read and large print on request.",
        "foi_statement": "Responses may be released under the Freedom of Information Act 2000.",
        "contact_name": "Consultation team", "contact_email": "consultations@load.example.org",
    }  # fmt: skip
    for i in range(CONSULTATIONS):
        opens = today + days(rng.randrange(-420, 30))
        formal = rng.random() < 0.8
        consultation = services.consultation_create(
            actor=None, **common, body=public[i % len(public)], formal=formal, policy_area=areas[i % len(areas)],
            title=f"{rng.choice(SEARCH_WORDS).title()} plans for {rng.choice(PLACES)} ({i})",
            summary="How the service should change, and what it means for community groups.",
            announced_date=opens - days(14) if rng.random() < 0.9 else None,
            open_date=opens, close_date=opens + days(83 if formal else 41),
        )  # fmt: skip
        consultation = services.consultation_publish(consultation=consultation, actor=None)
        if consultation.close_date < today - days(30) and rng.random() < 0.6:
            services.feedback_publish(
                consultation=consultation, actor=None, today=today, summary_of_responses="Many responses.",
                what_changed="The proposal was changed.", what_did_not_change="The budget.",
            )  # fmt: skip


def add_concerns(rng, today, compact, public) -> None:
    """Concerns raised over the year by the demo charity's member about the public bodies (e-mails marked sent)."""
    from commitments.models import Organisation
    from compact_portal.accounts.models import User
    from disputes import services
    from disputes.models import CaseEmail

    days = datetime.timedelta
    member = User.objects.get(email__iexact="charity@demo.example.org")
    raiser = Organisation.objects.get(slug="southsea-community-food-bank")
    clauses = list(compact.commitments.filter(code__in=["9.2", "11.2", "13.3", "3.7", "3.2"]))
    for i in range(CONCERNS):
        day = today - days(rng.randrange(3, 330))
        services.concern_raise(
            actor=member, raiser=raiser, compact=compact, respondent=public[i % len(public)],
            commitments=rng.sample(clauses, 2), what_happened=f"Background concern {i}.", happened_on=day - days(14),
            outcome_sought="An apology.", withhold_identity=i % 3 == 0, consent=True, today=day,
        )  # fmt: skip
    CaseEmail.objects.filter(sent_at=None).update(sent_at=datetime.datetime.now(datetime.UTC))


def add_accounts(today, compact, vcs, *, users: int, champions: int) -> None:
    """``champions`` champions of the compact (appointed at the council), then members, each of a charity of
    its own; one password hash for all (hashing is slow on purpose)."""
    from django.contrib.auth.hashers import make_password

    from commitments.models import Organisation
    from commitments.services import champion_appoint
    from compact_portal.accounts.roles import Role
    from compact_portal.accounts.services import membership_grant, user_create

    hashed = make_password(PASSWORD)
    charities = [o for o in vcs if o.organisation_type == "registered_charity" and o.email.endswith("load.example.org")]
    if len(charities) < users:
        sys.exit(f"Only {len(charities)} charities for {users} users: lower --users.")
    council = Organisation.objects.get(slug="portsmouth-city-council")
    for n in range(users):
        role = "champion" if n < champions else "member"
        user = user_create(email=f"load-{role}-{n:03d}@load.example.org", full_name=f"Load Tester {n}")
        user.password = hashed
        user.save(update_fields=["password"])
        if n < champions:
            appointed = today - datetime.timedelta(days=30)
            champion_appoint(compact=compact, organisation=council, user=user, appointed_on=appointed)
        else:
            membership_grant(user=user, organisation=charities[n], role=Role.VCS_MEMBER)


def add_officer() -> dict:
    """The officer of a run with --double-submit (made once; kept with --keep): an officer of the funders of the
    first LOAD invoices nobody has paid anything on yet, to pay each of them and give notice on its funding."""
    from django.contrib.auth.hashers import make_password

    from compact_portal.accounts.models import User
    from compact_portal.accounts.roles import Role
    from compact_portal.accounts.services import membership_grant, user_create
    from funding.models import Invoice

    officer = User.objects.filter(email__iexact=OFFICER).first()
    if officer is None:
        officer = user_create(email=OFFICER, full_name="Load Officer")
        officer.password = make_password(PASSWORD)
        officer.save(update_fields=["password"])
    unpaid = Invoice.objects.filter(relationship__reference__startswith="LOAD-", amount_paid=0, payments__isnull=True)
    invoices = list(unpaid.select_related("relationship__funder").order_by("pk")[:OFFICER_DOUBLE_POSTS])
    if len(invoices) < OFFICER_DOUBLE_POSTS:
        sys.exit(f"Fewer than {OFFICER_DOUBLE_POSTS} unpaid invoices left for the officer's payments: fill it again.")
    for invoice in invoices:
        membership_grant(user=officer, organisation=invoice.relationship.funder, role=Role.OFFICER)
    return {
        "email": OFFICER,
        "invoices": [invoice.pk for invoice in invoices],
        "relationships": [invoice.relationship_id for invoice in invoices],
    }


def choices(*, users: int, champions: int) -> dict:
    """What the virtual users choose from: their accounts, and the pages' ids, slugs and filters."""
    from commitments.models import Community, Signature, SignatureStatus
    from compact_portal.accounts.models import User
    from consultations.models import Consultation, PolicyArea

    accounts = User.objects.filter(email__endswith="@load.example.org").order_by("email")
    chosen = {
        "champions": list(accounts.filter(email__startswith="load-champion-").values_list("email", flat=True)),
        "members": list(accounts.filter(email__startswith="load-member-").values_list("email", flat=True)),
    }
    chosen["champions"] = chosen["champions"][:champions]
    chosen["members"] = chosen["members"][: users - champions]
    if len(chosen["champions"]) + len(chosen["members"]) < users:
        sys.exit(f"The database has too few load accounts for {users} users ({champions} champions): fill it again.")
    signatories = Signature.objects.filter(compact__slug=COMPACT, status=SignatureStatus.APPROVED)
    published = Consultation.objects.filter(status="published")
    return {
        **chosen,
        "consultations": list(published.values_list("pk", flat=True)),
        "signatories": list(signatories.values_list("organisation__slug", flat=True)),
        "bodies": list(published.values_list("body__slug", flat=True).distinct()),
        "areas": list(PolicyArea.objects.values_list("slug", flat=True)),
        "communities": list(Community.objects.values_list("slug", flat=True)),
        "register_pages": math.ceil(published.count() / 20),
        "directory_pages": math.ceil(signatories.count() / 25),
    }


# --- The server ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def server_environment(options, database_url: str, folder: Path) -> dict[str, str]:
    """Production settings, as docs/operations.md's "Setting up" sets them, with throwaway values."""
    env = {key: value for key, value in os.environ.items() if key not in ("CELERY_BROKER_URL", "CACHE_URL")}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        BEHIND_TLS_PROXY="true",  # the load sends X-Forwarded-Proto: https, as the proxy would
        DATABASE_URL=database_url,
        DB_CONN_MAX_AGE=str(options.conn_max_age),
        EMAIL_URL="dummymail://",
        STATIC_ROOT=str(folder / "static"),
        MEDIA_ROOT=str(folder / "media"),
        LOG_LEVEL="WARNING",
    )
    if options.redis != "none":
        env.update(CELERY_BROKER_URL=options.redis, CACHE_URL=options.redis)  # no worker: e-mails wait, as queued
    return env


def collect_static(env: dict[str, str]) -> subprocess.Popen:
    """Start collecting (and compressing) the static files, as production does; it runs beside the filling."""
    args = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"]
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def check_deployment(collecting: subprocess.Popen, env: dict[str, str]) -> None:
    """Wait for the static files, then check the deployment settings as docs/operations.md asks (no issues)."""
    if collecting.wait():
        sys.exit(f"collectstatic failed:\n{collecting.stderr.read()[-3000:]}")
    args = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    checked = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if checked.returncode:
        sys.exit(f"manage.py check --deploy reports problems with the production settings:\n{checked.stderr}")
    print("    static files collected; check --deploy: no issues", flush=True)


def start_server(options, env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    args = [
        str(gunicorn),
        "compact_portal.wsgi",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(options.workers),
        "--threads",
        str(options.threads),
        "--error-logfile",
        str(log),
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    import geventhttpclient

    client = geventhttpclient.HTTPClient(HOST, port, connection_timeout=2, network_timeout=10)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if client.get("/healthz", headers={"X-Forwarded-Proto": "https"}).status_code == 200:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    server.terminate()
    sys.exit("gunicorn did not answer /healthz within 60 s.")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- The virtual users -------------------------------------------------------------------------------------


def define_users(options, data: dict, base: str):
    """The locust user classes, with the run's shared state (closures over ``state``)."""
    from http.cookiejar import DefaultCookiePolicy

    import gevent
    from gevent.event import Event
    from locust import FastHttpUser, between, task
    from locust.exception import StopUser

    members, champions = list(data["members"]), list(data["champions"])
    officer = data.get("officer")
    officers = [officer["email"]] if officer else []
    total = len(members) + len(champions) + len(officers)
    origin = base.replace("http://", "https://")  # what the browser sees: the proxy's address
    state = {
        "ready": 0,
        "opened": None,
        "closed": False,
        "open": Event(),
        "sign_in_errors": [],
        "submissions": {},
        "double_posts": [],
        "run": secrets.token_hex(4),
        "total": total,
    }

    class BehindTlsProxy(DefaultCookiePolicy):
        # The cookies are Secure (as in production); the TLS is the imagined proxy's, so send them anyway.
        def return_ok_secure(self, cookie, request):
            return True

    class Person(FastHttpUser):
        abstract = True
        host = base
        wait_time = between(*options.think)
        network_timeout = connection_timeout = 30.0
        max_retries = 0  # a post is never sent twice behind our back
        accounts: list[str] = []

        def on_start(self):
            self.number = total - len(members) - len(champions) - len(officers)
            self.email = self.accounts.pop()
            self.client.cookiejar.set_policy(BehindTlsProxy())
            # Redirects are never followed: each request checks its own answer. (Set once for the session, as
            # FastHttpSession's per-request allow_redirects=False is undone by whichever of two posts sent at
            # once, as a double click sends them, finishes first.)
            self.client.client.redirect_response_codes = frozenset()
            # What the TLS proxy in front of gunicorn sends: the scheme, the client's address, and one connection
            # a request (nginx's default towards its upstream). Kept-alive connections straight to gunicorn
            # would drop a post sent after the 2 s keep-alive timeout, a race browsers never meet behind a proxy.
            self.headers = {
                "X-Forwarded-Proto": "https",
                "X-Forwarded-For": f"127.0.1.{1 + self.number % 250}",
                "Origin": origin,
                "Connection": "close",
            }
            try:
                self.sign_in()
                self.get("register", "/consultations/", measured=False)  # warms the worker's templates
            except Exception as error:  # noqa: BLE001 (reported, and the run stops)
                state["sign_in_errors"].append(f"{self.email}: {error}")
            state["ready"] += 1
            if state["ready"] == total:
                state["opened"] = time.time()
                state["open"].set()
            state["open"].wait()  # the run stops at once if anyone could not sign in

        def sign_in(self):
            page = self.client.get("/account/sign-in/", headers=self.headers, name="sign-in form")
            token = csrf_token(page.text)
            answer = self.client.post(
                "/account/sign-in/",
                data={"csrfmiddlewaretoken": token, "username": self.email, "password": PASSWORD},
                headers={**self.headers, "Referer": f"{origin}/account/sign-in/"},
                name="sign-in",
                allow_redirects=False,
            )
            if answer.status_code != 302:
                raise RuntimeError(f"sign-in answered {answer.status_code}")

        def check_open(self):
            if state["closed"]:
                raise StopUser()

        def get(self, name: str, url: str, *, measured: bool = True, expect: int = 200):
            with self.client.get(
                url,
                headers=self.headers,
                name=name,
                allow_redirects=False,
                catch_response=True,
                context={"measured": measured},
            ) as response:
                if response.status_code and response.status_code < 400 and response.status_code != expect:
                    where = response.headers.get("Location", "")
                    response.failure(f"unexpected {response.status_code} {where}".strip())
                return response

        # The pages.
        def register(self):
            query = rng_query(
                {
                    "status": ["open", "closed", "forthcoming"],
                    "policy_area": data["areas"],
                    "body": data["bodies"],
                    "q": SEARCH_WORDS,
                    "sort": ["closes", "-closes", "title"],
                },
                pages=data["register_pages"],
            )
            self.get("register", f"/consultations/{query}")

        def directory(self):
            query = rng_query(
                {
                    "q": SEARCH_WORDS,
                    "side": ["vcs", "public"],
                    "community": data["communities"],
                    "organisation_type": ["registered_charity", "company_limited_by_guarantee"],
                    "compact": [COMPACT],
                    "sort": ["name", "-signed", "type"],
                },
                pages=data["directory_pages"],
            )
            self.get("directory", f"/signatories/{query}")

        def consultation(self):
            self.get("consultation page", f"/consultations/{random.choice(data['consultations'])}/")

        def signatory(self):
            self.get("signatory page", f"/signatories/{random.choice(data['signatories'])}/")

    class Member(Person):
        accounts = members  # every user who is not a champion

        def on_start(self):
            self.sent = 0
            super().on_start()

        @task(MEMBER_MIX["register"])
        def browse_register(self):
            self.check_open()
            self.register()

        @task(MEMBER_MIX["directory"])
        def browse_directory(self):
            self.check_open()
            self.directory()

        @task(MEMBER_MIX["consultation"])
        def read_consultation(self):
            self.check_open()
            self.consultation()

        @task(MEMBER_MIX["signatory"])
        def read_signatory(self):
            self.check_open()
            self.signatory()

        @task(MEMBER_MIX["concern"])
        def raise_concern(self):
            self.check_open()
            if self.sent >= options.concerns_per_user:
                return self.register()
            url = f"/concerns/raise/{COMPACT}/"
            form = self.get("concern form", url)
            if form.status_code != 200:
                return
            fields = concern_fields(form.text)
            if fields is None:
                self.environment.events.request.fire(
                    request_type="GET",
                    name="concern form",
                    response_time=0,
                    response_length=0,
                    response=None,
                    context={"measured": True},
                    exception=RuntimeError("unexpected form: no CSRF token or choices"),
                    start_time=time.time(),
                )
                return
            self.sent += 1
            marker = f"[load {state['run']} {self.email.split('@')[0]} {self.sent}]"
            files = [
                ("documents", (f"evidence-{k + 1}.pdf", evidence_pdf(marker, k), "application/pdf"))
                for k in range(random.choice([1, 1, 2]))
            ]
            data_ = [
                *fields,
                ("what_happened", f"{marker} The council ended our grant with four weeks' notice."),
                ("happened_on", (datetime.date.today() - datetime.timedelta(days=random.randrange(5, 60))).isoformat()),
                ("outcome_sought", "Three months' notice, as the compact says."),
                ("consent", "on"),
            ]
            state["submissions"][marker] = {
                "email": self.email,
                "sizes": sorted(len(f[1][1]) for f in files),
                "references": [],
                "errors": [],
            }
            gevent.sleep(random.uniform(*FILLING_IN))
            double = random.random() * 100 < options.double_submit
            posts = [gevent.spawn(self.post_concern, url, data_, files, marker) for _ in range(2 if double else 1)]
            gevent.joinall(posts)
            for post in posts:
                if post.value:
                    self.get("case page", post.value)

        def post_concern(self, url, data_, files, marker):
            record = state["submissions"][marker]
            with self.client.post(
                url,
                data=data_,
                files=files,
                headers={**self.headers, "Referer": origin + url},
                name="concern post",
                allow_redirects=False,
                catch_response=True,
                context={"measured": True},
            ) as response:
                location = response.headers.get("Location", "") if response.status_code == 302 else ""
                found = re.fullmatch(r"/concerns/(CC-\d{4}-\d{4,})/", location)
                if found:
                    record["references"].append(found.group(1))
                    return location
                if response.status_code == 200:
                    summary = re.findall(r'<li><a href="#[^"]*">([^<]*)</a>', response.text or "")
                    response.failure(f"form shown again: {'; '.join(summary) or 'no error summary'}"[:200])
                elif response.status_code == 302:
                    response.failure(f"unexpected 302 {location or response.headers.get('Location')}")
                record["errors"].append(str(response.status_code))
                return None

    class Officer(Person):
        """With --double-submit: pays an unpaid invoice, then gives notice on a funding, each posted twice at once
        (a double click), ``OFFICER_DOUBLE_POSTS`` of each; then reads the public pages."""

        fixed_count = len(officers)
        accounts = officers

        def on_start(self):
            self.invoices, self.relationships = list(officer["invoices"]), list(officer["relationships"])
            super().on_start()

        @task
        def record_twice(self):
            self.check_open()
            if self.invoices:
                invoice = self.invoices.pop(0)
                fields = [("paid_date", datetime.date.today().isoformat()), ("amount", str(OFFICER_PAYMENT))]
                self.post_twice("payment", f"/funding/invoices/{invoice}/payments/new/", fields, invoice=invoice)
            elif self.relationships:
                relationship = self.relationships.pop(0)
                marker = f"[load {state['run']} notice {relationship}]"
                given = datetime.date.today()
                fields = [
                    ("kind", "reduce"),
                    ("notice_date", given.isoformat()),
                    ("effective_date", (given + relativedelta(months=4)).isoformat()),
                    ("rationale", f"{marker} The grants budget is reduced next year."),
                ]
                self.post_twice("notice", f"/funding/{relationship}/notices/new/", fields, marker=marker)
            else:
                self.register()

        def post_twice(self, kind: str, url: str, fields: list[tuple[str, str]], **what):
            form = self.get(f"{kind} form", url)
            if form.status_code != 200:
                return
            key = re.search(r'name="submission_key" value="([^"]+)"', form.text or "")  # the form's one-time key
            if key is None:
                self.environment.events.request.fire(
                    request_type="GET",
                    name=f"{kind} form",
                    response_time=0,
                    response_length=0,
                    response=None,
                    context={"measured": True},
                    exception=RuntimeError("unexpected form: no one-time key"),
                    start_time=time.time(),
                )
                return
            data_ = dict([("csrfmiddlewaretoken", csrf_token(form.text)), ("submission_key", key.group(1)), *fields])
            record = {"kind": kind, "locations": [], "errors": [], **what}
            state["double_posts"].append(record)
            gevent.sleep(random.uniform(*FILLING_IN))
            gevent.joinall([gevent.spawn(self.post_one, kind, url, data_, record) for _ in range(2)])

        def post_one(self, kind: str, url: str, data_: dict, record: dict) -> None:
            with self.client.post(
                url,
                data=data_,
                headers={**self.headers, "Referer": origin + url},
                name=f"{kind} post",
                allow_redirects=False,
                catch_response=True,
                context={"measured": True},
            ) as response:
                if response.status_code == 302:
                    record["locations"].append(response.headers.get("Location", ""))
                    return
                if response.status_code == 200:
                    summary = re.findall(r'<li><a href="#[^"]*">([^<]*)</a>', response.text or "")
                    response.failure(f"form shown again: {'; '.join(summary) or 'no error summary'}"[:200])
                record["errors"].append(str(response.status_code))

    class Champion(Person):
        fixed_count = len(champions)
        accounts = champions

        @task(CHAMPION_MIX["dashboard"])
        def watch_dashboard(self):
            self.check_open()
            year = datetime.date.today().year
            query = random.choice(
                ["", f"?year={year}", f"?year={year - 1}", f"?year={year}&quarter=3", f"?year={year}&step=quarter"]
            )
            self.get("dashboard", f"/compacts/{COMPACT}/dashboard/{query}")

        @task(CHAMPION_MIX["register"])
        def browse_register(self):
            self.check_open()
            self.register()

        @task(CHAMPION_MIX["directory"])
        def browse_directory(self):
            self.check_open()
            self.directory()

        @task(CHAMPION_MIX["consultation"])
        def read_consultation(self):
            self.check_open()
            self.consultation()

        @task(CHAMPION_MIX["signatory"])
        def read_signatory(self):
            self.check_open()
            self.signatory()

    return [Member, Champion, *([Officer] if officers else [])], state


def rng_query(choices: dict[str, list], *, pages: int) -> str:
    """A query as a person builds it: often none, often a filter or a search, sometimes a later page."""
    params = {}
    for _ in range(random.choice([0, 0, 1, 1, 2])):
        name = random.choice(list(choices))
        params[name] = random.choice(choices[name])
    if not params and pages > 1 and random.random() < 0.5:
        params["page"] = random.randint(2, pages)
    return f"?{urlencode(params)}" if params else ""


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html or "")
    if not found:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


def concern_fields(html: str) -> list[tuple[str, str]] | None:
    """The fields a person fills in by choosing: token, the hidden raiser, a public body, one or two commitments."""
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    key = re.search(r'name="submission_key" value="([^"]+)"', html)  # the form's one-time key
    raiser = re.search(r'name="raiser" value="(\d+)"', html)
    respondent = re.search(r'<select name="respondent".*?</select>', html, re.S)
    bodies = re.findall(r'<option value="(\d+)"', respondent.group(0)) if respondent else []
    commitments = re.findall(r'name="commitments" value="(\d+)"', html)
    if not (token and key and raiser and bodies and commitments):
        return None
    picked = random.sample(commitments, random.choice([1, 2]))
    return [
        ("csrfmiddlewaretoken", token.group(1)),
        ("submission_key", key.group(1)),
        ("raiser", raiser.group(1)),
        ("respondent", random.choice(bodies)),
        *(("commitments", pk) for pk in picked),
    ]


def evidence_pdf(marker: str, k: int) -> bytes:
    """A small PDF (2 to 30 KB) whose size tells the files of one concern apart."""
    padding = b"x" * random.randrange(2_000, 30_000) + str(k).encode()
    return PDF_TEMPLATE.replace(b"{marker}", marker.encode()).replace(b"{padding}", padding)


# --- Running and measuring -------------------------------------------------------------------------------------


def run_load(options, user_classes, state, server_pid: int) -> dict:
    """Spawn every user; once all have signed in, measure for ``duration`` s; then let them finish and stop.
    Returns the samples (name, method, ms, start, status, error), the window's seconds and the CPU seconds
    used meanwhile by gunicorn's workers and by this process."""
    import gevent
    import psutil
    from locust.env import Environment

    logging.getLogger("locust").setLevel(logging.WARNING)

    server, client = psutil.Process(server_pid), psutil.Process()

    def cpu_seconds() -> tuple[float, float]:
        workers = sum(sum(worker.cpu_times()[:2]) for worker in server.children())
        return workers, sum(client.cpu_times()[:2])

    samples = []

    def on_request(request_type, name, response_time, response, context, exception, start_time=None, **_):
        if not context.get("measured") or not state["opened"] or (start_time or 0) < state["opened"]:
            return
        status = getattr(response, "status_code", 0) or 0
        samples.append((name, request_type, response_time, start_time, status, error_kind(status, exception)))

    environment = Environment(user_classes=user_classes, events=None)
    environment.events.request.add_listener(on_request)
    runner = environment.create_local_runner()
    users = state["total"]
    print(f"==> {users} users signing in", flush=True)
    started = time.monotonic()
    runner.start(users, spawn_rate=min(users, 10))
    if not state["open"].wait(timeout=180):
        runner.quit()
        sys.exit(f"Only {state['ready']} of {users} users signed in within 180 s.")
    if state["sign_in_errors"]:
        runner.quit()
        sys.exit("Signing in failed:\n  " + "\n  ".join(state["sign_in_errors"][:10]))
    print(f"    signed in ({time.monotonic() - started:.0f} s); measuring for {options.duration} s", flush=True)
    cpu_before = cpu_seconds()
    gevent.sleep(options.duration)
    state["closed"] = True
    closed = time.time()
    deadline = time.monotonic() + 60  # each user finishes what it is doing (a post in flight included)
    while runner.user_count and time.monotonic() < deadline:
        gevent.sleep(0.2)
    cpu = [after - before for before, after in zip(cpu_before, cpu_seconds(), strict=True)]
    runner.quit()
    finished = max([s[3] + s[2] / 1000 for s in samples], default=closed)
    # A task that raised (a bug of this script, or a page it could not read) is an error too.
    crashes = [f"{e['count']} x {e['msg'][:150]}" for e in runner.exceptions.values()]
    return {"samples": samples, "seconds": finished - state["opened"], "cpu": cpu, "crashes": crashes}


def error_kind(status: int, exception) -> str | None:
    if exception is None:
        return None
    text = str(exception)
    if status >= 400:
        return f"HTTP {status}"
    if "timed out" in text.lower() or "timeout" in type(exception).__name__.lower():
        return "timeout"
    if text.startswith(("unexpected", "form shown again")):
        return re.sub(r"CC-\d{4}-\d+|\d+/", "…", text)[:120]
    return f"exception {type(exception).__name__}: {text[:80]}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


def latencies(times: list[float]) -> str:
    return "  ".join(f"p{round(q * 100)} {percentile(times, q):5.0f} ms" for q in (0.5, 0.95, 0.99))


# --- Checking the concerns -------------------------------------------------------------------------------------


def check_concerns(state) -> tuple[list[str], dict]:
    """Every concern sent is stored exactly once under the reference it was given, with exactly its files and
    its acknowledgement queued; none is stored that was not confirmed. Returns the problems and counts."""
    from django.db import connection

    from disputes.models import CaseDocument, CaseEmail, Concern, ConcernDraft

    connection.close()  # the set-up's connection has been idle through the run
    sent = state["submissions"]
    stored = collections.defaultdict(list)
    for concern in Concern.objects.filter(what_happened__contains=f"[load {state['run']} "):
        marker = re.match(r"(\[load [0-9a-f]+ \S+ \d+\])", concern.what_happened)
        stored[marker.group(1) if marker else concern.what_happened[:40]].append(concern)
    sizes = collections.defaultdict(list)
    for concern_id, size, name in CaseDocument.objects.filter(
        concern__in=[c for concerns in stored.values() for c in concerns]
    ).values_list("concern_id", "size", "file"):
        path = Path(os.environ["MEDIA_ROOT"]) / name
        on_disk = path.stat().st_size if name and path.is_file() else -1
        sizes[concern_id].append(size if on_disk == size else -size)
    acknowledged = set(
        CaseEmail.objects.filter(concern__in=[c for cs in stored.values() for c in cs]).values_list("concern_id", "to")
    )
    problems = []
    confirmed = 0
    for marker, record in sent.items():
        concerns = stored.get(marker, [])
        if record["references"]:
            confirmed += 1
            if len(concerns) != 1:
                problems.append(
                    f"{marker}: confirmed as {', '.join(record['references'])}, stored {len(concerns)} times"
                )
                continue
            concern = concerns[0]
            if set(record["references"]) != {concern.reference}:  # a double submit is confirmed twice, as one case
                problems.append(f"{marker}: confirmed as {record['references']}, stored as {concern.reference}")
            if sorted(sizes[concern.pk]) != record["sizes"]:
                problems.append(f"{marker}: sent files of {record['sizes']} bytes, stored {sorted(sizes[concern.pk])}")
            if (concern.pk, record["email"]) not in acknowledged:
                problems.append(f"{marker}: no acknowledgement e-mail queued for {record['email']}")
        elif concerns:
            problems.append(f"{marker}: not confirmed ({', '.join(record['errors']) or 'no answer'}), yet stored")
    for marker in set(stored) - set(sent):
        problems.append(f"{marker}: stored, never sent")
    opened = datetime.datetime.fromtimestamp(state["opened"], datetime.UTC)
    drafts = ConcernDraft.objects.filter(user__email__endswith="@load.example.org", updated_at__gte=opened).count()
    if drafts:
        problems.append(f"{drafts} draft(s) left by refused posts")
    counts = {
        "sent": len(sent),
        "confirmed": confirmed,
        "stored": sum(len(c) for c in stored.values()),
        "files": sum(len(r["sizes"]) for r in sent.values() if r["references"]),
    }
    return problems, counts


def check_double_posts(state) -> tuple[list[str], dict]:
    """Every payment and notice posted twice at once is stored exactly once, both posts answered with the same
    page (and a payment counted once in its invoice's amount paid); one never confirmed is not stored."""
    from django.db import connection

    from funding.models import Invoice, Notice

    connection.close()
    problems, once = [], 0
    for record in state["double_posts"]:
        answered = len(record["locations"])
        if record["kind"] == "payment":
            invoice = Invoice.objects.get(pk=record["invoice"])
            what, stored = f"payment on invoice {invoice.invoice_number}", invoice.payments.count()
            if stored == 1 and invoice.amount_paid != OFFICER_PAYMENT:
                problems.append(f"{what}: paid £{OFFICER_PAYMENT} once, amount paid £{invoice.amount_paid}")
        else:
            what = f"notice {record['marker']}"
            stored = Notice.objects.filter(rationale__startswith=record["marker"]).count()
        if answered and stored != 1:
            problems.append(f"{what}: posted twice, {answered} answered, stored {stored} times")
        elif not answered and stored:
            problems.append(f"{what}: not confirmed ({', '.join(record['errors']) or 'no answer'}), yet stored")
        elif answered < 2:
            errors = ", ".join(record["errors"]) or "no answer"
            problems.append(f"{what}: {answered} of its 2 posts answered ({errors})")
        elif len(set(record["locations"])) > 1:
            problems.append(f"{what}: the two posts led to different pages {record['locations']}")
        else:
            once += stored
    kinds = collections.Counter(record["kind"] for record in state["double_posts"])
    return problems, {"payments": kinds["payment"], "notices": kinds["notice"], "once": once}


# --- Main ------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("LOAD_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--users", type=int, default=50, help="Concurrent virtual users (default 50).")
    parser.add_argument(
        "--think", type=float, nargs=2, default=THINK, metavar=("MIN", "MAX"),
        help=f"Seconds each person waits between two actions, at random (default {THINK[0]:g} {THINK[1]:g}).",
    )  # fmt: skip
    parser.add_argument("--duration", type=int, default=120, help="Seconds measured (default 120).")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn worker processes (default 5).")
    parser.add_argument("--threads", type=int, default=1, help="Threads per worker (default 1: sync workers).")
    parser.add_argument("--conn-max-age", type=int, default=0, help="DB_CONN_MAX_AGE for the server (default 0).")
    parser.add_argument("--concerns-per-user", type=int, default=5, help="Most concerns one member sends (5).")
    parser.add_argument(
        "--double-submit",
        type=float,
        default=0,
        metavar="PERCENT",
        help="Post this share of the concerns twice at once, like a double click (default 0); and, if not 0, an "
        f"officer's {OFFICER_DOUBLE_POSTS} payments and {OFFICER_DOUBLE_POSTS} notices, each twice at once.",
    )
    parser.add_argument(
        "--redis",
        default=DEFAULT_REDIS,
        help=f"Redis for rate limits and the task queue, emptied before and after (default "
        f"{DEFAULT_REDIS}); 'none' runs tasks in the web process and counts in each process.",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the database and the uploaded files.")
    parser.add_argument("--reuse", action="store_true", help="Use the database kept by --keep as it is.")
    options = parser.parse_args()
    if options.users < 2:
        parser.error("--users must be at least 2 (a champion and a member).")
    if options.double_submit and options.users < 3:
        parser.error("--double-submit needs --users of at least 3 (a champion, a member and the officer).")

    try:
        import locust  # noqa: F401  (patches the standard library for gevent: first, before Django)
    except ImportError:
        sys.exit(
            "This benchmark needs locust: .venv/bin/python -m pip install --require-hashes -r bench/requirements.lock"
        )

    url = urlparse(options.database_url)
    folder = Path(tempfile.mkdtemp(prefix="compact-portal-load-"))
    env = {key: value for key, value in os.environ.items() if key not in ("CELERY_BROKER_URL", "CACHE_URL")}
    env.update(DATABASE_URL=options.database_url, MEDIA_ROOT=str(folder / "media"), EMAIL_URL="dummymail://")
    env.update(LOG_LEVEL="WARNING")
    os.environ.clear()
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compact_portal.settings")
    sys.path.insert(0, str(ROOT))
    try:
        passed = run(options, url, folder, env)
    finally:
        clean_up(options, url, folder)
    sys.exit(0 if passed else 1)


def run(options, url, folder: Path, env: dict[str, str]) -> bool:
    """Set up (or reuse) the database, start gunicorn, run the load, check the concerns; True if it all passed."""
    if options.redis != "none":
        claim_redis(options.redis)
    server_env = server_environment(options, options.database_url, folder)
    collecting = collect_static(server_env)  # beside the migrations and the filling
    try:
        data, champions = set_up(options, url, env)
        check_deployment(collecting, server_env)
    finally:
        if collecting.poll() is None:
            collecting.kill()
    port = free_port()
    log = folder / "gunicorn.log"
    print(f"==> gunicorn on {HOST}:{port}: {options.workers} workers x {options.threads} threads", flush=True)
    server = start_server(options, server_env, port, log)
    try:
        user_classes, state = define_users(options, data, f"http://{HOST}:{port}")
        result = run_load(options, user_classes, state, server.pid)
    finally:
        stop_server(server)
    marks = ("Traceback", "[ERROR]", "[CRITICAL]", "[WARNING]")  # a worker timed out or died, an exception...
    result["server_errors"] = [line for line in log.read_text().splitlines() if any(m in line for m in marks)]
    result["log"] = log
    result["problems"], result["counts"] = check_concerns(state)
    result["double_problems"], result["double_counts"] = check_double_posts(state)
    return report(options, result, champions)


def set_up(options, url, env: dict[str, str]) -> tuple[dict, int]:
    """The database, recreated and filled or kept; what the users choose from, and how many are champions."""
    if not options.reuse:
        recreate_database(url, env)
    import django

    django.setup()
    logging.getLogger("celery").setLevel(logging.WARNING)  # the set-up's tasks run in this process
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from compact_portal.accounts.models import User

    champions = max(1, options.users // 10)
    if options.reuse:
        print(f"==> Database {url.path.lstrip('/')}: as it was kept", flush=True)
        User.objects.filter(email__endswith="@load.example.org").update(password=make_password(PASSWORD))
    else:
        fill(today=timezone.localdate(), users=options.users, champions=champions)
    data = choices(users=options.users, champions=champions)
    if options.double_submit:
        data["officer"] = add_officer()
        data["members"] = data["members"][:-1]  # the officer takes a member's place
    return data, champions


def claim_redis(url: str) -> None:
    """Empty the benchmark's Redis database, but only if it is empty or the benchmark's own (marked)."""
    import redis

    database = redis.Redis.from_url(url)
    if database.dbsize() and not database.exists(REDIS_MARK):
        sys.exit(f"Redis {url} holds someone else's keys: name an empty database with --redis (or 'none').")
    database.flushdb()
    database.set(REDIS_MARK, "bench/load.py")


def release_redis(url: str) -> None:
    import redis

    database = redis.Redis.from_url(url)
    if database.exists(REDIS_MARK):
        database.flushdb()


def clean_up(options, url, folder: Path) -> None:
    from django.db import connections

    connections.close_all()
    if options.redis != "none":
        release_redis(options.redis)
    if options.keep:
        print(f"Kept the database {url.path.lstrip('/')} and the files in {folder}")
    else:
        subprocess.run(["dropdb", *pg_admin(url), "--if-exists", url.path.lstrip("/")], check=True)
        shutil.rmtree(folder, ignore_errors=True)


def report(options, result: dict, champions: int) -> bool:
    samples, seconds, counts, problems = result["samples"], result["seconds"], result["counts"], result["problems"]
    pages = [s for s in samples if s[1] == "GET"]
    posts = [s for s in samples if s[0] == "concern post"]
    errors = collections.Counter(s[5] for s in samples if s[5])
    load = os.getloadavg()
    print()
    print(
        f"Load benchmark: {options.users} users ({champions} champions) for {options.duration} s, gunicorn "
        f"{options.workers} workers x {options.threads} threads, PostgreSQL, {os.cpu_count()} cores"
    )
    print(f"  load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (1, 5, 15 minutes)")
    print(f"  requests:     {len(samples):,} in {seconds:.0f} s, {len(samples) / seconds:.1f} per second")
    server, client = result["cpu"]
    print(
        f"  CPU:          gunicorn {server:.0f} s ({server / seconds:.1f} cores, "
        f"{1000 * server / max(1, len(samples)):.0f} ms a request), load generator {client:.0f} s"
    )
    for label, group in (("pages (GET)", pages), ("concern posts", posts)):
        times = [s[2] for s in group if not s[5]]
        print(f"  {label + ':':<14}{len(group):6,}  {latencies(times)}  max {max(times, default=0):5.0f} ms")
    print("  by request:")
    for name in sorted({s[0] for s in samples}):
        times = [s[2] for s in samples if s[0] == name and not s[5]]
        failed = sum(1 for s in samples if s[0] == name and s[5])
        print(f"    {name:<18}{len(times) + failed:6,}  {latencies(times)}  errors {failed}")
    print(f"  errors:       {sum(errors.values())}")
    for kind, count in errors.most_common():
        print(f"    {count:6,}  {kind}")
    for crash in result["crashes"]:
        print(f"    task crashed: {crash}")
    if result["server_errors"]:
        print(f"  server log:   {len(result['server_errors'])} warnings or errors (in {result['log']}), such as:")
        for line in result["server_errors"][:3]:
            print(f"    {line[:150]}")
    print(
        f"  concerns:     {counts['sent']} sent, {counts['confirmed']} confirmed, {counts['stored']} stored, "
        f"{counts['files']} files"
    )
    for problem in problems[:20]:
        print(f"    {problem}")
    double = result["double_counts"]
    if options.double_submit:
        print(
            f"  posted twice: {double['payments']} payments and {double['notices']} notices, {double['once']} stored "
            "once"
        )
    for problem in result["double_problems"][:20]:
        print(f"    {problem}")
    page_p95 = percentile([s[2] for s in pages if not s[5]], 0.95)
    checks = [
        ("no errors", not errors and not result["crashes"]),
        (f"page p95 under {PAGE_P95_TARGET_MS} ms ({page_p95:.0f} ms)", page_p95 < PAGE_P95_TARGET_MS),
        (
            "every concern sent stored exactly once, with its files; nothing unconfirmed stored",
            counts["sent"] > 0 and not problems,
        ),
    ]
    if options.double_submit:
        checks.append(
            (
                "every payment and notice posted twice at once stored exactly once (the amount paid counted once)",
                double["payments"] > 0 and double["notices"] > 0 and not result["double_problems"],
            )
        )
    for label, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {label}")
    return all(ok for _, ok in checks)


if __name__ == "__main__":
    main()
