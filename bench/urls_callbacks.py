"""The project's URLs plus ``/bench/bare/``: the same middleware, no database, a fixed
JSON answer. What the callback URL is measured against."""

from django.db import transaction
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as project_urlpatterns

_ANSWER = {"success": True}


@transaction.non_atomic_requests  # as the callback view: no request transaction
@csrf_exempt
@require_POST
def bare(request):
    request.body  # noqa: B018 (read the body, as the callback view does)
    return JsonResponse(_ANSWER)


urlpatterns = [path("bench/bare/", bare), *project_urlpatterns]
