from django.core.management.base import BaseCommand, CommandError

from providers.crypto import DecryptionError
from providers.services import connections_rotate_keys


class Command(BaseCommand):
    help = "Re-encrypt every stored credential under the first FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        try:
            count = connections_rotate_keys()
        except DecryptionError as e:
            raise CommandError(f"{e} Keep the old key in FIELD_ENCRYPTION_KEYS until rotation has run.") from None
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} connection(s) under the first key."))
