"""The one area picker of the forms: a text box that suggests areas by name as one types.

Suggestions come from `geography:area-suggest` (HTMX fills a <datalist>, no other script): accents and
case ignored, each shown with its level and P-code ("Mopti (région, ML05)") and where it lies. P-codes
and plain names still work, with or without JavaScript. A picker for recording (`perm` given) offers,
and accepts, only the areas where the user may do that work (the policy's `area_limits`); a filter
(`perm` None) offers every area. The services check the area again.
"""

from urllib.parse import urlencode

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sentinelle.core.permissions import Perm, area_limits
from sentinelle.geography.models import AdminLevel
from sentinelle.geography.selectors import (
    AreaLookupError,
    area_in_limits,
    area_label,
    area_pick,
)


class AreaInput(forms.TextInput):
    template_name = "geography/widgets/area_input.html"

    def __init__(self, *, perm: Perm | None = None, levels=None, attrs=None):
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.perm = perm
        self.levels = levels
        # Areas to offer before any typing: the candidates of an ambiguous name, or the user's own areas.
        self.options: list = []

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        query = {"field": name}
        if self.perm:
            query["perm"] = str(self.perm)
        if self.levels:
            query["levels"] = ",".join(str(level) for level in self.levels)
        widget_attrs = context["widget"]["attrs"]
        element_id = widget_attrs.setdefault("id", f"id_{name}")
        # HTMX fills the datalist as one types; the attributes are set here since a form's own hx-target or
        # hx-push-url (a filter form refreshing its results) would otherwise be inherited.
        widget_attrs.update(
            {
                "list": f"{element_id}-suggestions",
                "hx-get": f"{reverse('geography:area-suggest')}?{urlencode(query)}",
                "hx-trigger": "input changed delay:250ms",
                "hx-target": f"#{element_id}-suggestions",
                "hx-swap": "innerHTML",
                "hx-push-url": "false",
                "hx-sync": "this:replace",
            }
        )
        context["widget"]["options"] = suggestion_options(self.options)
        return context


def suggestion_options(areas) -> list[tuple[str, str]]:
    """(value, hint) of each suggested area: "Mopti (cercle, ML0501)", "in Mopti (région)"."""
    options = []
    for area in areas:
        parent = area.parent if area.parent_id and area.level > 1 else None
        hint = (
            _("in %(parent)s (%(level)s)") % {"parent": parent.name_fr, "level": _level(parent.level)}
            if parent is not None
            else ""
        )
        options.append((area_label(area), hint))
    return options


def _level(level: int) -> str:
    return str(AdminLevel(level).label).lower()


class AreaField(forms.CharField):
    """An area typed or picked by name, P-code or suggestion; `levels` are the levels suggested (and
    preferred when a name is shared), the services say which levels they take.

    For recording, give the form's `perm` and call `limit_for(user)` when the form is built: the
    suggestions and the accepted areas are then the user's areas for that permission.
    """

    widget = AreaInput

    def __init__(self, *, perm: Perm | None = None, levels=None, **kwargs):
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)
        self.perm = perm
        self.levels = tuple(levels) if levels else None
        self.limits = None
        self.widget.perm = perm
        self.widget.levels = self.levels

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.widget.options = []
        return result

    def limit_for(self, user) -> None:
        """Offer and accept only the areas where `user` may do this field's work."""
        if self.perm is not None:
            self.limits = area_limits(user, self.perm)

    def prepare_value(self, value):
        return area_label(value) if hasattr(value, "pcode") else value

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        try:
            area = area_pick(text, levels=self.levels, limits=self.limits)
        except AreaLookupError as error:
            self.widget.options = error.candidates
            raise forms.ValidationError(error.message) from None
        if not area_in_limits(area, self.limits):
            raise forms.ValidationError(
                _("%(area)s is outside your areas of work (%(areas)s).")
                % {"area": area_label(area), "areas": ", ".join(a.name_fr for a in self.limits)}
            )
        return area
