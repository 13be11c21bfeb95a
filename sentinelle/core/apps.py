from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def _register_sqlite_functions(sender, connection, **kwargs):
    """SQLite has no session settings: the audit trigger asks this function instead."""
    if connection.vendor != "sqlite":
        return
    from django.conf import settings

    def audit_maintenance() -> int:
        return int(bool(settings.SENTINELLE.get("AUDIT_MAINTENANCE", False)))

    connection.connection.create_function("sentinelle_audit_maintenance", 0, audit_maintenance)


class CoreConfig(AppConfig):
    name = "sentinelle.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from sentinelle.core import checks  # noqa: F401  (registers system checks)
        from sentinelle.core.lookups import register as register_lookups

        register_lookups()

        connection_created.connect(_register_sqlite_functions, dispatch_uid="sentinelle-sqlite-functions")
        from sentinelle.core.pg_loaders import register_iso_loader

        connection_created.connect(register_iso_loader, dispatch_uid="sentinelle-pg-iso-timestamps")
        _import_datasets()


def _import_datasets():
    """Each Sentinelle app declares its figures in `<app>/datasets.py` (see core/datasets.py)."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    for config in apps.get_app_configs():
        if config.name.startswith("sentinelle.") and find_spec(f"{config.name}.datasets"):
            import_module(f"{config.name}.datasets")
