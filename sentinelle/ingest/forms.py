"""The upload form: shape only (kind, organisation among the user's, a file not too large)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sentinelle.ingest.kinds import kind_choices
from sentinelle.ingest.services import max_upload_bytes, megabytes


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of records"))
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=None, empty_label=None)
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
