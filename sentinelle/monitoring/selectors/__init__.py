"""Reads of the monitoring app, always given the user and scoped: incidents and duplicates, alerts."""
