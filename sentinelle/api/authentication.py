"""Token authentication for the REST API: "Authorization: Token <token>" (or "Bearer <token>").

Failed authentications count per client address (`api.auth_failure`, core/throttles.py); once the client's
bucket is empty, its tokens are not even looked up: 429 with Retry-After, audited.
"""

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from sentinelle.api.throttles import TooManyRequests
from sentinelle.api.tokens import api_token_authenticate
from sentinelle.core.throttles import TooManyAttempts, client_address, throttle_check, throttle_count

KEYWORDS = (b"token", b"bearer")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Refused tokens (unknown, revoked, expired, inactive user) answer 401 alike; each refusal is audited."""

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        doors = [("api.auth_failure", client_address(request._request))]
        try:
            throttle_check(doors, request=request._request, channel="api")
        except TooManyAttempts as refusal:
            raise TooManyRequests(refusal) from None
        if len(parts) != 2:
            throttle_count(doors)
            raise exceptions.AuthenticationFailed(_("Invalid token header: give exactly one token."))
        try:
            token = parts[1].decode()
        except UnicodeError:
            token = None
        result = api_token_authenticate(token, request=request._request) if token is not None else None
        if result is None:
            throttle_count(doors)
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        return result

    def authenticate_header(self, request):
        return 'Token realm="api"'
