"""Token authentication for the REST API: "Authorization: Token <token>" (or "Bearer <token>")."""

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from sentinelle.api.tokens import api_token_authenticate

KEYWORDS = (b"token", b"bearer")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Refused tokens (unknown, revoked, expired, inactive user) answer 401 alike; each refusal is audited."""

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header: give exactly one token."))
        try:
            token = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token.")) from None
        result = api_token_authenticate(token, request=request._request)
        if result is None:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        return result

    def authenticate_header(self, request):
        return 'Token realm="api"'
