"""The WSGI entry point (gunicorn ``config.wsgi``). Without DJANGO_SETTINGS_MODULE it
runs production settings, which refuse to start without their secrets: a server started
bare must never come up in local mode (DEBUG, public development keys). ``bin/run`` sets
local settings explicitly; ``manage.py`` keeps local as its default for developers."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()
