"""Pages of the activities app."""
