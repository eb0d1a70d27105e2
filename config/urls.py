from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "Paydesk staff"
admin.site.site_title = "Paydesk admin"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="accounts:dashboard", permanent=False)),
    path("admin/", admin.site.urls),
    path("dashboard/settings/connections/", include("providers.urls")),
    path("", include("accounts.urls")),
]
