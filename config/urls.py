from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from providers.callback_views import callback_receive

admin.site.site_header = "Paydesk staff"
admin.site.site_title = "Paydesk admin"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="accounts:dashboard", permanent=False)),
    path("admin/", admin.site.urls),
    path("dashboard/settings/connections/", include("providers.urls")),
    path("dashboard/", include("payments.urls")),
    path("callbacks/<slug:provider>/<str:token>/", callback_receive, name="provider-callback"),
    path("", include("accounts.urls")),
]
