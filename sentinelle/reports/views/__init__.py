"""Views of the reports app: the dashboards and their downloads (dashboards.py), the reports (reports.py)."""
