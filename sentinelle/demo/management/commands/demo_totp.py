from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Development only (DEBUG on): print the current two-factor code of a demo account."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Refused: this command exists for development with DJANGO_DEBUG on.")
        device = TOTPDevice.objects.filter(user__username__iexact=options["username"], confirmed=True).first()
        if device is None:
            raise CommandError("No confirmed authenticator for this account.")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        self.stdout.write(f"{code:0{device.digits}d}")
