from django.urls import include, path

from payments.views import callbacks, enigmapay, sync, transactions

app_name = "payments"

urlpatterns = [
    # Transactions: list, detail, export (payments/views/transactions.py).
    path("transactions/", transactions.transaction_list, name="transaction-list"),
    path("transactions/export.csv", transactions.transaction_export, name="transaction-export"),
    path("transactions/<id:pk>/", transactions.transaction_detail, name="transaction-detail"),
    # Callbacks received, per connection, with their outcome (payments/views/callbacks.py).
    path("callbacks/", callbacks.callback_list, name="callback-list"),
    # Live fragments and "sync now" (payments/views/sync.py).
    path("transactions/<id:pk>/status/", sync.transaction_status, name="transaction-status"),
    path("transactions/statuses/", sync.transaction_statuses, name="transaction-statuses"),
    path("sync/now/", sync.sync_now, name="sync-now"),
    path("sync/progress/", sync.sync_progress, name="sync-progress"),
    # EnigmaPay desk (payments/views/enigmapay.py).
    path("ibans/", enigmapay.iban_list, name="iban-list"),
    path("ibans/refresh/<id:connection_pk>/", enigmapay.iban_refresh, name="iban-refresh"),
    path("ibans/<id:pk>/", enigmapay.iban_detail, name="iban-detail"),
    path("payouts/new/", enigmapay.payout_new, name="payout-new"),
    path("payouts/confirm/", enigmapay.payout_confirm, name="payout-confirm"),
    path("payouts/send/", enigmapay.payout_send, name="payout-send"),
    path("payouts/<id:pk>/check/", enigmapay.payout_check, name="payout-check"),
    path("payment-links/new/", enigmapay.link_new, name="link-new"),
    path("enigmapay/settings/", enigmapay.dealer_settings, name="dealer-settings"),
    # One module of routes per provider desk, in the same namespace.
    path("", include("payments.views.eoneopay_urls")),
    path("", include("payments.views.enkash_urls")),
    path("", include("payments.views.enkash_settlements_urls")),
    path("", include("payments.views.vospay_urls")),
]

