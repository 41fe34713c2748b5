"""The compliance flag pages as their users meet them: who may open the list and a flag's page, the list's filters,
sort orders, pages and CSV download, waiving and reopening a flag, and the pages' query budgets.

Flags are written by FlagFactory as the scan would write them (the scan itself is tested over real records in
test_compliance_*.py and test_flags_on_pages.py). Ages count from ``timezone.localdate()``, as the pages do; the
clock is never mocked.
"""

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from commitments.exports import FLAG_COLUMNS
from commitments.models import Compact, FlagEvent, FlagStatus, RecordType, RuleKey
from commitments.views.flags import FLAG_PAGE_SIZE
from compact_portal.accounts.roles import Role
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.commitments.factories import ChampionFactory, CompactFactory, FlagFactory, PublicBodyFactory
from tests.conftest import ROLE_FIXTURES
from tests.funding.factories import AwardedFundingFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

FLAG_ROLES = {"officer", "champion", "administrator"}
REASON_MISSING = "Give the reason, so others can see why the flag changed."
DAY = datetime.timedelta(days=1)


def _url(name, *args):
    return reverse(f"commitments:{name}", args=args)


def _page(response) -> str:
    return response.content.decode()


def _listed(response) -> list[int]:
    """The flags on a page of the list, in the order shown."""
    return [
        int(pk) for pk in re.findall(r'<a href="/flags/(\d+)/">Details<span class="visually-hidden">', _page(response))
    ]


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _is_sign_in_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _unchanged(flag) -> bool:
    """The flag as stored still has the status and reason it was made with, and no one has recorded a change."""
    stored = type(flag).objects.get(pk=flag.pk)
    return (
        stored.status == flag.status
        and stored.status_reason == flag.status_reason
        and stored.status_changed_by_id is None
        and not FlagEvent.objects.filter(flag=flag).exists()
    )


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def compact(db):
    return CompactFactory(name="Southsea Compact")


@pytest.fixture
def other_compact(db):
    return CompactFactory(name="Fareham Compact")


@pytest.fixture
def other_body(db):
    return PublicBodyFactory(name="Hampshire County Council")


@pytest.fixture
def championed(compact, council, champion):
    """The champion fixture appointed as a champion of the Southsea Compact (not of the Fareham one)."""
    return ChampionFactory(compact=compact, organisation=council, user=champion)


@pytest.fixture
def flag(compact, council):
    """An open flag in the Southsea Compact: the council's invoice unpaid after its pay-by date."""
    return FlagFactory(compact=compact, organisation=council, record_label="INV-0001")


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


# --- Who may open what -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["flag_list", "flags_csv", "flag_detail"])
def test_anonymous_visitors_are_sent_to_sign_in(client, flag, url_name):
    url = _url(url_name, flag.pk) if url_name == "flag_detail" else _url(url_name)

    response = client.get(url)

    assert _is_sign_in_redirect(response)
    assert "next=" in response["Location"]


@pytest.mark.parametrize("url_name", ["flag_waive", "flag_reopen"])
def test_an_anonymous_post_to_waive_or_reopen_is_sent_to_sign_in_and_changes_nothing(client, flag, url_name):
    response = client.post(_url(url_name, flag.pk), {"reason": "Paid by cheque."})

    assert _is_sign_in_redirect(response)
    assert _unchanged(flag)


@pytest.mark.parametrize("person", ["vcs_member", "panel_member", "person_without_roles"])
@pytest.mark.parametrize("url_name", ["flag_list", "flags_csv", "flag_detail"])
def test_people_without_a_flag_role_are_refused(client_for, flag, person, url_name):
    url = _url(url_name, flag.pk) if url_name == "flag_detail" else _url(url_name)

    assert client_for(person).get(url).status_code == 403


@pytest.mark.parametrize("person", ROLE_FIXTURES)
def test_the_flags_link_is_in_the_navigation_only_for_those_who_can_open_the_list(client_for, person):
    page = _page(client_for(person).get(reverse("home")))

    assert (f'href="{_url("flag_list")}"' in page) == (person in FLAG_ROLES)


