"""System checks: a production configuration must have its keys and safe settings."""

from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from sentinelle.core import crypto


@checks.register(checks.Tags.security, deploy=True)
def field_keys_configured(app_configs, **kwargs):
    """`manage.py check --deploy` fails when identities could not be encrypted."""
    try:
        crypto.get_keyring()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="sentinelle.E001")]
    return []


@checks.register(checks.Tags.security)
def field_keys_valid(app_configs, **kwargs):
    """A key ring that is given must parse; a missing one is only reported outside DEBUG."""
    inline, path = crypto.keyring_source()
    if not inline and not (path and Path(path).exists()):
        if settings.DEBUG:
            return []
        return [
            checks.Warning(
                "No field encryption key ring: set SENTINELLE_FIELD_KEYS or SENTINELLE_FIELD_KEYS_FILE.",
                id="sentinelle.W001",
            )
        ]
    try:
        crypto.get_keyring()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="sentinelle.E002")]
    return []


@checks.register(checks.Tags.security, deploy=True)
def audit_anchor_dir_configured(app_configs, **kwargs):
    """Without anchors outside the database, cutting the end of the audit log goes unseen (core/audit.py)."""
    directory = settings.SENTINELLE.get("AUDIT_ANCHOR_DIR", "")
    if not directory:
        return [
            checks.Warning(
                "No audit anchor directory: set SENTINELLE_AUDIT_ANCHOR_DIR (on another disk, or shipped off "
                "the machine) so that audit_verify can detect a truncated audit log.",
                id="sentinelle.W002",
            )
        ]
    if not Path(directory).is_dir():
        return [
            checks.Warning(
                f"The audit anchor directory {directory} does not exist yet: create it, owned by the "
                "service's user.",
                id="sentinelle.W003",
            )
        ]
    return []
