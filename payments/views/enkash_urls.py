"""Dashboard routes of the EnKash desk, included by payments/urls.py (namespace "payments"),
and the orders list of every provider that takes orders."""

from django.urls import path

from payments.views import enkash, orders

urlpatterns = [
    path("orders/", orders.order_list, name="order-list"),
    path("orders/export.csv", orders.order_export, name="order-export"),
    path("enkash/orders/new/", enkash.order_new, name="enkash-order-new"),
    path("enkash/orders/<id:pk>/", enkash.order_detail, name="enkash-order-detail"),
    path("enkash/orders/<id:pk>/qr.png", enkash.order_qr, name="enkash-order-qr"),
    path("enkash/orders/<id:pk>/check/", enkash.order_check, name="enkash-order-check"),
    path("enkash/orders/<id:pk>/pay/", enkash.order_pay, name="enkash-order-pay"),
    path("enkash/payments/<id:pk>/refund/", enkash.payment_refund, name="enkash-payment-refund"),
]
