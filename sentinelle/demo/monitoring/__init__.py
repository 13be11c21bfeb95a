"""Demo monitoring: a year of incidents (incidents.py), then the alert rules and alerts they raise
(alerts.py, run by the incidents' seed)."""

from sentinelle.demo.monitoring.incidents import seed

__all__ = ["seed"]
