"""API views: the read-only resources (resources.py), the statistics (stats.py), the schema and its page
(docs.py), and the page where users manage their tokens (tokens.py)."""
