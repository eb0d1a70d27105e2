"""Dashboard routes of EnKash settlements and QR codes, included by payments/urls.py."""

from django.urls import path

from payments.views import enkash_settlements as views

urlpatterns = [
    path("enkash/settlements/", views.settlement_list, name="enkash-settlement-list"),
    path("enkash/settlements/export.csv", views.settlement_export, name="enkash-settlement-export"),
    path("enkash/settlements/search/", views.settlement_search, name="enkash-settlement-search"),
    path("enkash/settlements/<id:pk>/", views.settlement_detail, name="enkash-settlement-detail"),
    path("enkash/settlements/<id:pk>/items.csv", views.settlement_items_export, name="enkash-settlement-items"),
    path("enkash/settlements/<id:pk>/check/", views.settlement_check, name="enkash-settlement-check"),
    path("enkash/qr-codes/", views.qr_code_list, name="enkash-qr-list"),
    path("enkash/qr-codes/export.csv", views.qr_code_export, name="enkash-qr-export"),
    path("enkash/qr-codes/refresh/", views.qr_code_import, name="enkash-qr-import"),
    path("enkash/qr-codes/new/", views.qr_code_new, name="enkash-qr-new"),
    path("enkash/qr-codes/<id:pk>/", views.qr_code_detail, name="enkash-qr-detail"),
    path("enkash/qr-codes/<id:pk>/qr.png", views.qr_code_png, name="enkash-qr-png"),
    path("enkash/qr-codes/<id:pk>/cancel/", views.qr_code_cancel_view, name="enkash-qr-cancel"),
    path("enkash/qr-codes/<id:pk>/check/", views.qr_code_check, name="enkash-qr-check"),
    path("enkash/qr-customers/", views.qr_customer_list, name="enkash-qr-customers"),
]
