"""Template context for every page: the navigation the user's roles open.

The navigation depends only on the set of roles (each entry is a permission asked without an object) and
on the URL prefix: it is built once per set of roles in a process, not on every page (a permission check
and a URL reversal per entry). Its labels stay lazy, so each page shows them in the reader's language.
"""

from django.urls import get_script_prefix

from sentinelle.core.home import navigation_for
from sentinelle.core.permissions import roles_of

_BUILT: dict[tuple, list[dict]] = {}


def navigation(request):
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return {"navigation": []}
    key = (frozenset(roles_of(user)), get_script_prefix())
    entries = _BUILT.get(key)
    if entries is None:
        entries = _BUILT[key] = navigation_for(user)
    return {"navigation": entries}
