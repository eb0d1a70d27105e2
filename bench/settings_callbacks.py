"""Production settings with a bench-only URL conf (a bare view next to the real ones).
Used by bench/callbacks.py only; never by a deployment."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls_callbacks"
