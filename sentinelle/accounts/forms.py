"""Input shapes for sign-in and account management; the rules live in services.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sentinelle.accounts.models import Organisation, User
from sentinelle.core.models import Role


class SignInForm(forms.Form):
    identifier = forms.CharField(
        label=_("Username or e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("Six-digit code"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the six digits shown by your authenticator app.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}
        ),
    )

    def clean_token(self):
        return self.cleaned_data["token"].strip()


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("Current password"), strip=False, widget=forms.PasswordInput)
    new_password = forms.CharField(label=_("New password"), strip=False, widget=forms.PasswordInput)
    new_password_again = forms.CharField(
        label=_("New password, again"), strip=False, widget=forms.PasswordInput
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_password") != cleaned.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return cleaned


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "acronym", "type", "email", "requires_supervisor_approval"]


class UserCreateForm(forms.Form):
    username = forms.RegexField(
        label=_("Username"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("Letters, digits and . @ + - _ only.")},
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=())
    password = forms.CharField(
        label=_("Initial password"), strip=False, widget=forms.PasswordInput(render_value=False)
    )

    def __init__(self, *args, organisations, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["role"].choices = [(role, Role(role).label) for role in roles]

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is already taken."))
        return username

    def clean_email(self):
        email = (self.cleaned_data["email"] or "").strip().lower()
        if email and User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("Another account already uses this e-mail."))
        return email


class UserEditForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), required=False)
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=User._meta.get_field("language").choices)

    def __init__(self, *args, instance: User, **kwargs):
        self.instance = instance
        kwargs.setdefault(
            "initial",
            {
                "email": instance.email or "",
                "full_name": instance.full_name,
                "phone": instance.phone,
                "language": instance.language,
            },
        )
        super().__init__(*args, **kwargs)

    def clean_email(self):
        email = (self.cleaned_data["email"] or "").strip().lower()
        if email and User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Another account already uses this e-mail."))
        return email


class MembershipForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=())
    areas = forms.CharField(
        label=_("Areas of responsibility (P-codes, comma-separated; empty for the whole country)"),
        required=False,
    )

    def __init__(self, *args, organisations, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["role"].choices = [(role, Role(role).label) for role in roles]

    def clean_areas(self):
        from django.apps import apps

        admin_area = apps.get_model("geography", "AdminArea")
        codes = [code.strip().upper() for code in self.cleaned_data["areas"].split(",") if code.strip()]
        areas = list(admin_area.objects.filter(pcode__in=codes, version__is_default=True))
        missing = sorted(set(codes) - {area.pcode for area in areas})
        if missing:
            raise forms.ValidationError(_("Unknown P-code(s): %(codes)s.") % {"codes": ", ".join(missing)})
        return areas
