"""Demo data for the embedded default: a demo merchant with an owner, a manager and a
viewer, a connection to each of the five local sandboxes, and a second merchant so
that tenant isolation is visible. Idempotent: running it twice changes nothing.
Refuses to run with DEBUG off, since it creates a superuser whose password is
published in the README."""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Membership, Merchant, Role
from providers.registry import PROVIDERS
from providers.services import connection_upsert

# Sandbox-only logins: they open nothing but a local demo.
DEMO_PASSWORD = "paydesk-demo"  # noqa: S105
DEMO_USERS = [
    ("owner", "demo", Role.OWNER),
    ("manager", "demo", Role.MANAGER),
    ("viewer", "demo", Role.VIEWER),
    ("other-owner", "other", Role.OWNER),
]
MERCHANTS = [
    {"slug": "demo", "name": "Demo Bazaar", "country": "TR", "default_currency": "TRY"},
    {"slug": "other", "name": "Other Traders", "country": "AU", "default_currency": "AUD"},
]


def sandbox_credentials(provider: str) -> dict[str, str]:
    """The credentials each sandbox documents as its test keys."""
    return dict(import_module(f"providers.{provider}.sandbox").DEMO_CREDENTIALS)


class Command(BaseCommand):
    help = "Create (or refresh) the demo merchants, logins and sandbox connections."

    def add_arguments(self, parser):
        parser.add_argument("--sandbox-url", default=settings.SANDBOX_BASE_URL)
        parser.add_argument("--quiet", action="store_true")
        parser.add_argument(
            "--force", action="store_true", help="seed even though DEBUG is off (never in production)"
        )

    @transaction.atomic
    def handle(self, *args, sandbox_url, quiet, force, **options):
        if not settings.DEBUG and not force:
            # It creates a superuser with a published password: only on a laptop.
            raise CommandError("seed_demo runs only with DEBUG on (the local settings); use --force to insist.")
        merchants = {
            m["slug"]: Merchant.objects.update_or_create(slug=m["slug"], defaults=m)[0] for m in MERCHANTS
        }
        User = get_user_model()
        for username, slug, role in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@demo.paydesk.test"}
            )
            if created or not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
                user.save()
            Membership.objects.update_or_create(user=user, merchant=merchants[slug], defaults={"role": role})
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"email": "admin@demo.paydesk.test", "is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()
        for merchant in merchants.values():
            for key, spec in PROVIDERS.items():
                connection_upsert(
                    merchant=merchant,
                    provider=key,
                    mode="test",
                    base_url=spec.sandbox_url(sandbox_url),
                    credentials=sandbox_credentials(key),
                )
        if not quiet:
            self.stdout.write(self.style.SUCCESS("Demo data ready."))
