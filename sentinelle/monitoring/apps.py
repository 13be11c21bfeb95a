from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "sentinelle.monitoring"
    label = "monitoring"
    verbose_name = _("Protection monitoring")

    def ready(self):
        # Displacement events (a sibling app) reach the alert rules through core/hooks.py.
        from sentinelle.monitoring.services.displacement_alerts import register_followers

        register_followers()
