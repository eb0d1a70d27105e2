"""``/healthz``: can this process reach what it needs? The database (one ``SELECT 1``)
and the Celery broker (one connection, a short timeout). 200 with every check "ok", or
503 naming the part that failed, so a load balancer takes the instance out and a person
reading the answer knows where to look. No auth, no session, no database transaction:
it must answer while the rest of the site is sick, and it reveals only "ok" or "down"
(never the reason's details, which could carry host names or credentials; those go to
the log)."""

from __future__ import annotations

import logging

from django.db import connections, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2.0


def _database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _broker() -> None:
    with celery_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)


CHECKS = {"database": _database, "broker": _broker}


@transaction.non_atomic_requests
@never_cache
@require_GET
def healthz(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:  # any failure of that part is "down"; the log has the reason
            logger.exception("healthz: %s is down", name)
            results[name] = "down"
        else:
            results[name] = "ok"
    healthy = all(v == "ok" for v in results.values())
    return JsonResponse({"status": "ok" if healthy else "down", "checks": results}, status=200 if healthy else 503)
