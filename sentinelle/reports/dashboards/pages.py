"""The dashboard pages: each a title and the figures it shows, in order (keys of figures.FIGURES)."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from sentinelle.reports.dashboards.figures import FIGURES

PROTECTION = [
    "incidents_by_month",
    "victims_by_sex_age",
    "incidents_map",
    "gbv_types",
    "grave_violations",
    "eo_casualties",
    "displacement_by_status",
    "referral_funnel",
    "caseload_by_risk",
    "coverage",
]


@dataclass(frozen=True)
class Page:
    name: str  # the URL name, "reports:dashboard-<name>"
    title: str
    figures: tuple


PAGES = {
    page.name: page
    for page in (
        Page("national", _("National protection dashboard"), tuple(PROTECTION)),
        Page("region", _("Regional protection dashboard"), tuple(PROTECTION)),
        Page(
            "gbv",
            _("Gender-based violence"),
            ("gbv_types", "gbv_by_sex_age", "gbv_by_month", "gbv_map", "cases_gbv"),
        ),
        Page(
            "child-protection",
            _("Child protection"),
            (
                "grave_violations",
                "grave_violations_by_sex_age",
                "grave_violations_by_month",
                "victims_children",
                "cases_child_protection",
            ),
        ),
        Page(
            "displacement",
            _("Population movement"),
            ("displacement_by_status", "displacement_map", "displacement_events", "people_in_need"),
        ),
        Page(
            "referrals",
            _("Referrals and case load"),
            ("referral_funnel", "referrals_by_service", "caseload_by_risk"),
        ),
        Page(
            "4w",
            _("Who does what where (4W)"),
            (
                "coverage",
                "activities_by_type",
                "activities_by_organisation",
                "reached_by_sex_age",
                "trainings",
            ),
        ),
    )
}
assert all(key in FIGURES for page in PAGES.values() for key in page.figures)
