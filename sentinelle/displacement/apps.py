from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisplacementConfig(AppConfig):
    name = "sentinelle.displacement"
    label = "displacement"
    verbose_name = _("Population movement")
