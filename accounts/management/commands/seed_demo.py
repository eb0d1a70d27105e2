"""Demo data for the embedded default: a demo merchant with an owner, a manager and a
viewer, a connection to each of the five local sandboxes, and a second merchant so
that tenant isolation is visible.

`make run` runs it every time, so it only ever adds: what is missing is created (a
connection made before a provider gained an optional credential, such as EnayaPay's
``ipin_public_key``, gets the sandbox's; adding a missing value overwrites nothing), what
exists is left exactly as it is, even where it no longer matches the demo (a rotated
key, an edited base URL, a new password or role). It says what it created and names
what it left alone that differs from the demo, so nobody is surprised either way.
Refuses to run with DEBUG off, since it creates a superuser whose password is
published in the README."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Membership, Merchant, Role
from providers import crypto
from providers.models import ProviderConnection
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


@dataclass
class SeedReport:
    """What one run created, and what it found already there (kept as it is)."""

    created: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    differs: list[str] = field(default_factory=list)  # kept, and no longer the demo's
    completed: list[str] = field(default_factory=list)  # kept, a missing credential added

    def count(self, kind: str, *, created: bool) -> None:
        tally = self.created if created else self.kept
        tally[kind] = tally.get(kind, 0) + 1

    def lines(self) -> list[str]:
        made = _tally(self.created) or "nothing"
        lines = [f"Demo data: created {made}."]
        if self.kept:
            lines.append(f"Already there, left alone: {_tally(self.kept)}.")
        if self.completed:
            lines.append("Added what was missing (nothing there was changed):")
            lines += [f"  {line}" for line in self.completed]
        if self.differs:
            lines.append("Left as you changed them (seed_demo never overwrites):")
            lines += [f"  {line}" for line in self.differs]
        return lines


def _tally(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in counts.items())


class Command(BaseCommand):
    help = "Create what is missing of the demo merchants, logins and sandbox connections; change nothing else."

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
        report = SeedReport()
        merchants = {spec["slug"]: _merchant(spec, report) for spec in MERCHANTS}
        for username, slug, role in DEMO_USERS:
            _member(username, merchants[slug], role, report)
        _admin(report)
        for merchant in merchants.values():
            for key in PROVIDERS:
                _connection(merchant, key, sandbox_url, report)
        if not quiet:
            self.stdout.write("\n".join(report.lines()))


def _merchant(spec: dict, report: SeedReport) -> Merchant:
    merchant, created = Merchant.objects.get_or_create(slug=spec["slug"], defaults=spec)
    report.count("merchant", created=created)
    return merchant


def _login(username: str, report: SeedReport, **defaults):
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@demo.paydesk.test", **defaults}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    elif not user.check_password(DEMO_PASSWORD):
        report.differs.append(f"login {username}: the password is no longer the demo password")
    report.count("login", created=created)
    return user


def _member(username: str, merchant: Merchant, role: str, report: SeedReport) -> None:
    user = _login(username, report)
    membership, _ = Membership.objects.get_or_create(user=user, merchant=merchant, defaults={"role": role})
    if membership.role != role:
        report.differs.append(f"login {username}: {membership.role} of {merchant.name}, not {role}")


def _admin(report: SeedReport) -> None:
    _login("admin", report, is_staff=True, is_superuser=True)


def _connection(merchant: Merchant, provider: str, sandbox_url: str, report: SeedReport) -> None:
    base_url = PROVIDERS[provider].sandbox_url(sandbox_url)
    existing = ProviderConnection.objects.filter(merchant=merchant, provider=provider, mode="test").first()
    if existing is None:
        connection_upsert(
            merchant=merchant, provider=provider, mode="test", base_url=base_url,
            credentials=sandbox_credentials(provider),
        )
        report.count("connection", created=True)
        return
    report.count("connection", created=False)
    existing = _add_missing_credentials(existing, report)
    changed = _connection_changes(existing, base_url=base_url, credentials=sandbox_credentials(provider))
    if changed:
        report.differs.append(f"connection {merchant.name} / {existing.spec.label} (test): {changed}")


def _add_missing_credentials(connection: ProviderConnection, report: SeedReport) -> ProviderConnection:
    """Give the connection the sandbox's value of each optional credential it lacks
    (EnayaPay's ``ipin_public_key`` came after the first demo connections): nothing the
    connection holds changes, as the service merges what it is given into what is there."""
    try:
        held = connection.credentials
    except crypto.DecryptionError:
        return connection  # _connection_changes says so
    demo = sandbox_credentials(connection.provider)
    missing = {k: demo[k] for k in connection.spec.optional_credentials if k in demo and not held.get(k)}
    if not missing:
        return connection
    updated, _ = connection_upsert(
        merchant=connection.merchant, provider=connection.provider, mode=connection.mode,
        base_url=connection.base_url, credentials=missing,
    )
    label = f"connection {connection.merchant.name} / {connection.spec.label} ({connection.mode})"
    report.completed.append(f"{label}: added the sandbox's {', '.join(sorted(missing))}")
    return updated


def _connection_changes(connection: ProviderConnection, *, base_url: str, credentials: dict[str, str]) -> str:
    """How the connection differs from the demo one, in words; never a value."""
    changes = []
    if connection.base_url != base_url:
        changes.append(f"base URL {connection.base_url} (the sandbox is at {base_url})")
    try:
        if connection.credentials != credentials:
            changes.append("credentials differ from the sandbox's test keys")
    except crypto.DecryptionError:
        changes.append("credentials unreadable with the current keys")
    return "; ".join(changes)
