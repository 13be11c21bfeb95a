"""Writes of the activities app: programmes and projects, monthly 4W reporting (and results, elsewhere)."""
