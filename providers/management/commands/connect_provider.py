from django.core.management.base import BaseCommand, CommandError

from accounts.models import Merchant
from providers.forms import parse_credential_lines
from providers.services import ConnectionInputError, connection_upsert


def _credentials(values: list[str]) -> dict[str, str]:
    try:
        return parse_credential_lines("\n".join(values))
    except ValueError:
        # Not echoed: a malformed argument may well be the secret itself.
        raise CommandError("Each --credential takes NAME=VALUE (e.g. --credential api_key=...).") from None


class Command(BaseCommand):
    help = (
        "Create or update a merchant's connection to a provider. Idempotent: running it "
        "again updates the base URL and the credentials given, and keeps the others."
    )

    def add_arguments(self, parser):
        parser.add_argument("merchant", help="merchant slug")
        parser.add_argument("provider", help="enayapay, enigmapay, vospay, eoneopay or enkash")
        parser.add_argument("--base-url", required=True)
        parser.add_argument("--mode", default="test", help="test (default) or live")
        parser.add_argument(
            "--credential", action="append", default=[], metavar="NAME=VALUE",
            help="repeat for each credential; the value is stored encrypted",
        )

    def handle(self, *args, merchant, provider, base_url, mode, credential, **options):
        try:
            owner = Merchant.objects.get(slug=merchant)
        except Merchant.DoesNotExist:
            raise CommandError(f"No merchant with slug {merchant!r}.") from None
        credentials = _credentials(credential)
        try:
            connection, created = connection_upsert(
                merchant=owner, provider=provider, mode=mode, base_url=base_url, credentials=credentials
            )
        except ConnectionInputError as e:
            raise CommandError(str(e)) from None
        masked = ", ".join(f"{k}={v}" for k, v in connection.masked_credentials().items()) or "none"
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} {connection} at {connection.base_url} (credentials: {masked})"))
