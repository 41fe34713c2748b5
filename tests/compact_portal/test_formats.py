"""Money and dates in one style: "£3,125.00" and "4 December 2026" in prose, "4 Dec 2026" in tables."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils.formats import date_format

from compact_portal.formatting import long_date, money

DAY = datetime.date(2026, 12, 4)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("3125"), "£3,125.00"),
        (Decimal("3125.5"), "£3,125.50"),
        (Decimal("12.3"), "£12.30"),
        (0, "£0.00"),
        (999, "£999.00"),
        (1000, "£1,000.00"),
        (Decimal("1234567.89"), "£1,234,567.89"),
        (Decimal("-5"), "-£5.00"),
        (None, "–"),
    ],
)
def test_money(amount, shown):
    assert money(amount) == shown


@pytest.mark.parametrize(
    ("day", "shown"),
    [(DAY, "4 December 2026"), (datetime.date(2027, 1, 31), "31 January 2027"), (None, "–")],
)
def test_long_date(day, shown):
    assert long_date(day) == shown


def test_the_filters_and_a_bare_date_read_the_same():
    page = Template("{% load portal %}{{ amount|money }}|{{ day|long_date }}|{{ day }}|{{ day|date }}").render(
        Context({"amount": Decimal("3125"), "day": DAY})
    )

    assert page == "£3,125.00|4 December 2026|4 December 2026|4 December 2026"


def test_tables_have_one_compact_date():
    assert date_format(DAY, "SHORT_DATE_FORMAT") == "4 Dec 2026"
    assert date_format(datetime.datetime(2026, 12, 4, 9, 5), "SHORT_DATETIME_FORMAT") == "4 Dec 2026, 09:05"


TEMPLATE_FOLDERS = [Path(settings.BASE_DIR) / "templates", *Path(settings.BASE_DIR).glob("*/templates")]
# Money by hand ("£{{ x }}", floatformat) and numeric dates (04/12/2026) are the styles the portal no longer uses.
OLD_STYLES = re.compile(r'£\{\{|floatformat|\|date:"d/m/Y"|\|date:"SHORT_DATETIME_FORMAT"|%d/%m/%Y')


def test_no_template_formats_money_or_dates_by_hand():
    templates = [path for folder in TEMPLATE_FOLDERS for path in folder.rglob("*") if path.suffix in (".html", ".txt")]
    assert len(templates) > 50  # the folders were found

    by_hand = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}: {line.strip()[:80]}"
        for path in templates
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if OLD_STYLES.search(line)
    ]

    assert by_hand == []
