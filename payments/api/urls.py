"""Routes of the payments API, included by config/urls.py under /api/v1/ (namespace "api")."""

from django.urls import include, path

from payments.api import views

urlpatterns = [
    path("ibans/", views.IbanListApi.as_view(), name="iban-list"),
    path("ibans/refresh/", views.IbanRefreshApi.as_view(), name="iban-refresh"),
    path("ibans/<id:pk>/balances/", views.IbanBalanceListApi.as_view(), name="iban-balances"),
    path("transactions/", views.TransactionListApi.as_view(), name="transaction-list"),
    path("transactions/<id:pk>/", views.TransactionDetailApi.as_view(), name="transaction-detail"),
    path("payouts/", views.PayoutCreateApi.as_view(), name="payout-create"),
    path("payouts/<id:pk>/", views.PayoutDetailApi.as_view(), name="payout-detail"),
    path("payouts/<id:pk>/check-status/", views.PayoutCheckStatusApi.as_view(), name="payout-check-status"),
    path("payment-links/", views.PaymentLinkCreateApi.as_view(), name="payment-link-create"),
    path("payment-links/<id:pk>/", views.PaymentLinkDetailApi.as_view(), name="payment-link-detail"),
    # One module of routes per provider's resources.
    path("", include("payments.api.eoneopay_urls")),
    path("", include("payments.api.enkash_urls")),
    path("", include("payments.api.enkash_settlements_urls")),
    path("", include("payments.api.vospay_urls")),
]