def test_a_champion_sees_every_flag_of_their_compact_and_none_of_another(
    client_for, championed, compact, other_compact, council, other_body
):
    own_body = FlagFactory(compact=compact, organisation=council)
    other_bodys = FlagFactory(compact=compact, organisation=other_body)
    champions_own = FlagFactory(compact=compact, organisation=None, rule=RuleKey.COMPACT_REVIEW_OVERDUE, clause="8")
    elsewhere = FlagFactory(compact=other_compact, organisation=council)

    listed = _listed(client_for("champion").get(_url("flag_list")))

    assert sorted(listed) == sorted([own_body.pk, other_bodys.pk, champions_own.pk])
    assert elsewhere.pk not in listed


def test_the_champion_role_alone_shows_no_flags_until_they_are_appointed_to_a_compact(client_for, flag):
    response = client_for("champion").get(_url("flag_list"))

    assert response.status_code == 200
    assert _listed(response) == []
    assert "No flags match." in _page(response)


def test_an_officer_sees_only_their_own_bodys_flags_in_every_compact(
    client_for, compact, other_compact, council, other_body
):
    own = [FlagFactory(compact=compact, organisation=council), FlagFactory(compact=other_compact, organisation=council)]
    FlagFactory(compact=compact, organisation=other_body)
    FlagFactory(compact=compact, organisation=None, rule=RuleKey.COMPACT_REVIEW_OVERDUE, clause="8")

    response = client_for("officer").get(_url("flag_list"))

    assert sorted(_listed(response)) == sorted(flag.pk for flag in own)
    assert "Hampshire County Council" not in _page(response)  # not even among the organisation filter's choices


def test_an_administrator_sees_every_flag(client_for, compact, other_compact, council, other_body):
    flags = [
        FlagFactory(compact=compact, organisation=council),
        FlagFactory(compact=other_compact, organisation=other_body),
        FlagFactory(compact=other_compact, organisation=None, rule=RuleKey.COMPACT_REVIEW_OVERDUE, clause="8"),
    ]

    listed = _listed(client_for("administrator").get(_url("flag_list")))

    assert sorted(listed) == sorted(flag.pk for flag in flags)


def test_each_row_says_what_broke_and_where_and_links_to_the_record(client_for, compact, council, today):
    invoice = InvoiceFactory(relationship=AwardedFundingFactory(compact=compact, funder=council))
    FlagFactory(
        compact=compact,
        organisation=council,
        record_id=invoice.pk,
        record_label=invoice.invoice_number,
        first_detected=today - 3 * DAY,
    )
    FlagFactory(
        compact=compact,
        organisation=None,
        rule=RuleKey.COMPACT_REVIEW_OVERDUE,
        clause="8",
        record_type=RecordType.COMPACT,
        record_id=compact.pk,
        record_label=compact.slug,
        first_detected=today,
    )

    page = _page(client_for("administrator").get(_url("flag_list")))

    relationship_url = reverse("funding:relationship_detail", args=[invoice.relationship_id])
    assert f'Invoice: <a href="{relationship_url}#invoice-{invoice.pk}">{invoice.invoice_number}</a>' in page
    assert f'Compact: <a href="{compact.get_absolute_url()}">southsea-compact</a>' in page
    assert "<td>Portsmouth City Council</td>" in page
    assert "<td>The compact's champions</td>" in page  # nobody's organisation: the champions answer for it
    assert "(3 days ago)" in page
    assert "(today)" in page


@pytest.mark.parametrize(
    ("person", "whose"),
    [
        ("officer", "other_body"),
        ("officer", "champions"),
        ("champion", "other_compact"),
    ],
)
def test_a_flag_the_person_may_not_see_is_not_found(client_for, championed, other_compact, other_body, person, whose):
    hidden = {
        "other_body": lambda: FlagFactory(compact=championed.compact, organisation=other_body),
        "champions": lambda: FlagFactory(
            compact=championed.compact, organisation=None, rule=RuleKey.COMPACT_REVIEW_OVERDUE, clause="8"
        ),
        "other_compact": lambda: FlagFactory(compact=other_compact, organisation=championed.organisation),
    }[whose]()

    response = client_for(person).get(hidden.get_absolute_url())

    assert response.status_code == 404


