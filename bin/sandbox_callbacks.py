"""bin/sandbox_callbacks.py — point the running sandboxes' callbacks at the demo.

EnigmaPay has no API field for a callback URL (dealers set it in EnigmaPay's panel), so
the sandbox takes it from ``POST /_sandbox/config``. bin/run calls this once the
sandboxes answer: a payout sent from the demo then turns Completed through EnigmaPay's
own callback, confirmed and applied by the worker. The sandbox holds one callback URL:
it is the Demo Bazaar connection's (Other Traders' payouts are kept fresh by the sync).
Sandbox state lives in memory, so this runs on every start.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

# Merchant slug and provider whose callback URL the sandbox should call.
DEMO_CALLBACKS = [("demo", "enigmapay")]


def main() -> int:
    import django

    django.setup()
    from django.conf import settings

    from providers.models import ProviderConnection

    failures = 0
    for slug, provider in DEMO_CALLBACKS:
        connection = ProviderConnection.objects.filter(merchant__slug=slug, provider=provider, mode="test").first()
        if connection is None:
            print(f"no {provider} test connection for {slug}; skipped", file=sys.stderr)
            continue
        url = settings.PAYDESK_PUBLIC_URL.rstrip("/") + connection.callback_path()
        try:
            requests.post(f"{settings.SANDBOX_BASE_URL.rstrip('/')}/_sandbox/config",
                          json={"provider": provider, "callback_url": url}, timeout=5).raise_for_status()
        except requests.RequestException as e:
            print(f"could not set the {provider} sandbox's callback URL: {type(e).__name__}", file=sys.stderr)
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
