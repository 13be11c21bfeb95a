"""Numbers, percentages, money and dates as a reader writes them: the one place that decides (issue 15, 12).

French (the default, and every language but English): a narrow no-break space between thousands
("177 825"), a decimal comma ("12,5"), a no-break space before "%" ("58,8 %") and before the currency,
dates as "07/12/2026" (short) or "7 décembre 2026" (long). English: "177,825", "12.5", "58.8%", "12/07/2026"
(Django's English formats) or "December 7, 2026".

Money is written with the ISO code after the amount ("35 000 XOF"): the application holds budgets in XOF,
USD, EUR and CHF side by side, and one notation for all of them reads better in a table than "F CFA" next
to "USD"; the code is also what partners' financial reports (FTS, cash working groups) use.

Pages use the template filters of core/templatetags/formatting.py (`num`, `pct`, `money`, `day`,
`moment`), available in every template; Python code (charts, PDFs, disclosure control) calls these
functions. Text that is not a number (a "<5" of disclosure control, "—") passes through unchanged.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.utils import formats, timezone, translation

NARROW_NBSP = "\u202f"
NBSP = "\u00a0"
MISSING = "—"


def _english() -> bool:
    return (translation.get_language() or "fr").startswith("en")


def _group(digits: str) -> str:
    """'1234567' or '-1234567' -> grouped by thousands with the reader's separator."""
    grouped = f"{int(digits):,}"
    return grouped if _english() else grouped.replace(",", NARROW_NBSP)


def number(value, places: int = 1) -> str:
    """A number: whole numbers grouped by thousands; a fraction with `places` decimals (a fraction that
    rounds to a whole number is written without them); None as "—"; anything else as it is."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return _group(str(value))
    if not isinstance(value, float | Decimal):
        return str(value)
    try:
        rounded = round(Decimal(str(value)), places)
    except InvalidOperation:  # nan, infinity
        return str(value)
    if rounded == rounded.to_integral_value():
        return _group(str(int(rounded)))
    whole, _dot, fraction = f"{abs(rounded):.{places}f}".partition(".")
    sign = "-" if rounded < 0 else ""
    return f"{sign}{_group(whole)}{'.' if _english() else ','}{fraction}"


def percent(value, places: int = 1) -> str:
    """A percentage of `value` (already ×100): "58,8 %" in French, "58.8%" in English."""
    if value is None:
        return MISSING
    shown = number(Decimal(str(value)), places)
    return f"{shown}%" if _english() else f"{shown}{NBSP}%"


def money(amount, currency: str = "XOF") -> str:
    """An amount with its ISO currency code: "35 000 XOF" (no decimals for whole amounts)."""
    if amount is None:
        return MISSING
    return f"{number(amount, 2)}{NBSP}{currency}"


def day(value, *, long: bool = False) -> str:
    """A date: "07/12/2026", or with `long` "7 décembre 2026"; a datetime counts as its local date."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return formats.date_format(value, "DATE_FORMAT" if long else "SHORT_DATE_FORMAT")


def moment(value) -> str:
    """A date and time in local time: "07/12/2026 14:05"."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "SHORT_DATETIME_FORMAT")


def period(start: datetime.date | None, end: datetime.date | None) -> str:
    """A period between two dates, either open: "01/01/2026 – 07/12/2026", "… – 07/12/2026"."""
    return f"{day(start) if start else '…'} – {day(end) if end else '…'}"
