"""Dashboards: the figures (figures.py, built by build.py from core.datasets through disclosure control),
the pages that show them (pages.py) and the scope every figure of a page is computed for (scope.py)."""
