"""Production settings with a bench-only URL conf (a bare view next to the real ones).
Used by bench/callbacks.py only; never by a deployment."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls_callbacks"
# The bench's own sandbox runs on this machine (production allows test connections only
# to listed hosts, see PROVIDER_TEST_HOSTS in production.py).
PROVIDER_TEST_HOSTS = ["127.0.0.1", "localhost"]
