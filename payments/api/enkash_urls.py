"""API routes of the orders resource (any provider) and EnKash's order actions, included
by payments/api/urls.py (namespace "api")."""

from django.urls import path

from payments.api import enkash

urlpatterns = [
    path("orders/", enkash.OrderListApi.as_view(), name="order-list"),
    path("orders/<id:pk>/", enkash.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<id:pk>/check-status/", enkash.OrderCheckStatusApi.as_view(), name="order-check-status"),
    path("orders/<id:pk>/payment-detail/", enkash.OrderPaymentDetailApi.as_view(), name="order-payment-detail"),
]
