from django.core.management.base import BaseCommand, CommandError

from providers.crypto import DecryptionError
from providers.services import connections_rotate_keys, webhook_bodies_rotate_keys


class Command(BaseCommand):
    help = "Re-encrypt every stored credential and callback body under the first FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        try:
            count = connections_rotate_keys()
            bodies = webhook_bodies_rotate_keys()
        except DecryptionError as e:
            raise CommandError(f"{e} Keep the old key in FIELD_ENCRYPTION_KEYS until rotation has run.") from None
        self.stdout.write(self.style.SUCCESS(
            f"Re-encrypted {count} connection(s) and {bodies} callback bod{'y' if bodies == 1 else 'ies'} "
            "under the first key."
        ))
