"""Incident forms; see incident.py for how a form becomes the services' keyword arguments."""

from .details import CasualtyForm, ExplosiveForm, GBVForm, ViolationForm
from .fields import victim_field_name
from .incident import IncidentEntry, IncidentForm, default_initial, initial_from_incident
from .review import IncidentFilterForm, RejectForm

__all__ = [
    "CasualtyForm",
    "ExplosiveForm",
    "GBVForm",
    "IncidentEntry",
    "IncidentFilterForm",
    "IncidentForm",
    "RejectForm",
    "ViolationForm",
    "default_initial",
    "initial_from_incident",
    "victim_field_name",
]
