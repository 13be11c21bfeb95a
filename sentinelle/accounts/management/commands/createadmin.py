"""Create the installation's first administrator (accounts.services.administrator_create, audited).

    python manage.py createadmin                  # asks for each value (the password twice, not echoed)
    python manage.py createadmin --no-input       # reads them from the environment (automation):
        SENTINELLE_ADMIN_USERNAME, SENTINELLE_ADMIN_EMAIL, SENTINELLE_ADMIN_PASSWORD (or
        SENTINELLE_ADMIN_PASSWORD_FILE), SENTINELLE_ADMIN_FULL_NAME (optional),
        SENTINELLE_ADMIN_ORGANISATION_ACRONYM, SENTINELLE_ADMIN_ORGANISATION (its name, if it is new)
    python manage.py createadmin --force-another  # another administrator although one exists

Options given on the command line (--username...) win over the environment and are not asked for; the
password never comes from the command line (it would be in the shell's history and the process list).
Once an active administrator exists the command refuses with a non-zero exit status and writes nothing,
unless --force-another. The account has no authenticator: the role requires two-factor, so the first
sign-in leads to the enrolment (scan the QR code, confirm a code) before any page opens.
"""

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, no_translations

from config.env import env_secret, env_str
from sentinelle.accounts.models import OrganisationType
from sentinelle.accounts.services import AdministratorExists, administrator_create

ENV = "SENTINELLE_ADMIN_"
# option: (environment variable suffix, prompt, required)
FIELDS = {
    "username": ("USERNAME", "Username", True),
    "email": ("EMAIL", "E-mail address", True),
    "full_name": ("FULL_NAME", "Full name (optional)", False),
    "organisation_acronym": ("ORGANISATION_ACRONYM", "Organisation acronym (e.g. CLUSTER)", True),
}
ORGANISATION_NAME = ("ORGANISATION", "Organisation name (e.g. Cluster Protection Mali)")


class Command(BaseCommand):
    help = "Create the first administrator (interactive, or --no-input from SENTINELLE_ADMIN_* variables)."

    def add_arguments(self, parser):
        for option in FIELDS:
            parser.add_argument(f"--{option.replace('_', '-')}", dest=option)
        parser.add_argument("--organisation-name", dest="organisation_name")
        parser.add_argument(
            "--organisation-type",
            choices=OrganisationType.values,
            default=OrganisationType.COORDINATION,
            help="type of a new organisation (default: coordination)",
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="ask nothing: read the values from the SENTINELLE_ADMIN_* environment variables",
        )
        parser.add_argument(
            "--force-another",
            action="store_true",
            help="create an administrator although the installation already has one",
        )

    # The operator's console speaks English like every other command: no message half in French.
    @no_translations
    def handle(self, *args, **options):
        interactive = options["interactive"]
        values = {}
        for option, (suffix, prompt, required) in FIELDS.items():
            value = options[option] or env_str(ENV + suffix).strip()
            if not value and interactive:
                value = self._ask(prompt, required=required)
            if not value and required:
                raise CommandError(
                    f"Missing {option.replace('_', ' ')}: give --{option.replace('_', '-')}"
                    f" or set {ENV}{suffix}."
                )
            values[option] = value
        values["organisation_name"] = (
            options["organisation_name"] or env_str(ENV + ORGANISATION_NAME[0]).strip()
        )
        if not values["organisation_name"] and interactive:
            values["organisation_name"] = self._ask(
                ORGANISATION_NAME[1] + " [only for a new organisation]", required=False
            )
        password = env_secret(ENV + "PASSWORD")
        if not password and interactive:
            password = self._ask_password()
        if not password:
            raise CommandError(f"Missing password: set {ENV}PASSWORD or {ENV}PASSWORD_FILE.")
        try:
            user = administrator_create(
                actor=None,
                password=password,
                organisation_type=options["organisation_type"],
                allow_another=options["force_another"],
                **values,
            )
        except AdministratorExists as error:
            raise CommandError(
                f"{error} Nothing was created. Sign in with that account and create the others from the "
                "Users page, or run createadmin --force-another to add another administrator."
            ) from None
        except ValidationError as error:
            problems = "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
            )
            raise CommandError(f"Nothing was created: {problems}") from None
        self.stdout.write(
            self.style.SUCCESS(f"Administrator {user.username} created ({values['organisation_acronym']}).")
        )
        self.stdout.write(
            "At the first sign-in, Sentinelle asks for an authenticator application (two-factor): scan the "
            "QR code and confirm a code before any page opens."
        )

    def _ask(self, prompt: str, *, required: bool) -> str:
        while True:
            self.stdout.write(f"{prompt}: ", ending="")
            self.stdout.flush()
            line = sys.stdin.readline()
            if not line:  # end of input
                return ""
            value = line.strip()
            if value or not required:
                return value
            self.stderr.write("This value is required.")

    def _ask_password(self) -> str:
        """Not echoed on a terminal; read as a line when the input is a pipe."""
        while True:
            first = self._secret("Password")
            if not first:
                return ""
            if self._secret("Password (again)") == first:
                return first
            self.stderr.write("The two passwords differ: again.")

    def _secret(self, prompt: str) -> str:
        if sys.stdin.isatty():
            return getpass.getpass(f"{prompt}: ")
        self.stdout.write(f"{prompt}: ", ending="")
        self.stdout.flush()
        return sys.stdin.readline().rstrip("\n")
