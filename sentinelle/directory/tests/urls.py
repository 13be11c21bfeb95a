"""The project URLconf with the directory mounted at /services/ (as the lead mounts it), for these tests.

Once config/urls.py includes the directory, this module adds nothing and the tests use the real mount.
"""

from django.urls import include, path

from config.urls import *  # noqa: F403
from config.urls import urlpatterns as project_patterns

_mounted = any(getattr(pattern, "namespace", None) == "directory" for pattern in project_patterns)
urlpatterns = list(project_patterns)
if not _mounted:
    urlpatterns.append(path("services/", include("sentinelle.directory.urls")))
