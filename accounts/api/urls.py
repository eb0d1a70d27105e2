"""Routes of accounts' API, included by config/urls.py under /api/v1/ (namespace "api")."""

from django.urls import path

from accounts.api import views

urlpatterns = [
    path("connections/", views.ConnectionListApi.as_view(), name="connection-list"),
    path("connections/<id:pk>/", views.ConnectionDetailApi.as_view(), name="connection-detail"),
    path("connections/<id:pk>/test/", views.ConnectionTestApi.as_view(), name="connection-test"),
    path("webhook-events/", views.WebhookEventListApi.as_view(), name="webhook-event-list"),
    path("webhook-events/<id:pk>/", views.WebhookEventDetailApi.as_view(), name="webhook-event-detail"),
    path("webhook-events/<id:pk>/reprocess/", views.WebhookEventReprocessApi.as_view(),
         name="webhook-event-reprocess"),
]