@pytest.mark.parametrize("person", ["officer", "champion", "administrator"])
def test_a_flag_the_person_may_see_opens_with_its_record_and_history(client_for, championed, flag, person):
    FlagEvent.objects.create(
        flag=flag, status=FlagStatus.OPEN, reason="Found by the compliance scan.", at=timezone.now()
    )

    response = client_for(person).get(flag.get_absolute_url())

    page = _page(response)
    assert response.status_code == 200
    assert "<h1>Invoice unpaid after its pay-by date</h1>" in page
    assert "Invoice: INV-0001" in page
    assert "Southsea Compact" in page
    assert "Portsmouth City Council" in page
    assert "by the compliance check: Found by the compliance scan." in page


def test_an_unknown_flag_is_not_found(client_for, flag):
    assert client_for("administrator").get(_url("flag_detail", flag.pk + 1000)).status_code == 404


# --- Filters --------------------------------------------------------------------------------------------------


@pytest.fixture
def assorted(compact, other_compact, council, other_body, today):
    """Five flags that differ in every way the list filters by, keyed by a short name."""
    return {
        "invoice": FlagFactory(
            compact=compact, organisation=council, first_detected=today - 2 * DAY, status=FlagStatus.OPEN
        ),
        "notice": FlagFactory(
            compact=compact,
            organisation=other_body,
            rule=RuleKey.NOTICE_TOO_SHORT,
            clause="13.3",
            record_type=RecordType.NOTICE,
            first_detected=today - 45 * DAY,
            status=FlagStatus.AT_RISK,
        ),
        "consultation": FlagFactory(
            compact=other_compact,
            organisation=council,
            rule=RuleKey.CONSULTATION_TOO_SHORT,
            clause="3.7",
            record_type=RecordType.CONSULTATION,
            first_detected=today - 120 * DAY,
            status=FlagStatus.OPEN,
        ),
        "waived": FlagFactory(
            compact=compact,
            organisation=council,
            first_detected=today - 10 * DAY,
            status=FlagStatus.WAIVED,
            status_reason="Paid by cheque; the bank was slow.",
        ),
        "resolved": FlagFactory(
            compact=other_compact,
            organisation=None,
            rule=RuleKey.COMPACT_REVIEW_OVERDUE,
            clause="8",
            record_type=RecordType.COMPACT,
            first_detected=today - 200 * DAY,
            status=FlagStatus.RESOLVED,
            status_reason="Resolved by the compliance scan: the record was put right.",
        ),
    }


def _query(query: str, compact, council) -> str:
    return query.format(compact=compact.slug, council=council.slug)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"invoice", "notice", "consultation"}),
        ("compact={compact}", {"invoice", "notice"}),
        ("rule=notice_too_short", {"notice"}),
        ("clause=3.7", {"consultation"}),
        ("organisation={council}", {"invoice", "consultation"}),
        ("status=open", {"invoice", "consultation"}),
        ("status=at_risk", {"notice"}),
        ("status=waived", {"waived"}),
        ("status=resolved", {"resolved"}),
        ("status=any", {"invoice", "notice", "consultation", "waived", "resolved"}),
        ("age=new", {"invoice"}),
        ("age=30", {"notice", "consultation"}),
        ("age=90", {"consultation"}),
        ("age=90&status=any", {"consultation", "resolved"}),
        ("compact={compact}&status=any", {"invoice", "notice", "waived"}),
        ("compact={compact}&organisation={council}&status=any", {"invoice", "waived"}),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_each_filter_narrows_the_list(client_for, assorted, compact, council, query, expected):
    response = client_for("administrator").get(f"{_url('flag_list')}?{_query(query, compact, council)}")

    names = {flag.pk: name for name, flag in assorted.items()}
    assert {names[pk] for pk in _listed(response)} == expected
    assert f"<caption>{len(expected)} flag{'s' if len(expected) > 1 else ''}</caption>" in _page(response)


def test_the_status_filter_says_the_list_shows_open_and_at_risk_flags_until_asked_for_any(client_for, assorted):
    page = _page(client_for("administrator").get(_url("flag_list")))

    assert '<option value="" selected>Open or at risk</option>' in page
    assert '<option value="any">Any status</option>' in page


