"""The idle timeout, without a session write on every request.

A session expires SESSION_COOKIE_AGE (SENTINELLE_IDLE_TIMEOUT_MINUTES) after it was last saved: the expiry
is stored with the session row, so keeping an active user signed in means saving the session. Saving it on
every request (SESSION_SAVE_EVERY_REQUEST) cost a database write per page, list and HTMX swap. Here the
session is saved when its last save is older than the refresh interval (a tenth of the timeout, at most a
minute): an idle user is signed out between timeout - interval and timeout after their last request, and an
active one costs one write a minute.
"""

import time

from django.conf import settings

LAST_SAVED = "_idle_saved_at"
MAX_REFRESH_SECONDS = 60


def refresh_seconds() -> int:
    return min(MAX_REFRESH_SECONDS, max(1, settings.SESSION_COOKIE_AGE // 10))


class IdleTimeoutMiddleware:
    """After SessionMiddleware: marks a stale session modified, so that it is saved with a new expiry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        # Loading a cookie's session that expired or never existed leaves no key: nothing to keep alive.
        if session.keys() and session.session_key is not None:
            now = int(time.time())
            if now - session.get(LAST_SAVED, 0) >= refresh_seconds():
                session[LAST_SAVED] = now
        response = self.get_response(request)
        # A session written during the request (sign-in, a message) starts its interval now.
        if session.modified and not session.is_empty():
            session[LAST_SAVED] = int(time.time())
        return response
