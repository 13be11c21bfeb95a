"""The base model every protected record inherits, and the append-only audit log."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseModel(models.Model):
    """Public UUID for URLs and exports; who and when; archived instead of deleted."""

    public_id = models.UUIDField(_("public identifier"), default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_archived = models.BooleanField(_("archived"), default=False, db_index=True)

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise PermissionError("Protection records are archived, never deleted.")


class Role(models.TextChoices):
    """The roles of design §6; what each may do is the matrix in core/permissions.py."""

    ADMIN = "admin", _("Administrator")
    IMO = "imo", _("Cluster information manager")
    MANAGER = "manager", _("Organisation manager")
    CASEWORKER = "caseworker", _("Case worker")
    MONITOR = "monitor", _("Protection monitor")
    FOCAL_POINT = "focal_point", _("Service focal point")
    READER = "reader", _("Reader")


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Log-in")
    LOGIN_FAILED = "login_failed", _("Failed log-in")
    LOCKED_OUT = "locked_out", _("Account locked")
    LOGOUT = "logout", _("Log-out")
    OTP_SETUP = "otp_setup", _("Two-factor set-up")
    OTP_VERIFIED = "otp_verified", _("Two-factor check passed")
    OTP_FAILED = "otp_failed", _("Two-factor failure")
    PASSWORD_CHANGE = "password_change", _("Password change")
    READ = "read", _("Read")
    CREATE = "create", _("Creation")
    UPDATE = "update", _("Change")
    ARCHIVE = "archive", _("Archiving")
    EXPORT = "export", _("Export")
    IMPORT = "import", _("Import")
    DENIED = "denied", _("Refusal")
    BREAK_GLASS = "break_glass", _("Break-the-glass access")
    KEY_ROTATION = "key_rotation", _("Key rotation")
    ERASURE = "erasure", _("Erasure (retention)")


class AuditOutcome(models.TextChoices):
    OK = "ok", _("Success")
    DENIED = "denied", _("Refused")
    FAILED = "failed", _("Failed")


class AuditEntry(models.Model):
    """One link of one of the audit hash chains. Rows are never updated or deleted (a database trigger
    refuses it).

    `scheme` says how `entry_hash` was computed (core/audit.py): the first entries of an installation
    were chained with a plain SHA-256 (LEGACY, kept as they are: the log is append-only); every entry
    since is an HMAC-SHA256 under the audit key, kept outside the database (KEYED). A legacy entry after
    a keyed one is a break.
    """

    SCHEME_LEGACY = "sha256"
    SCHEME_KEYED = "hmac-sha256"

    at = models.DateTimeField(_("time"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object identifier"), max_length=64, blank=True, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=AuditOutcome.choices)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)
    scheme = models.CharField(max_length=16, default=SCHEME_KEYED, editable=False)
    # Which of the parallel chains this entry extends (core/audit.py); every entry before chains is in 0.
    chain = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["organisation", "-id"]),
            models.Index(fields=["user", "-id"]),
            models.Index(fields=["chain", "-id"], name="core_audit_chain_head"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries are append-only.")


class DataStamp(models.Model):
    """How many times the records under a group of figures have changed: one row per domain app, and "*"
    for changes that can move every figure (an import, the geography, an organisation's name)."""

    scope = models.CharField(primary_key=True, max_length=40)
    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("data stamp")
        verbose_name_plural = _("data stamps")

    def __str__(self):
        return f"{self.scope} {self.version}"


class FigureCache(models.Model):
    """A computed aggregate, with the data stamps it was computed at (core/figure_cache.py)."""

    key = models.CharField(primary_key=True, max_length=64)
    scope = models.CharField(max_length=40, db_index=True)
    # The data stamps (scope's version:everything's version) read before the figure was computed.
    stamps = models.CharField(max_length=40, default="")
    rows = models.JSONField()
    computed_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("cached figure")
        verbose_name_plural = _("cached figures")

    def __str__(self):
        return f"{self.scope} {self.key[:12]}"


class ThrottleBucket(models.Model):
    """A token bucket for one door that takes a secret (core/throttles.py), shared by every process.

    The key is a keyed digest of the door and what is counted (a username, a client address): neither is
    stored in clear, so the table reveals no username that was tried.
    """

    key = models.CharField(primary_key=True, max_length=64)
    tokens = models.FloatField()
    updated_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("throttle bucket")
        verbose_name_plural = _("throttle buckets")

    def __str__(self):
        return self.key[:12]


class Heartbeat(models.Model):
    """When a background duty last ran (core/health.py): the worker's loop, the last backup. One row per
    duty, overwritten; the health check reads the ages, never what was done."""

    name = models.CharField(primary_key=True, max_length=40)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name} {self.at:%Y-%m-%d %H:%M}"
