"""Personal API tokens: each user's own, revocable, expiring; only a keyed hash of the token is stored."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sentinelle.core.models import BaseModel


class ApiToken(BaseModel):
    """A token for other tools (Power BI, Excel, scripts): it acts as its user, with the user's permissions.

    The token is 40 random characters shown once at creation; the database keeps its first characters
    (`prefix`, to recognise it in the list and to find the row) and an HMAC-SHA256 of the whole token keyed
    with the field key ring's hash key, so a copy of the database gives no usable token.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="api_tokens"
    )
    label = models.CharField(_("label"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    secret_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.label} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return not self.is_revoked and not self.is_expired
