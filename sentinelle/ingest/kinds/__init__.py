"""The registry of import kinds. A domain's kind registers itself here; later issues add theirs.

    from sentinelle.ingest.kinds import get_kind, kind_choices
    kind = get_kind("incidents")

A kind is an ImportKind subclass decorated with @register in a module of this package (see base.py for
what it declares and implements, kinds/incidents.py for a complete one).
"""

import importlib
import pkgutil

from django.utils.translation import gettext as _

from sentinelle.ingest.kinds.base import ImportColumn, ImportKind, Row, RowError

_REGISTRY: dict[str, ImportKind] = {}


def register(kind_class: type[ImportKind]) -> type[ImportKind]:
    """Class decorator: one instance per kind code."""
    _REGISTRY[kind_class.code] = kind_class()
    return kind_class


_HELPERS = {"base"}
_loaded = False


def _load() -> None:
    """Import every module of this package once: each kind registers itself (@register).

    Done on first use, not at import time, so that the registry stays free of domain imports and apps
    are ready. A domain adds a kind by adding a module here (kinds/incidents.py, kinds/services.py).
    """
    global _loaded
    if _loaded:
        return
    for module in pkgutil.iter_modules(__path__):
        if module.name not in _HELPERS:
            importlib.import_module(f"{__name__}.{module.name}")
    _loaded = True


def all_kinds() -> list[ImportKind]:
    _load()
    return list(_REGISTRY.values())


def get_kind(code: str) -> ImportKind:
    _load()
    try:
        return _REGISTRY[code]
    except KeyError:
        raise LookupError(_("Unknown kind of import “%(kind)s”.") % {"kind": code}) from None


def kind_choices() -> list[tuple[str, str]]:
    return [(kind.code, str(kind.label)) for kind in all_kinds()]


__all__ = [
    "ImportColumn",
    "ImportKind",
    "Row",
    "RowError",
    "all_kinds",
    "get_kind",
    "kind_choices",
    "register",
]
