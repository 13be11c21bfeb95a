"""Numbers, percentages, money and dates the reader's way (issue 15, item 12): one helper, its template
filters, and the places the issue reported."""

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from sentinelle.core import disclosure, formatting

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (28380, f"28{NNBSP}380"),
        (177825, f"177{NNBSP}825"),
        (-1234567, f"-1{NNBSP}234{NNBSP}567"),
        (12.5, "12,5"),
        (Decimal("1234.56"), f"1{NNBSP}234,6"),
        (3.0, "3"),
        (None, "—"),
        ("<5", "<5"),
    ],
)
def test_numbers_in_french(value, text):
    assert formatting.number(value) == text


def test_numbers_in_english():
    with translation.override("en"):
        assert formatting.number(28380) == "28,380"
        assert formatting.number(1234.5) == "1,234.5"
        assert formatting.percent(Decimal("58.82")) == "58.8%"
        assert formatting.money(35000) == f"35,000{NBSP}XOF"


def test_percent_and_money():
    assert formatting.percent(Decimal("58.823529")) == f"58,8{NBSP}%"
    assert formatting.money(35000) == f"35{NNBSP}000{NBSP}XOF"
    assert formatting.money(Decimal("1200000.00"), "USD") == f"1{NNBSP}200{NNBSP}000{NBSP}USD"
    assert formatting.money(None) == "—"


def test_dates():
    day = datetime.date(2026, 12, 7)
    assert formatting.day(day) == "07/12/2026"
    assert formatting.day(day, long=True) == "7 décembre 2026"
    moment = timezone.make_aware(datetime.datetime(2026, 12, 7, 23, 30), datetime.UTC)
    assert formatting.moment(moment) == "07/12/2026 23:30"  # Bamako is on UTC
    assert formatting.period(day, None) == "07/12/2026 – …"


def test_disclosure_control_writes_numbers_with_the_same_helper():
    assert disclosure.number is formatting.number and disclosure.percent is formatting.percent


def test_template_filters_are_available_everywhere():
    template = Template(
        '{{ n|num }} · {{ p|pct }} · {{ a|money }} · {{ b|money:"EUR" }} · {{ d|day }} · {{ d|day:"long" }}'
    )
    text = template.render(
        Context({"n": 28380, "p": 58.8, "a": 35000, "b": 12, "d": datetime.date(2026, 1, 5)})
    )
    assert text == (
        f"28{NNBSP}380 · 58,8{NBSP}% · 35{NNBSP}000{NBSP}XOF · 12{NBSP}EUR · 05/01/2026 · 5 janvier 2026"
    )
