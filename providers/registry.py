"""What Paydesk knows about each provider, in one table: label, country, currency,
credential names, sandbox mount point, and where its client and sandbox live.

Credentials are secrets and shown masked, except those a spec lists as public (a
public key the provider hands out): they may be shown in full, so that a merchant
can compare them with what the provider gave."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module


@dataclass(frozen=True)
class ProviderSpec:
    key: str
    label: str
    country: str
    currency: str
    required_credentials: tuple[str, ...]
    optional_credentials: tuple[str, ...]
    sandbox_prefix: str  # where `runsandbox` mounts it, and the path of its base URL
    client_path: str
    sandbox_path: str
    public_credentials: tuple[str, ...] = ()  # shown in full; each also in required or optional

    @property
    def credential_names(self) -> tuple[str, ...]:
        return self.required_credentials + self.optional_credentials

    def client_class(self):
        return _load(self.client_path)

    def sandbox_class(self):
        return _load(self.sandbox_path)

    def sandbox_url(self, server_url: str) -> str:
        return server_url.rstrip("/") + self.sandbox_prefix


def _load(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(import_module(module), name)


PROVIDERS: dict[str, ProviderSpec] = {
    spec.key: spec
    for spec in (
        ProviderSpec(
            "enayapay", "EnayaPay", "SD", "SDG", ("api_key",), ("ipin_public_key",),
            "/enayapay/api/v2.1",
            "providers.enayapay.client.EnayaPayClient", "providers.enayapay.sandbox.EnayaPaySandbox",
            public_credentials=("ipin_public_key",),
        ),
        ProviderSpec(
            "enigmapay", "EnigmaPay", "TR", "TRY", ("api_key", "secret_key"), (),
            "/enigmapay/api/dealer",
            "providers.enigmapay.client.EnigmaPayClient", "providers.enigmapay.sandbox.EnigmaPaySandbox",
        ),
        ProviderSpec(
            "vospay", "Vospay", "ID", "IDR", (), ("merchant_key",),
            "/vospay/api/v2",
            "providers.vospay.client.VospayClient", "providers.vospay.sandbox.VospaySandbox",
        ),
        ProviderSpec(
            "eoneopay", "EoneoPay", "AU", "AUD", ("secret_key",), ("admin_key",),
            "/eoneopay",
            "providers.eoneopay.client.EoneoPayClient", "providers.eoneopay.sandbox.EoneoPaySandbox",
        ),
        ProviderSpec(
            "enkash", "EnKash", "IN", "INR", ("access_key", "secret_key"), (),
            "/enkash",
            "providers.enkash.client.EnKashClient", "providers.enkash.sandbox.EnKashSandbox",
        ),
    )
}

PROVIDER_CHOICES = [(spec.key, spec.label) for spec in PROVIDERS.values()]


def get_spec(key: str) -> ProviderSpec:
    try:
        return PROVIDERS[key]
    except KeyError:
        raise KeyError(f"Unknown provider {key!r}; choose one of {', '.join(PROVIDERS)}") from None