@pytest.mark.parametrize(("days_ago", "over_30"), [(30, False), (31, True)])
def test_found_over_30_days_ago_means_more_than_30_days(client_for, flag, days_ago, over_30, today):
    flag.first_detected = today - days_ago * DAY
    flag.save()

    listed = _listed(client_for("administrator").get(f"{_url('flag_list')}?age=30"))

    assert (flag.pk in listed) == over_30


def test_a_flag_found_today_is_new(client_for, flag, today):
    flag.first_detected = today
    flag.save()

    assert _listed(client_for("administrator").get(f"{_url('flag_list')}?age=new")) == [flag.pk]


def test_the_filters_offer_only_the_compacts_and_clauses_the_person_can_see(client_for, championed, assorted, compact):
    page = _page(client_for("champion").get(_url("flag_list")))

    clauses = re.search(r'<select name="clause".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="([^"]+)"', clauses) == ["11.2", "13.3"]
    compacts = re.search(r'<select name="compact".*?</select>', page, re.S).group(0)
    assert "Southsea Compact" in compacts
    assert "Fareham Compact" not in compacts


def test_the_administrators_clauses_are_sorted_as_numbers(client_for, assorted):
    page = _page(client_for("administrator").get(_url("flag_list")))

    clauses = re.search(r'<select name="clause".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="([^"]+)"', clauses) == ["3.7", "8", "11.2", "13.3"]


def test_filtering_by_a_compact_the_champion_does_not_champion_shows_none_of_its_flags(
    client_for, championed, assorted, other_compact
):
    response = client_for("champion").get(f"{_url('flag_list')}?compact={other_compact.slug}&status=any")

    assert response.status_code == 200
    assert not {assorted["consultation"].pk, assorted["resolved"].pk} & set(_listed(response))


@pytest.mark.parametrize(
    "query", ["page=abc", "page=999", "sort=bogus", "status=bogus", "age=7", "rule=bogus", "compact=no-such-compact"]
)
def test_a_mangled_address_still_shows_the_list(client_for, assorted, query):
    response = client_for("administrator").get(f"{_url('flag_list')}?{query}")

    assert response.status_code == 200
    assert _listed(response)


# --- Sorting and pages -----------------------------------------------------------------------------------------


@pytest.fixture
def to_sort(compact, today):
    """Three flags whose due dates, dates found and organisations sort in three different orders."""
    return [
        FlagFactory(
            compact=compact,
            organisation=PublicBodyFactory(name="Bravo Council"),
            due_date=datetime.date(2026, 3, 1),
            first_detected=today - 5 * DAY,
        ),
        FlagFactory(
            compact=compact,
            organisation=PublicBodyFactory(name="Charlie Council"),
            due_date=datetime.date(2026, 1, 1),
            first_detected=today - 9 * DAY,
        ),
        FlagFactory(
            compact=compact,
            organisation=PublicBodyFactory(name="Alpha Council"),
            due_date=datetime.date(2026, 2, 1),
            first_detected=today - 1 * DAY,
        ),
    ]


@pytest.mark.parametrize(
    ("sort", "key", "descending"),
    [
        ("", lambda flag: flag.due_date, False),
        ("due", lambda flag: flag.due_date, False),
        ("-due", lambda flag: flag.due_date, True),
        ("found", lambda flag: flag.first_detected, False),
        ("-found", lambda flag: flag.first_detected, True),
        ("organisation", lambda flag: flag.organisation.name, False),
        ("-organisation", lambda flag: flag.organisation.name, True),
    ],
    ids=["default", "due", "-due", "found", "-found", "organisation", "-organisation"],
)
def test_the_list_sorts_by_due_date_date_found_and_organisation(client_for, to_sort, sort, key, descending):
    response = client_for("administrator").get(f"{_url('flag_list')}?sort={sort}")

    expected = [flag.pk for flag in sorted(to_sort, key=key, reverse=descending)]
    assert _listed(response) == expected


