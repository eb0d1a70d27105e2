from django.contrib import admin
from django.urls import include, path, register_converter
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.api import IdConverter
from config.health import healthz
from providers.callback_views import callback_receive

register_converter(IdConverter, "id")  # before the includes below, which use <id:pk>

admin.site.site_header = "Paydesk staff"
admin.site.site_title = "Paydesk admin"

# Every /api/v1/ route, in one namespace ("api:connection-list"). Add an app's API
# routes here; tests/api/test_cross_tenant.py then checks each one with a pk.
api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("payments.api.urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="accounts:dashboard", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("dashboard/settings/connections/", include("providers.urls")),
    path("dashboard/", include("payments.urls")),
    path("callbacks/<slug:provider>/<str:token>/", callback_receive, name="provider-callback"),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("me/<slug:merchant_slug>/checkout/", include("payments.checkout.urls")),
    path("me/<slug:merchant_slug>/", include(("accounts.selfservice.urls", "selfservice"))),
    path("", include("accounts.urls")),
]

# Under /api/ Django's own 404 and 500 answer in the API's error shape (config/api.py).
handler404 = "config.api.page_not_found"
handler500 = "config.api.server_error"
