"""The risk and referral-status badges: one definition for the case page, the lists and the home page.

Tags rather than includes: a list renders one per row, and an include per row cost more than the row.
"""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext

register = template.Library()

RISK_CLASSES = {"high": "badge bad", "medium": "badge warn", "low": "badge ok"}
REFERRAL_CLASSES = {
    "completed": "badge ok",
    "accepted": "badge ok",
    "declined": "badge bad",
    "cancelled": "badge bad",
    "pending": "badge warn",
}


@register.simple_tag
def risk_badge(level: str, label: str) -> str:
    if level not in RISK_CLASSES:
        return format_html('<span class="badge">{}</span>', gettext("Not assessed"))
    return format_html('<span class="{}">{}</span>', RISK_CLASSES[level], label)


@register.simple_tag
def referral_status_badge(status: str, label: str) -> str:
    css = REFERRAL_CLASSES.get(status, "badge")
    return format_html('<span class="{}" data-testid="referral-status">{}</span>', css, label)