@pytest.mark.parametrize(
    "sort", ["", "due", "-due", "found", "-found", "organisation", "-organisation", "rule", "-rule"]
)
def test_pages_of_a_sorted_list_never_repeat_or_skip_a_flag_that_ties(client_for, compact, council, sort):
    # Every flag has the same due date, date found, organisation and rule: only the tie-break orders them.
    flags = FlagFactory.create_batch(FLAG_PAGE_SIZE + 5, compact=compact, organisation=council)
    client = client_for("administrator")

    shown = [
        *_listed(client.get(f"{_url('flag_list')}?sort={sort}&page=1")),
        *_listed(client.get(f"{_url('flag_list')}?sort={sort}&page=2")),
    ]

    assert len(shown) == len(flags)
    assert sorted(shown) == sorted(flag.pk for flag in flags)


def test_the_list_shows_25_flags_a_page_and_keeps_the_filters_in_the_page_links(client_for, compact, council):
    flags = FlagFactory.create_batch(FLAG_PAGE_SIZE + 1, compact=compact, organisation=council)
    client = client_for("administrator")

    first = client.get(f"{_url('flag_list')}?status=any")
    second = client.get(f"{_url('flag_list')}?status=any&page=2")

    assert len(_listed(first)) == FLAG_PAGE_SIZE
    assert len(_listed(second)) == 1
    assert sorted(_listed(first) + _listed(second)) == sorted(flag.pk for flag in flags)
    assert "Page 1 of 2" in _page(first)
    assert "26 flags" in _page(first)
    assert 'href="?status=any&amp;page=2"' in _page(first)
    assert 'href="?status=any&amp;page=1"' in _page(second)


# --- CSV download ------------------------------------------------------------------------------------------------


def test_the_csv_download_has_the_export_columns_and_one_row_per_flag(client_for, compact, today):
    body = PublicBodyFactory(name="Portsmouth Borough", org_id="GB-LAE-POR")
    FlagFactory(
        compact=compact,
        organisation=body,
        clause="11.2",
        record_label="INV-0042",
        due_date=datetime.date(2026, 11, 2),
        status=FlagStatus.AT_RISK,
    )
    FlagFactory(
        compact=compact,
        organisation=None,
        rule=RuleKey.COMPACT_REVIEW_OVERDUE,
        clause="8",
        record_type=RecordType.COMPACT,
        record_label=compact.slug,
        due_date=datetime.date(2026, 12, 1),
    )

    response = client_for("administrator").get(_url("flags_csv"))

    assert response.status_code == 200
    assert 'filename="compliance-flags.csv"' in response["Content-Disposition"]
    assert _csv(response) == [
        ["rule", "clause", "compact", "organisation_org_id", "record", "due_date", "status"],
        ["invoice_overdue", "11.2", "southsea-compact", "GB-LAE-POR", "INV-0042", "2026-11-02", "at_risk"],
        ["compact_review_overdue", "8", "southsea-compact", "", "southsea-compact", "2026-12-01", "open"],
    ]
    assert tuple(_csv(response)[0]) == FLAG_COLUMNS


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"invoice", "notice", "consultation"}),
        ("compact={compact}&status=any", {"invoice", "notice", "waived"}),
        ("status=resolved", {"resolved"}),
        ("rule=notice_too_short", {"notice"}),
        ("organisation={council}&age=90", {"consultation"}),
    ],
)
def test_the_csv_download_honours_the_filters(client_for, assorted, compact, council, query, expected):
    response = client_for("administrator").get(f"{_url('flags_csv')}?{_query(query, compact, council)}")

    labels = {flag.record_label: name for name, flag in assorted.items()}
    rows = _csv(response)[1:]
    assert sorted(labels[row[4]] for row in rows) == sorted(expected)


def test_the_csv_link_on_the_list_carries_the_filters(client_for, assorted, compact):
    page = _page(client_for("administrator").get(f"{_url('flag_list')}?compact={compact.slug}&status=any"))

    assert f'href="{_url("flags_csv")}?compact={compact.slug}&amp;status=any"' in page


def test_an_officers_csv_holds_only_their_own_bodys_flags(client_for, assorted, council):
    rows = _csv(client_for("officer").get(f"{_url('flags_csv')}?status=any"))[1:]

    assert sorted(row[4] for row in rows) == sorted(
        flag.record_label for flag in assorted.values() if flag.organisation_id == council.pk
    )


