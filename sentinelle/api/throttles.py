"""The API's throttle: core/throttles.py's buckets (in the database, shared by every process) behind DRF.

Authenticated calls count per user, anonymous ones per client address (`api.user`, `api.client` in
SENTINELLE["THROTTLES"]); failed token authentications count per client in authentication.py. A refused
call answers 429 with Retry-After and a message in the request's language (French by default), and is
audited once.
"""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from sentinelle.core.throttles import TooManyAttempts, client_address, throttle_take


class TooManyRequests(exceptions.Throttled):
    """429 with Retry-After, and our message only (DRF's Throttled would append its own sentence)."""

    def __init__(self, refusal: TooManyAttempts):
        message = _("Too many requests. Wait %(seconds)s seconds, then try again.")
        exceptions.APIException.__init__(self, message % {"seconds": refusal.retry_after})
        self.wait = refusal.retry_after


class ApiThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        user = request.user
        if user is not None and user.is_authenticated:
            doors = [("api.user", str(user.pk))]
        else:
            user = None
            doors = [("api.client", client_address(request._request))]
        try:
            throttle_take(doors, request=request._request, user=user, channel="api")
        except TooManyAttempts as refusal:
            # Raised here rather than answering False: DRF's own message would not be ours.
            raise TooManyRequests(refusal) from None
        return True
