"""The REST API under the one policy (core/permissions.py): each view declares `required_perm`."""

from rest_framework.permissions import BasePermission

from sentinelle.core.permissions import ACCESS_ATTRIBUTE, PUBLIC, audit_refusal, has_perm


class PolicyPermission(BasePermission):
    """Signed in with a token and holding the view's `required_perm`; refusals are audited.

    A view without `required_perm` is refused to everyone (deny by default); PUBLIC opens it to anyone.
    """

    def has_permission(self, request, view):
        perm = getattr(view, "required_perm", None)
        if perm == PUBLIC:
            return True
        user = request.user
        if perm is None or not getattr(user, "is_authenticated", False):
            return False
        if has_perm(user, perm):
            return True
        audit_refusal(
            user,
            perm,
            object_type="view",
            object_id=request.resolver_match.view_name if request.resolver_match else "",
            request=request._request,
            detail={"channel": "api"},
        )
        return False


class DeclaredAccess:
    """Mixin for every API view: `as_view` carries the access declaration that core/tests/test_urls.py
    walks (the `required_perm`, or PUBLIC), like @require_perm / @public do for the UI."""

    required_perm = None

    @classmethod
    def as_view(cls, *args, **kwargs):
        view = super().as_view(*args, **kwargs)
        if cls.required_perm is None:
            raise TypeError(f"{cls.__name__} declares no required_perm.")
        setattr(view, ACCESS_ATTRIBUTE, cls.required_perm)
        return view
