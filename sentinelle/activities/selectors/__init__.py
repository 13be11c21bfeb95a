"""Reads of the activities app, always scoped by the policy."""
