"""API URLs: the endpoints under /api/v1/ (v1.py, namespace "api") and the page where users manage their
tokens, under /compte/jetons-api/ (tokens.py, namespace "api-pages")."""
