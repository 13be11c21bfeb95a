"""Forms of the activities app: programmes and projects, 4W reporting, results frameworks."""