# --- Waiving and reopening ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [FlagStatus.OPEN, FlagStatus.AT_RISK])
def test_the_compacts_champion_waives_a_live_flag_with_a_reason(client_for, championed, flag, champion, status):
    flag.status = status
    flag.save()
    client = client_for("champion")

    response = client.post(_url("flag_waive", flag.pk), {"reason": "  Paid by cheque; the bank was slow.  "})

    assert response.status_code == 302
    assert response["Location"] == flag.get_absolute_url()
    flag.refresh_from_db()
    assert flag.status == FlagStatus.WAIVED
    assert flag.status_changed_by == champion
    assert flag.status_reason == "Paid by cheque; the bank was slow."
    event = FlagEvent.objects.get(flag=flag)
    assert (event.status, event.by, event.reason) == (FlagStatus.WAIVED, champion, "Paid by cheque; the bank was slow.")

    page = client.get(response["Location"])
    assert _messages(page) == ["The flag is waived."]
    assert "Waived since" in _page(page)
    assert "by Cara Champion: Paid by cheque; the bank was slow." in _page(page)
    assert "Reopen this flag" in _page(page)
    assert "Waive this flag" not in _page(page)


def test_the_compacts_champion_reopens_a_waived_flag(client_for, championed, flag, champion):
    client = client_for("champion")
    client.post(_url("flag_waive", flag.pk), {"reason": "Paid by cheque."}, follow=True)

    response = client.post(_url("flag_reopen", flag.pk), {"reason": "The cheque bounced."}, follow=True)

    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN
    assert flag.status_reason == "The cheque bounced."
    assert flag.status_changed_by == champion
    assert [(event.status, event.by) for event in FlagEvent.objects.filter(flag=flag)] == [
        (FlagStatus.WAIVED, champion),
        (FlagStatus.OPEN, champion),
    ]
    assert _messages(response) == ["The flag is open again."]
    assert "by Cara Champion: The cheque bounced." in _page(response)
    assert "Waive this flag" in _page(response)


@pytest.mark.parametrize("reason", ["", "   \n  "], ids=["empty", "spaces"])
@pytest.mark.parametrize(("url_name", "status"), [("flag_waive", FlagStatus.OPEN), ("flag_reopen", FlagStatus.WAIVED)])
def test_without_a_reason_the_page_comes_back_with_the_error_and_nothing_changes(
    client_for, championed, flag, url_name, status, reason
):
    flag.status = status
    flag.status_reason = "Paid by cheque." if status == FlagStatus.WAIVED else flag.status_reason
    flag.save()

    response = client_for("champion").post(_url(url_name, flag.pk), {"reason": reason})

    assert response.status_code != 302
    assert response.templates[0].name == "commitments/flag_detail.html"
    assert "There is a problem" in _page(response)
    assert REASON_MISSING in _page(response)
    assert 'href="#id_reason"' in _page(response)
    assert _unchanged(flag)


@pytest.mark.parametrize(
    ("url_name", "status", "message"),
    [
        ("flag_waive", FlagStatus.WAIVED, "Only an open or at-risk flag can be waived; this one is waived."),
        ("flag_waive", FlagStatus.RESOLVED, "Only an open or at-risk flag can be waived; this one is resolved."),
        ("flag_reopen", FlagStatus.OPEN, "Only a waived flag can be reopened; this one is open."),
        ("flag_reopen", FlagStatus.AT_RISK, "Only a waived flag can be reopened; this one is at risk."),
        ("flag_reopen", FlagStatus.RESOLVED, "Only a waived flag can be reopened; this one is resolved."),
    ],
)
def test_a_flag_in_the_wrong_state_is_refused_with_a_clear_message(
    client_for, championed, flag, url_name, status, message
):
    flag.status = status
    flag.status_reason = "Settled earlier."
    flag.save()

    response = client_for("champion").post(_url(url_name, flag.pk), {"reason": "A second thought."}, follow=True)

    assert response.redirect_chain == [(flag.get_absolute_url(), 302)]  # the flag as it now stands
    assert message in _messages(response)
    assert _unchanged(flag)


def _forms(page: str) -> list[tuple[str, str]]:
    """(address, button label) of each form on a page that posts to a flag's waive or reopen address."""
    forms = re.findall(r'<form method="post" action="([^"]+/(?:waive|reopen)/)"(.*?)</form>', page, re.S)
    return [
        (action, re.search(r'type="submit"\s+name="submit"\s+value="([^"]+)"', body).group(1)) for action, body in forms
    ]


