"""Organisations, users and their memberships (a role in one organisation, optionally limited to areas)."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from sentinelle.core.fields import EncryptedTextField, KeyedHashField
from sentinelle.core.models import BaseModel, Role


class OrganisationType(models.TextChoices):
    UN_AGENCY = "un_agency", _("UN agency")
    INTERNATIONAL_NGO = "international_ngo", _("International NGO")
    NATIONAL_NGO = "national_ngo", _("National NGO")
    STATE_SERVICE = "state_service", _("State service")
    COMMUNITY = "community", _("Community structure")
    COORDINATION = "coordination", _("Coordination body")
    DONOR = "donor", _("Donor")


class Organisation(BaseModel):
    name = models.CharField(_("name"), max_length=200, unique=True)
    acronym = models.CharField(_("acronym"), max_length=30, unique=True)
    type = models.CharField(_("type"), max_length=32, choices=OrganisationType.choices)
    email = models.EmailField(_("contact e-mail"), blank=True)
    # Managers of an organisation with this flag must have case plans and closures approved.
    requires_supervisor_approval = models.BooleanField(_("supervisor approval required"), default=False)

    class Meta:
        ordering = ["acronym"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.acronym


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(username__iexact=username)

    def create_user(self, username, password=None, **fields):
        if not username:
            raise ValueError("A username is required.")
        email = self.normalize_email(fields.pop("email", "") or "") or None
        user = self.model(username=username, email=email, **fields)
        user.set_password(password)
        user.save()
        return user


class User(AbstractBaseUser, BaseModel):
    """A person who signs in. Staff names and phones are identities too: encrypted at rest."""

    username = models.CharField(_("username"), max_length=150, unique=True)
    email = models.EmailField(_("e-mail"), unique=True, null=True, blank=True)
    full_name = EncryptedTextField(_("full name"), blank=True)
    full_name_hash = KeyedHashField(source="full_name")
    phone = EncryptedTextField(_("phone"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    language = models.CharField(
        _("language"), max_length=8, choices=[("fr", "Français"), ("en", "English")], default="fr"
    )

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]

    def __str__(self):
        return self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def audit_organisation(self):
        """The organisation audit entries are filed under: the first active membership's."""
        from sentinelle.core.permissions import Perm, home_organisation

        # Every role may open the home page: its first membership is the user's first membership.
        return home_organisation(self, Perm.HOME_VIEW)


class Membership(BaseModel):
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    # Empty means the whole country; otherwise the user's scope is these areas and their subtrees.
    areas = models.ManyToManyField(
        "geography.AdminArea", verbose_name=_("areas of responsibility"), blank=True, related_name="+"
    )

    class Meta:
        ordering = ["organisation__acronym", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"],
                condition=models.Q(is_archived=False),
                name="accounts_membership_unique_active",
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"


class DeviceKind(models.TextChoices):
    COLLECT = "collect", _("Collection app (ODK Collect, KoboCollect)")
    OFFLINE = "offline", _("Offline case work")


class DeviceCredential(BaseModel):
    """One phone, tablet or browser of a user, listed and revocable at /compte/appareils/.

    A collection device (ODK Collect, KoboCollect) authenticates with HTTP Basic over HTTPS and a secret of
    its own: a separate, revocable secret per device means a lost phone never exposes the web password, and
    two-factor accounts can still collect offline. An offline device (sentinelle/offline/) is a browser
    holding an encrypted copy of the user's caseload: it signs in as the user, and the random secret it
    got at enrolment is key material on the device only, never a password (its hash here is unusable).
    Revoking it wipes the device at its next contact.
    """

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="devices")
    label = models.CharField(_("device"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=DeviceKind.choices, default=DeviceKind.COLLECT)
    secret_hash = models.CharField(max_length=255)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    # Offline devices: the last time the device took its caseload (a successful sync).
    last_sync_at = models.DateTimeField(_("last synchronised"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("collection device")
        verbose_name_plural = _("collection devices")

    def __str__(self):
        return self.label

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
