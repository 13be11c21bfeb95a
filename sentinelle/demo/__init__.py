"""Demo data: not runtime code. One module per app (a package where an app's demo is split), each with
`seed(*, stdout, style)` and optionally `summary(*, stdout, style)`, run in order by `manage.py seed_demo`.

Imported only by `seed_demo`, the tests and the bench; left out of the wheel (pyproject.toml) and installed
as an app only with DJANGO_DEBUG or SENTINELLE_DEMO on (config/settings.py) and in the test settings. An
import-linter contract forbids the apps to import it.
"""
