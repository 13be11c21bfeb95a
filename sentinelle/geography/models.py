"""COD-AB versions, their admin areas and settlements, the name look-up table and crosswalks.

Every location in Sentinelle is a P-code *of one COD version*: P-code numbering changes between
versions (ML0101 is Kayes in 2015 and Bafoulabé from 2017 on), so areas are never shared between
versions and a crosswalk maps one version's codes to another's.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sentinelle.core.models import BaseModel


class AdminLevel(models.IntegerChoices):
    COUNTRY = 0, _("Country")
    REGION = 1, _("Region")
    CERCLE = 2, _("Cercle")
    COMMUNE = 3, _("Commune")
    QUARTIER = 4, _("Quartier")


class CodVersion(BaseModel):
    """One release of the OCHA Common Operational Dataset of administrative boundaries."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    valid_on = models.DateField(_("valid on"))
    source = models.TextField(_("source"), blank=True)
    is_default = models.BooleanField(_("default version"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-valid_on", "code"]
        verbose_name = _("COD version")
        verbose_name_plural = _("COD versions")
        constraints = [
            # At most one default: the version new records are located in.
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="geography_codversion_one_default",
            )
        ]

    def __str__(self):
        return self.title


class AdminArea(BaseModel):
    version = models.ForeignKey(
        CodVersion, verbose_name=_("COD version"), on_delete=models.PROTECT, related_name="areas"
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=AdminLevel.choices)
    pcode = models.CharField(_("P-code"), max_length=32)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    name_fr = models.CharField(_("name"), max_length=200)
    name_ascii = models.CharField(_("name in the COD"), max_length=200)
    # P-codes from the top of the version down to this area, each followed by "/", e.g.
    # "ML/ML05/ML0501/". The trailing slash makes `path__startswith` a subtree test: "ML/ML05/"
    # can never match "ML/ML050.../". The permission policy relies on it.
    path = models.CharField(_("path"), max_length=255)
    # Simplified GeoJSON geometry for display (see services.simplify_geometry), never for analysis.
    geometry = models.JSONField(_("geometry"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    # [min lon, min lat, max lon, max lat] of the source geometry.
    bbox = models.JSONField(_("bounding box"), null=True, blank=True)

    class Meta:
        ordering = ["pcode"]
        verbose_name = _("administrative area")
        verbose_name_plural = _("administrative areas")
        constraints = [
            models.UniqueConstraint(fields=["version", "pcode"], name="geography_area_unique_pcode"),
        ]
        indexes = [
            # varchar_pattern_ops lets PostgreSQL use the index for LIKE 'prefix%' whatever the
            # collation; other databases ignore the operator class.
            models.Index(fields=["path"], name="geography_area_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["version", "level"], name="geography_area_level_idx"),
            models.Index(fields=["pcode"], name="geography_area_pcode_idx"),
        ]

    def __str__(self):
        return self.name_fr

    @property
    def path_pcodes(self) -> list[str]:
        return [code for code in self.path.split("/") if code]

    def contains(self, other: "AdminArea") -> bool:
        """Is `other` this area or inside it? Codes are compared within one COD version only."""
        return other.version_id == self.version_id and other.path.startswith(self.path)


class NameKind(models.TextChoices):
    OFFICIAL = "official", _("Official name")
    ASCII = "ascii", _("Name in the COD")
    ALIAS = "alias", _("Alias")


class AreaName(BaseModel):
    """Every spelling an area can be found by; `key` is the normalised form that look-ups use."""

    area = models.ForeignKey(
        AdminArea, verbose_name=_("area"), on_delete=models.CASCADE, related_name="names"
    )
    key = models.CharField(_("look-up key"), max_length=200, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=NameKind.choices)

    class Meta:
        ordering = ["area", "kind", "name"]
        verbose_name = _("area name")
        verbose_name_plural = _("area names")
        constraints = [
            # "Ségou" and "Segou" share a key but are both kept: the page lists every spelling.
            models.UniqueConstraint(fields=["area", "name"], name="geography_areaname_unique_name"),
        ]

    def __str__(self):
        return self.name


class Settlement(BaseModel):
    """A populated place (village, town, quartier) with its commune."""

    version = models.ForeignKey(
        CodVersion, verbose_name=_("COD version"), on_delete=models.PROTECT, related_name="settlements"
    )
    pcode = models.CharField(_("P-code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    key = models.CharField(_("look-up key"), max_length=200, db_index=True)
    admin3 = models.ForeignKey(
        AdminArea, verbose_name=_("commune"), on_delete=models.PROTECT, related_name="settlements"
    )
    # COD "popPlaceCl": 1 capital, 2 regional capital, 3 cercle capital, 4 commune seat, 5 village.
    place_class = models.PositiveSmallIntegerField(_("place class"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)

    class Meta:
        ordering = ["pcode"]
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        constraints = [
            models.UniqueConstraint(fields=["version", "pcode"], name="geography_settlement_unique_pcode"),
        ]

    def __str__(self):
        return self.name


class CrosswalkRelation(models.TextChoices):
    SAME = "same", _("Same area")
    RENAMED = "renamed", _("Renamed")
    SPLIT = "split", _("Split")
    MERGED = "merged", _("Merged")
    MOVED = "moved", _("Moved to another parent")


class Crosswalk(BaseModel):
    """A link from an area of one COD version to an area of another."""

    from_area = models.ForeignKey(
        AdminArea, verbose_name=_("from area"), on_delete=models.PROTECT, related_name="crosswalks_from"
    )
    to_area = models.ForeignKey(
        AdminArea, verbose_name=_("to area"), on_delete=models.PROTECT, related_name="crosswalks_to"
    )
    relation = models.CharField(_("relation"), max_length=16, choices=CrosswalkRelation.choices)
    # Share of the old area's population (or surface) that went to the new one, for splits.
    share = models.FloatField(_("share"), null=True, blank=True)

    class Meta:
        ordering = ["from_area__pcode", "to_area__pcode"]
        verbose_name = _("crosswalk link")
        verbose_name_plural = _("crosswalk links")
        constraints = [
            models.UniqueConstraint(fields=["from_area", "to_area"], name="geography_crosswalk_unique_pair"),
            models.CheckConstraint(
                condition=Q(share__isnull=True) | (Q(share__gte=0) & Q(share__lte=1)),
                name="geography_crosswalk_share_range",
            ),
        ]

    def __str__(self):
        return f"{self.from_area.pcode} → {self.to_area.pcode} ({self.relation})"
