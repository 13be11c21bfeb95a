"""Sign in with a username or an e-mail address, case-insensitively.

Throttling (per client and per username, known or not) happens before this backend is asked, in
services.user_sign_in; the backend itself answers in the same time whether the account exists or not.
"""

import unicodedata

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from sentinelle.accounts.models import User


def normalise_identifier(identifier: str) -> str:
    """The form of a username or e-mail that throttles count: "Manager ", "MANAGER" and "manager" alike."""
    return unicodedata.normalize("NFKC", identifier or "").strip().casefold()


def user_by_identifier(identifier: str) -> User | None:
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    return User.objects.filter(Q(username__iexact=identifier) | Q(email__iexact=identifier)).first()


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = user_by_identifier(username)
        if user is None:
            # Spend the same time as a real check so that timing does not reveal unknown accounts.
            User().set_password(password)
            return None
        # The password first, as Django's ModelBackend does: an inactive account takes as long to refuse.
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
