"""Template filters of core/formatting.py, available in every template (settings TEMPLATES "builtins"):
{{ n|num }} "177 825" · {{ share|pct }} "58,8 %" · {{ amount|money:"XOF" }} "35 000 XOF" ·
{{ when|day }} "07/12/2026" · {{ when|day:"long" }} "7 décembre 2026" · {{ when|moment }} "07/12/2026 14:05".
"""

from django import template

from sentinelle.core import formatting

register = template.Library()


@register.filter
def num(value, places=1):
    return formatting.number(value, int(places))


@register.filter
def pct(value, places=1):
    return formatting.percent(value, int(places))


@register.filter
def money(value, currency="XOF"):
    return formatting.money(value, currency or "XOF")


@register.filter
def day(value, style=""):
    return formatting.day(value, long=style == "long")


@register.filter
def moment(value):
    return formatting.moment(value)
