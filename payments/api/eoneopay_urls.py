"""API routes of the EoneoPay resources and the generic payments, included by
payments/api/urls.py (namespace "api")."""

from django.urls import path

from payments.api import eoneopay

urlpatterns = [
    path("customers/", eoneopay.CustomerListApi.as_view(), name="customer-list"),
    path("customers/<id:pk>/", eoneopay.CustomerDetailApi.as_view(), name="customer-detail"),
    path("payments/", eoneopay.PaymentListApi.as_view(), name="payment-list"),
    path("payments/<id:pk>/", eoneopay.PaymentDetailApi.as_view(), name="payment-detail"),
    path("payments/<id:pk>/refund/", eoneopay.PaymentRefundApi.as_view(), name="payment-refund"),
]
