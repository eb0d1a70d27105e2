"""Checkout routes, included by config/urls.py under ``me/<slug:merchant_slug>/checkout/``."""

from django.urls import path

from payments.checkout import views

app_name = "checkout"

urlpatterns = [
    path("<str:token>/", views.checkout_order, name="order"),
    path("<str:token>/account/", views.checkout_account, name="account"),
    path("<str:token>/plan/", views.checkout_plan, name="plan"),
    path("<str:token>/confirm/", views.checkout_confirm, name="confirm"),
    path("<str:token>/confirm/resend/", views.checkout_resend, name="resend"),
]
