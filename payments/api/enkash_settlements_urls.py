"""API routes of EnKash settlements and QR codes, included by payments/api/urls.py."""

from django.urls import path

from payments.api import enkash_settlements as views

urlpatterns = [
    path("settlements/", views.SettlementListApi.as_view(), name="settlement-list"),
    path("settlements/search/", views.SettlementSearchApi.as_view(), name="settlement-search"),
    path("settlements/<id:pk>/", views.SettlementDetailApi.as_view(), name="settlement-detail"),
    path("qr-codes/", views.QrCodeListCreateApi.as_view(), name="qr-code-list"),
    path("qr-codes/<id:pk>/", views.QrCodeDetailApi.as_view(), name="qr-code-detail"),
    path("qr-codes/<id:pk>/cancel/", views.QrCodeCancelApi.as_view(), name="qr-code-cancel"),
    path("qr-customers/", views.QrCustomerListCreateApi.as_view(), name="qr-customer-list"),
    path("qr-customers/<id:pk>/", views.QrCustomerDetailApi.as_view(), name="qr-customer-detail"),
]
