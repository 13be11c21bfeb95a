"""Periods and whole months: what a table by month (a roll-up) can answer exactly, and how a period splits
into whole months and the days around them."""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

if TYPE_CHECKING:
    from sentinelle.core.datasets import Filters


def month_aligned(start: date | None, end: date | None) -> bool:
    """Does the period start on a month's first day and end on a month's last (an open end counts)?"""
    if start and start.day != 1:
        return False
    return not end or end.day == calendar.monthrange(end.year, end.month)[1]


def month_split(filters: Filters) -> tuple[list[Filters], Filters | None]:
    """The period's days outside whole months (as filters of their own, at most two) and its whole months
    (None when there are none); ([], filters) when the period falls on month boundaries."""
    start, end = filters.date_from, filters.date_to
    if month_aligned(start, end):
        return [], filters
    partial: list[Filters] = []
    whole_from, whole_to = start, end
    if start and start.day != 1:
        month_end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        partial.append(replace(filters, date_from=start, date_to=min(month_end, end) if end else month_end))
        whole_from = month_end + timedelta(days=1)
    if end and end.day != calendar.monthrange(end.year, end.month)[1]:
        month_start = end.replace(day=1)
        tail_from = max(month_start, start) if start else month_start
        if not partial or tail_from > partial[0].date_to:  # else the first month holds the whole period
            partial.append(replace(filters, date_from=tail_from, date_to=end))
        whole_to = month_start - timedelta(days=1)
    if whole_from and whole_to and whole_from > whole_to:
        return partial, None
    return partial, replace(filters, date_from=whole_from, date_to=whole_to)


def day_start(day: date) -> datetime:
    """The first moment of `day` in the current time zone: "up to that day" compares a timestamp with the
    next day's start, so that the timestamp's own index serves (a cast of every row to its date cannot)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def period_lookups(path: str, start: date | None, end: date | None, *, moment: bool = False) -> dict:
    """The lookups that keep the rows whose date at `path` lies in [start, end]; `moment`: `path` is a
    timestamp, compared by range with the first moments of the days (same rows as its local date)."""
    lookups = {}
    if moment:
        if start:
            lookups[f"{path}__gte"] = day_start(start)
        if end:
            lookups[f"{path}__lt"] = day_start(end + timedelta(days=1))
        return lookups
    if start:
        lookups[f"{path}__gte"] = start
    if end:
        lookups[f"{path}__lte"] = end
    return lookups