@pytest.mark.parametrize(("url_name", "status"), [("flag_waive", FlagStatus.WAIVED), ("flag_reopen", FlagStatus.OPEN)])
def test_after_a_refusal_the_form_offered_does_what_its_button_says(client_for, championed, flag, url_name, status):
    # Two champions on the same flag: the other one acted first, so this one's button is out of date.
    flag.status = status
    flag.status_reason = "Decided by the other champion."
    flag.save()

    page = _page(client_for("champion").post(_url(url_name, flag.pk), {"reason": "A second thought."}, follow=True))

    [(action, label)] = _forms(page)
    assert label == ("Waive this flag" if action.endswith("/waive/") else "Reopen this flag")
    assert action.endswith("/reopen/" if status == FlagStatus.WAIVED else "/waive/")


@pytest.mark.parametrize(
    ("person", "status_code"),
    [
        ("officer", 403),  # an officer of the flag's organisation: sees the flag, may not decide
        ("administrator", 403),
        ("champion_elsewhere", 404),  # a champion of another compact does not see the flag at all
        ("champion_elsewhere_and_officer", 403),  # ... unless also an officer of its organisation
        ("unappointed_champion", 404),
    ],
)
@pytest.mark.parametrize(("url_name", "status"), [("flag_waive", FlagStatus.OPEN), ("flag_reopen", FlagStatus.WAIVED)])
def test_only_a_champion_of_the_flags_compact_can_waive_or_reopen_it(
    signed_in, request, flag, other_compact, council, person, status_code, url_name, status
):
    flag.status = status
    flag.status_reason = "Paid by cheque." if status == FlagStatus.WAIVED else flag.status_reason
    flag.save()
    if person in ("officer", "administrator", "unappointed_champion"):
        user = request.getfixturevalue({"unappointed_champion": "champion"}.get(person, person))
    else:
        user = ChampionFactory(compact=other_compact, organisation=council, user__full_name="Elsie Elsewhere").user
        MembershipFactory(user=user, organisation=council, role=Role.CHAMPION)
        if person == "champion_elsewhere_and_officer":
            MembershipFactory(user=user, organisation=council, role=Role.OFFICER)

    response = signed_in(user).post(_url(url_name, flag.pk), {"reason": "I think it is fine."})

    assert response.status_code == status_code
    assert _unchanged(flag)


@pytest.mark.parametrize("url_name", ["flag_waive", "flag_reopen"])
def test_waive_and_reopen_only_accept_a_post(client_for, championed, flag, url_name):
    response = client_for("champion").get(_url(url_name, flag.pk))

    assert response.status_code == 405
    assert _unchanged(flag)


@pytest.mark.parametrize(("person", "offered"), [("champion", True), ("officer", False), ("administrator", False)])
def test_only_the_compacts_champion_is_offered_the_waive_form(client_for, championed, flag, person, offered):
    page = _page(client_for(person).get(flag.get_absolute_url()))

    assert ("Waive this flag" in page) == offered
    assert (f'action="{_url("flag_waive", flag.pk)}"' in page) == offered


def test_a_resolved_flag_offers_its_champion_nothing_to_do(client_for, championed, flag):
    flag.status = FlagStatus.RESOLVED
    flag.status_reason = "Resolved by the compliance scan: the record was put right."
    flag.save()

    page = _page(client_for("champion").get(flag.get_absolute_url()))

    assert '<form method="post"' not in page.split("<main", 1)[1]
    assert "Resolved since" in page


# --- Query budgets ----------------------------------------------------------------------------------------------


def _mixed_flags(number: int, compact, today, organisation=None) -> list:
    """``number`` flags, half of them each in a compact of its own, each with an organisation of its own unless one
    is given: a third on real invoices, whose links need a query, the others on notices and compacts."""
    relationship = AwardedFundingFactory(compact=compact)
    flags = []
    for index in range(number):
        kind = index % 3
        fields = {"compact": compact if index % 2 else CompactFactory(), "first_detected": today}
        if organisation is not None:
            fields["organisation"] = organisation
        if kind == 0:
            invoice = InvoiceFactory(relationship=relationship)
            flags.append(FlagFactory(record_id=invoice.pk, record_label=invoice.invoice_number, **fields))
        else:
            flags.append(FlagFactory(record_type=RecordType.NOTICE if kind == 1 else RecordType.COMPACT, **fields))
    return flags


