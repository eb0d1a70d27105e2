"""Dashboard routes of the EoneoPay desk and of the generic payments pages, included by
payments/urls.py (namespace "payments")."""

from django.urls import path

from payments.views import eoneopay, payments

urlpatterns = [
    # Payments of every provider (payments/views/payments.py).
    path("payments/", payments.payment_list, name="payment-list"),
    path("payments/export.csv", payments.payment_export, name="payment-export"),
    path("payments/<id:pk>/", payments.payment_detail, name="payment-detail"),
    path("payments/<id:pk>/refund/", payments.payment_refund, name="payment-refund"),
    # EoneoPay desk (payments/views/eoneopay.py).
    path("eoneopay/customers/", eoneopay.customer_list, name="eoneopay-customer-list"),
    path("eoneopay/customers/export.csv", eoneopay.customer_export, name="eoneopay-customer-export"),
    path("eoneopay/customers/new/", eoneopay.customer_new, name="eoneopay-customer-new"),
    path("eoneopay/customers/import/", eoneopay.customer_import, name="eoneopay-customer-import"),
    path("eoneopay/customers/<id:pk>/", eoneopay.customer_detail, name="eoneopay-customer-detail"),
    path("eoneopay/customers/<id:pk>/edit/", eoneopay.customer_edit, name="eoneopay-customer-edit"),
    path("eoneopay/customers/<id:pk>/delete/", eoneopay.customer_delete, name="eoneopay-customer-delete"),
    path("eoneopay/customers/<id:pk>/cards/", eoneopay.customer_card_add, name="eoneopay-card-add"),
    path("eoneopay/customers/<id:pk>/cards/<id:card_pk>/remove/", eoneopay.customer_card_remove,
         name="eoneopay-card-remove"),
    path("eoneopay/customers/<id:pk>/bank-accounts/", eoneopay.customer_bank_add, name="eoneopay-bank-add"),
    path("eoneopay/customers/<id:pk>/bank-accounts/<id:bank_pk>/remove/", eoneopay.customer_bank_remove,
         name="eoneopay-bank-remove"),
    path("eoneopay/charge/", eoneopay.charge_new, name="eoneopay-charge"),
    path("eoneopay/connections/<id:connection_pk>/api-keys/", eoneopay.api_keys, name="eoneopay-api-keys"),
    path("eoneopay/connections/<id:connection_pk>/api-keys/new/", eoneopay.api_key_create,
         name="eoneopay-api-key-create"),
    path("eoneopay/api-keys/<id:pk>/check/", eoneopay.api_key_check, name="eoneopay-api-key-check"),
    path("eoneopay/api-keys/<id:pk>/revoke/", eoneopay.api_key_revoke, name="eoneopay-api-key-revoke"),
]
