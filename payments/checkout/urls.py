"""Checkout routes, included by config/urls.py under ``me/<slug:merchant_slug>/checkout/``."""

from django.urls import path

from payments.checkout import views

app_name = "checkout"

urlpatterns = [
    path("<str:token>/", views.checkout_order, name="order"),
]