@pytest.mark.parametrize("person", ["administrator", "champion", "officer"])
def test_the_lists_query_count_does_not_grow_with_the_number_of_flags(
    client_for, request, compact, council, today, person, django_assert_max_num_queries
):
    # The officer's body is responsible for every flag; the champion is appointed to every compact they are in.
    user = request.getfixturevalue(person)
    client = client_for(person)
    organisation = council if person == "officer" else None

    def make(number):
        flags = _mixed_flags(number, compact, today, organisation)
        if person == "champion":
            for each in {flag.compact for flag in flags} - set(Compact.objects.filter(champions__user=user)):
                ChampionFactory(compact=each, organisation=council, user=user)
        return flags

    make(3)
    with CaptureQueriesContext(connection) as with_few:
        assert len(_listed(client.get(_url("flag_list")))) == 3

    make(37)
    with django_assert_max_num_queries(len(with_few.captured_queries)):
        response = client.get(_url("flag_list"))

    assert len(_listed(response)) == FLAG_PAGE_SIZE
    assert "40 flags" in _page(response)
    assert "#invoice-" in _page(response)  # the invoice flags link to their invoice on its relationship's page
    assert len(with_few.captured_queries) <= 10  # session, user, roles, clauses, count, flags, invoices, 2 choices


def test_a_flags_page_costs_the_same_however_long_its_history(
    client_for, championed, compact, council, django_assert_max_num_queries
):
    invoice = InvoiceFactory(relationship=AwardedFundingFactory(compact=compact, funder=council))
    flag = FlagFactory(compact=compact, organisation=council, record_id=invoice.pk, record_label=invoice.invoice_number)
    FlagEvent.objects.create(flag=flag, status=FlagStatus.OPEN, reason="Found.", at=timezone.now())
    client = client_for("champion")
    with CaptureQueriesContext(connection) as short_history:
        assert "Waive this flag" in _page(client.get(flag.get_absolute_url()))

    for number in range(39):
        FlagEvent.objects.create(
            flag=flag,
            status=FlagStatus.WAIVED if number % 2 == 0 else FlagStatus.OPEN,
            reason=f"Change {number}.",
            by=UserFactory(),
            at=timezone.now(),
        )
    FlagFactory.create_batch(40, compact=compact, organisation=council)
    with django_assert_max_num_queries(len(short_history.captured_queries)):
        response = client.get(flag.get_absolute_url())

    assert f'href="{reverse("funding:relationship_detail", args=[invoice.relationship_id])}#invoice-{invoice.pk}"' in (
        _page(response)
    )
    assert _page(response).count('<li class="mb-2"><strong>') == 40
    assert len(short_history.captured_queries) <= 8  # session, user, roles, flag, history, champion?, invoice


def test_the_clause_choices_are_read_as_one_row_per_clause_not_one_per_flag(client_for, compact, council):
    FlagFactory.create_batch(30, compact=compact, organisation=council)  # all under clause 11.2
    with CaptureQueriesContext(connection) as queries:
        client_for("administrator").get(_url("flag_list"))

    clause_queries = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT DISTINCT") and '"clause"' in q["sql"]
    ]
    assert len(clause_queries) == 1
    with connection.cursor() as cursor:
        cursor.execute(clause_queries[0])
        assert len(cursor.fetchall()) == 1


def test_whoever_is_offered_the_waive_form_can_use_it(signed_in, flag, council):
    user = MembershipFactory(organisation=council, role=Role.OFFICER, user__full_name="Appointed Officer").user
    ChampionFactory(compact=flag.compact, organisation=council, user=user)  # appointed in the admin, no champion role
    client = signed_in(user)

    offered = "Waive this flag" in _page(client.get(flag.get_absolute_url()))
    response = client.post(_url("flag_waive", flag.pk), {"reason": "Paid by cheque."})

    assert offered == (response.status_code == 302)
