"""Persons: identity encrypted at rest; keyed hashes and phonetic keys find them without decrypting."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from sentinelle.core.codes import AgeGroup, Sex
from sentinelle.core.fields import EncryptedTextField, KeyedHashField
from sentinelle.core.models import BaseModel

from .codes import DisplacementStatus


class Person(BaseModel):
    person_code = models.CharField(_("person code"), max_length=24, unique=True)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("registering organisation"),
        on_delete=models.PROTECT,
        related_name="persons",
    )
    # Identity: encrypted. Never in URLs, logs, audit details or exports without the right to see it.
    given_name = EncryptedTextField(_("given name"))
    family_name = EncryptedTextField(_("family name"), blank=True)
    other_names = EncryptedTextField(_("other names or nicknames"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    date_of_birth = EncryptedTextField(_("date of birth"), blank=True)  # ISO date
    caregiver_name = EncryptedTextField(_("caregiver"), blank=True)
    caregiver_phone = EncryptedTextField(_("caregiver's phone"), blank=True)
    # Exact look-ups without decrypting (normalised, keyed HMAC).
    full_name = EncryptedTextField(_("full name"), blank=True, editable=False)
    full_name_hash = KeyedHashField(source="full_name")
    phone_hash = KeyedHashField(source="phone", kind="phone")
    # Set when the retention rule erased the identity above (cases/services/retention.py): irreversible.
    identity_erased_at = models.DateTimeField(_("identity erased on"), null=True, blank=True, editable=False)
    # Non-identifying description, for statistics and matching.
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    age = models.PositiveSmallIntegerField(_("age (years, estimated if unknown)"), null=True, blank=True)
    age_estimated = models.BooleanField(_("age estimated"), default=False)
    age_group = models.CharField(
        _("age group"), max_length=8, choices=AgeGroup.choices, default=AgeGroup.UNKNOWN
    )
    displacement_status = models.CharField(
        _("displacement status"),
        max_length=16,
        choices=DisplacementStatus.choices,
        default=DisplacementStatus.HOST,
    )
    has_disability = models.BooleanField(_("person with disability"), default=False)
    area = models.ForeignKey(
        "geography.AdminArea", verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+"
    )
    # A merged person points at the person it was merged into (reversible: see PersonMerge).
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [models.Index(fields=["organisation", "-created_at"]), models.Index(fields=["area", "sex"])]

    def __str__(self):
        return self.person_code


class PersonNameKey(models.Model):
    """Keyed hashes of phonetic keys of a person's name tokens: the blocking index of fuzzy search.

    "Mahamadou Dialo" and "Mamadou Diallo" share keys, so candidates are found with an indexed query and
    only those few are decrypted and scored.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="name_keys")
    key = models.CharField(max_length=64, db_index=True)

    class Meta:
        verbose_name = _("name key")
        verbose_name_plural = _("name keys")
        constraints = [models.UniqueConstraint(fields=["person", "key"], name="cases_namekey_unique")]
        # Fuzzy search sums the weights of the keys each person shares: (key, person) answers it from the
        # index alone, without visiting the table.
        indexes = [models.Index(fields=["key", "person"], name="cases_namekey_blocking_idx")]

    def __str__(self):
        return self.key[:8]


class PersonMerge(models.Model):
    """Two records found to be one person: the duplicate now points at the kept one. Undo restores it."""

    kept = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    # What moved from the merged person to the kept one (case ids...), so that an undo puts it back.
    moved = models.JSONField(default=dict)
    merged_at = models.DateTimeField()
    merged_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("person merge")
        verbose_name_plural = _("person merges")

    def __str__(self):
        return f"{self.merged_id} → {self.kept_id}"
