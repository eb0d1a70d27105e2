"""Test-only URLs: the site's, plus /_preview/home/ showing the home partial inside the
shell (the real home view is wired by the lead)."""

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

from accounts.permissions import member_required
from payments.selectors import home_context

_PAGE = engines["django"].from_string(
    '{% extends "base.html" %}{% block content %}<h1>{{ current_merchant.name }}</h1>'
    '{% include "payments/_home.html" %}{% endblock %}'
)


@member_required()
def home_preview(request):
    return HttpResponse(_PAGE.render(home_context(merchant=request.merchant), request))


urlpatterns = [path("_preview/home/", home_preview), path("", include("config.urls"))]
