"""The import forms, shape only: the upload (kind, organisation among the user's, source, a file not too
large) and the mapping step (for each value to map, a code of its column's list or a P-code)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sentinelle.ingest.kinds import kind_choices
from sentinelle.ingest.services import max_upload_bytes, megabytes


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of records"))
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None, empty_label=None)
    source = forms.CharField(
        label=_("Source of the file"),
        required=False,
        max_length=100,
        help_text=_(
            "Optional: where the file comes from (e.g. “Kobo AMSS Mopti”, “4W DRC”). The values you map "
            "for a file are applied again to the next files of the same source."
        ),
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("A Sentinelle template (.xlsx or .csv), an HXL-tagged CSV, or a Kobo/ODK export."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt"}),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices()
        self.fields["organisation"].queryset = organisations
        self.fields["organisation"].to_field_name = "public_id"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = max_upload_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
                % {"size": megabytes(upload.size), "limit": megabytes(limit)}
            )
        return upload


class MappingForm(forms.Form):
    """One choice per value to map: a code of its column's list, or for a place name a suggested area or
    another P-code. A choice left empty is no choice (the value stays to map)."""

    source = forms.CharField(
        label=_("Remember the choices for the source"),
        required=False,
        max_length=100,
        help_text=_("Empty: your organisation's files without a named source."),
    )

    def __init__(self, *args, entries: list[dict], kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.entries = entries
        for entry in entries:
            column = kind.columns_by_key.get(entry["column"]) if kind else None
            name = f"map-{entry['id']}"
            self.fields[name] = forms.ChoiceField(
                label=_("Code for “%(value)s”") % {"value": entry["value"]},
                required=False,
                choices=_choices(column, entry),
                initial=entry.get("current", ""),
            )
            if column is not None and column.codes is None:
                self.fields[f"pcode-{entry['id']}"] = forms.CharField(
                    label=_("or another P-code"), required=False, max_length=20
                )

    def rows(self) -> list[tuple[dict, object, object]]:
        """(entry, its choice, its P-code field or None) for the template."""
        return [
            (
                entry,
                self[f"map-{entry['id']}"],
                self[f"pcode-{entry['id']}"] if f"pcode-{entry['id']}" in self.fields else None,
            )
            for entry in self.entries
        ]

    def choices_made(self) -> dict[str, str]:
        """Entry id -> the code chosen (a P-code typed wins over the list)."""
        made = {}
        for entry in self.entries:
            typed = (self.cleaned_data.get(f"pcode-{entry['id']}") or "").strip()
            chosen = typed or self.cleaned_data.get(f"map-{entry['id']}") or ""
            if chosen:
                made[entry["id"]] = chosen
        return made


def _choices(column, entry: dict) -> list:
    """Suggestions first, then (for a code list) every code; labels in the reader's language."""
    empty = [("", _("— choose —"))]
    if column is None:
        return empty
    if column.codes is None:
        places = [(pcode, label) for pcode, label in entry.get("suggestions", [])]
        current = entry.get("current")
        if current and current not in dict(places):
            places.insert(0, (current, entry.get("code_label") or current))
        return [*empty, (_("Nearest names"), places)] if places else empty
    labels = dict(column.codes.describe())
    suggested = [code for code, _label in entry.get("suggestions", []) if code in labels]
    every = [(code, f"{label} ({code})") for code, label in labels.items()]
    if not suggested:
        return [*empty, *every]
    return [
        *empty,
        (_("Suggested"), [(code, f"{labels[code]} ({code})") for code in suggested]),
        (_("Every code of the list"), every),
    ]
