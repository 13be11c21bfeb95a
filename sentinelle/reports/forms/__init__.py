"""Forms of the reports app: the dashboards' filters (dashboards.py), generating a report and editing its
narrative (reports.py)."""
