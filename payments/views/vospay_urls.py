"""Dashboard routes of the Vospay desk, included by payments/urls.py (namespace "payments")."""

from django.urls import path

from payments.views import vospay

urlpatterns = [
    path("vospay/orders/new/", vospay.order_new, name="vospay-order-new"),
    path("vospay/orders/<id:pk>/", vospay.order_detail, name="vospay-order-detail"),
    path("vospay/orders/<id:pk>/cancel/", vospay.order_cancel, name="vospay-order-cancel"),
    path("vospay/orders/<id:pk>/verify/", vospay.order_verify, name="vospay-order-verify"),
    path("vospay/contracts/", vospay.contract_list, name="contract-list"),
    path("vospay/contracts/export.csv", vospay.contract_export, name="contract-export"),
]
