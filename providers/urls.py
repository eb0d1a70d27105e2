from django.urls import path

from providers import views

app_name = "providers"

urlpatterns = [
    path("", views.connection_list, name="connection-list"),
    path("new/<slug:provider>/", views.connection_create, name="connection-create"),
    path("<id:pk>/", views.connection_detail, name="connection-detail"),
    path("<id:pk>/test/", views.connection_check, name="connection-test"),
]
