"""The provider sandboxes as a WSGI application, for gunicorn: ``bench/client.py`` serves
them this way because werkzeug's server (``manage.py runsandbox``) closes every connection
after its answer, and a pooled session against it has nothing to reuse. Real upstreams
keep HTTP/1.1 connections open; gunicorn's threaded worker does too. One worker process:
the sandboxes keep their state in memory. Bench only; never part of a deployment."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from providers.sandbox_server import SandboxServer  # noqa: E402

application = SandboxServer()
