"""Gunicorn for Sentinelle under systemd (deploy/sentinelle-web.service, started by sentinelle-web.socket).

The listening socket comes from systemd (socket activation: /run/sentinelle/web.sock, owned by nginx's
user), so `bind` below is only for a manual run. Settings come from the environment file; the two values
here that an operator may want to change are read from it too.
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"
bind = ["unix:/run/sentinelle/web.sock"]

# Synchronous workers: requests are short, nginx buffers slow clients (uploads from phones on 2G/3G
# included), and the database is the bottleneck. 2 x cores + 1, at most 9 unless set.
workers = int(os.environ.get("GUNICORN_WORKERS") or min(2 * multiprocessing.cpu_count() + 1, 9))
# The longest request: a PDF report or a large export. nginx's proxy_read_timeout is a little longer.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 120)
graceful_timeout = 30
# Recycle workers now and then (long-lived processes, large reports).
max_requests = 2000
max_requests_jitter = 200
# Only nginx can reach the socket (mode 0600, owned by www-data): trust its X-Forwarded-* headers.
forwarded_allow_ips = "*"
proxy_allow_ips = "*"

# Errors to the journal; no access log here: nginx keeps one without query strings (URLs carry search
# terms), so personal data stays out of the logs.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("DJANGO_LOG_LEVEL", "info").lower()
capture_output = True
