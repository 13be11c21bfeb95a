"""Sign in with a username or an e-mail address, case-insensitively; locked accounts never pass."""

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from sentinelle.accounts.models import User


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
        if user.is_locked() or not self.user_can_authenticate(user):
            return None
        if user.check_password(password):
            return user
        return None
