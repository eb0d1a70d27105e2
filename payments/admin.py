"""Staff views of the money. Money fields and statuses are read-only here: a status
changes only through payments.transitions (sync, callbacks, the dashboard's actions)."""

from django.contrib import admin, messages

from payments.models import (
    BalanceSnapshot,
    IbanAccount,
    IdempotencyKey,
    PaymentLinkDetail,
    PayoutDetail,
    SyncRun,
    Transaction,
    TransactionEvent,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = TransactionEvent
    fields = ("at", "source", "actor", "from_status", "to_status", "raw_status", "note")
    readonly_fields = fields


class PayoutInline(ReadOnlyInline):
    model = PayoutDetail
    fields = ("username", "customer_iban", "customer_name")
    readonly_fields = fields


class LinkInline(ReadOnlyInline):
    model = PaymentLinkDetail
    fields = ("username", "first_name", "last_name", "email", "phone", "order_id", "payment_url")
    readonly_fields = fields


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = ("reference", "merchant", "provider", "kind", "amount", "currency", "status", "raw_status",
                    "created_at")
    list_filter = ("provider", "kind", "status", "merchant", "created_at")
    search_fields = ("reference", "external_id", "payout__customer_iban", "payment_link__email",
                     "payment_link__phone", "customer__phone", "customer__email")
    list_select_related = ("merchant",)
    date_hierarchy = "created_at"
    readonly_fields = ("merchant", "connection", "provider", "kind", "reference", "external_id", "amount",
                       "currency", "status", "raw_status", "parent", "customer", "created_by", "last_error",
                       "created_at", "updated_at", "sync_attempts")
    fields = (*readonly_fields, "description", "next_sync_at", "needs_attention_since", "attention_reason")
    inlines = [PayoutInline, LinkInline, EventInline]
    show_full_result_count = False  # a COUNT(*) over millions of rows on every page
    actions = ["resync"]

    @admin.action(description="Re-run the status sync (asks the provider; never sends money)")
    def resync(self, request, queryset):
        """Makes the open ones due now (flagged ones too) and wakes the scheduler after
        commit: the provider is asked by a worker, not while this request holds its
        transaction."""
        from django.db import transaction
        from django.utils import timezone

        from payments.tasks import transactions_sync_due
        from payments.transitions import FINAL

        count = queryset.exclude(status__in=FINAL).update(next_sync_at=timezone.now())
        transaction.on_commit(transactions_sync_due.delay)
        self.message_user(request, f"{count} open transaction(s) will be asked about in a moment; "
                                   f"final ones are left alone.", messages.INFO)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TransactionEvent)
class TransactionEventAdmin(admin.ModelAdmin):
    list_display = ("transaction", "at", "source", "actor", "from_status", "to_status", "raw_status")
    list_filter = ("source", "to_status")
    search_fields = ("transaction__reference", "actor", "note")
    list_select_related = ("transaction",)
    raw_id_fields = ("transaction",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SnapshotInline(ReadOnlyInline):
    model = BalanceSnapshot
    fields = ("at", "balance", "currency")
    readonly_fields = fields
    ordering = ("-at",)
    max_num = 50


@admin.register(IbanAccount)
class IbanAccountAdmin(admin.ModelAdmin):
    list_display = ("iban", "merchant", "bank_name", "owner_name", "active", "balance", "currency", "balance_at")
    list_filter = ("active", "merchant")
    search_fields = ("iban", "owner_name", "bank_name")
    readonly_fields = ("merchant", "connection", "external_id", "iban", "owner_name", "bank_name", "active",
                       "raw_status", "balance", "currency", "balance_at", "created_at")
    inlines = [SnapshotInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # balances are evidence


@admin.register(BalanceSnapshot)
class BalanceSnapshotAdmin(admin.ModelAdmin):
    list_display = ("iban", "at", "balance", "currency")
    list_filter = ("currency",)
    search_fields = ("iban__iban",)
    readonly_fields = ("iban", "at", "balance", "currency")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # balances are evidence


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ("merchant", "scope", "short_key", "response_status", "transaction", "created_at", "completed_at")
    list_filter = ("scope", "response_status")
    search_fields = ("key",)
    readonly_fields = ("merchant", "key", "scope", "fingerprint", "response_status", "response_body", "transaction",
                       "created_at", "completed_at")

    @admin.display(description="key")
    def short_key(self, obj):
        return obj.key[:16]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting a used key would let the same retry move money a second time.
        return False


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "task", "connection", "trigger", "total", "done", "changed", "failed",
                    "finished_at", "short_error", "next_attempt_at")
    list_filter = ("task", "trigger", "connection__provider")
    search_fields = ("connection__merchant__name", "error")
    list_select_related = ("connection__merchant",)
    readonly_fields = ("task", "merchant", "connection", "trigger", "requested_by", "created_at", "started_at",
                       "finished_at", "total", "done", "changed", "failed", "error", "next_attempt_at",
                       "consecutive_failures", "fresh_read")
    show_full_result_count = False

    @admin.display(description="error")
    def short_error(self, obj):
        return obj.error[:80]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# -- EnKash settlements and QR codes (issue 9) -------------------------------------------------
from payments.models import QrCode, QrCodeEvent, QrCustomer, SettledItem, SettlementDetail  # noqa: E402


class SettledItemInline(ReadOnlyInline):
    model = SettledItem
    fields = ("type", "external_id", "order_id", "amount", "charges", "gst", "net_amount", "matched")
    readonly_fields = fields


@admin.register(SettlementDetail)
class SettlementDetailAdmin(admin.ModelAdmin):
    """Read-only: a settlement is what EnKash says; its status moves through the transitions."""

    list_display = ("transaction", "payout_date", "utr", "payout_mode", "settlement_amount", "total_charges",
                    "total_gst", "transaction_count")
    search_fields = ("utr", "transaction__external_id", "transaction__reference", "transaction__merchant__name")
    list_select_related = ("transaction__merchant",)
    inlines = [SettledItemInline]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False


class QrCodeEventInline(ReadOnlyInline):
    model = QrCodeEvent
    fields = ("at", "source", "actor", "note")
    readonly_fields = fields


@admin.register(QrCode)
class QrCodeAdmin(admin.ModelAdmin):
    list_display = ("name", "external_id", "merchant", "status", "multiple_use", "fixed_amount", "amount",
                    "payments_count", "amount_received", "expires_at", "created_at")
    list_filter = ("status", "multiple_use", "fixed_amount")
    search_fields = ("name", "external_id", "merchant__name", "customer_name")
    list_select_related = ("merchant",)
    inlines = [QrCodeEventInline]
    exclude = ("png",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "png"]

    def has_add_permission(self, request):
        return False


@admin.register(QrCustomer)
class QrCustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "mobile", "email", "external_id", "merchant", "created_at")
    search_fields = ("name", "mobile", "email", "external_id", "merchant__name")
    list_select_related = ("merchant",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False


# -- EnKash orders, payments and refunds (their Transaction rows are above) --------------------
# Imported here, not in the block at the top, so that each provider's section stays its own.
from payments.models import EnKashOrderDetail, EnKashPaymentDetail, EnKashRefundDetail  # noqa: E402


@admin.register(EnKashOrderDetail)
class EnKashOrderDetailAdmin(admin.ModelAdmin):
    list_display = ("order_id", "enkash_order_id", "transaction", "customer_first_name", "customer_email")
    search_fields = ("order_id", "enkash_order_id", "customer_email", "customer_phone")
    list_select_related = ("transaction",)
    readonly_fields = [f.name for f in EnKashOrderDetail._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False


@admin.register(EnKashPaymentDetail)
class EnKashPaymentDetailAdmin(admin.ModelAdmin):
    list_display = ("transaction", "payment_mode", "masked_card", "bank_reference")
    search_fields = ("transaction__external_id", "bank_reference")
    list_select_related = ("transaction",)
    readonly_fields = [f.name for f in EnKashPaymentDetail._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False


@admin.register(EnKashRefundDetail)
class EnKashRefundDetailAdmin(admin.ModelAdmin):
    list_display = ("request_id", "refund_id", "transaction", "arn")
    search_fields = ("request_id", "refund_id", "arn")
    list_select_related = ("transaction",)
    readonly_fields = [f.name for f in EnKashRefundDetail._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # The requestId is what makes a repeat harmless at EnKash: it must stay known.
        return False



# -- EoneoPay (customers with masked cards, card payments, API keys made from Paydesk) ----------
from payments.models import EoneoPayApiKey, EoneoPayBankAccount, EoneoPayCard, EoneoPayCustomer  # noqa: E402


class EoneoPayCardInline(ReadOnlyInline):
    model = EoneoPayCard
    fields = ("masked_pan", "description", "expiry_date", "created_at", "removed_at")  # never the token
    readonly_fields = fields


class EoneoPayBankAccountInline(ReadOnlyInline):
    model = EoneoPayBankAccount
    fields = ("name", "branch", "masked_number")
    readonly_fields = fields


@admin.register(EoneoPayCustomer)
class EoneoPayCustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "external_id", "merchant", "connection", "created_at", "deleted_at")
    list_filter = ("connection__mode",)
    search_fields = ("name", "email", "external_id", "merchant__name")
    readonly_fields = ("merchant", "connection", "external_id", "created_by", "created_at", "updated_at",
                       "deleted_at")
    inlines = [EoneoPayCardInline, EoneoPayBankAccountInline]
    list_select_related = ("merchant", "connection")

    def has_add_permission(self, request):
        return False  # customers are made at EoneoPay, from the desk or the API


@admin.register(EoneoPayApiKey)
class EoneoPayApiKeyAdmin(admin.ModelAdmin):
    list_display = ("hint", "mode", "status", "merchant", "connection", "created_at", "revoked_at")
    list_filter = ("mode", "status")
    fields = ("hint", "mode", "status", "raw_status", "permissions", "merchant", "connection", "created_by",
              "created_at", "checked_at", "revoked_at")  # the encrypted key is not shown
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False



# -- Vospay installment orders (issue 9) ---------------------------------------------------
from payments.models import VospayOrder, VospayOrderItem  # noqa: E402  (kept with its section)


class VospayOrderItemInline(admin.TabularInline):
    model = VospayOrderItem

    fields = ("position", "name", "quantity", "unit_price")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(VospayOrder)
class VospayOrderAdmin(admin.ModelAdmin):
    """Read-only: an order's amounts are what its customer was shown and Vospay checks."""

    list_display = ("transaction", "merchant_key", "customer_name", "period", "monthly_payment", "finalized_at",
                    "verified_at")
    list_filter = ("transaction__connection__mode",)
    search_fields = ("transaction__reference", "transaction__external_id", "contract_number", "customer_phone")
    list_select_related = ("transaction",)
    readonly_fields = ("transaction", "merchant_key", "customer_name", "customer_phone", "shipping_cost",
                       "insurance_cost", "processing_fee", "tax", "installment_id", "period", "monthly_payment",
                       "interest_rate", "contract_number", "finalize_sent_at", "finalized_at", "verified_at")
    exclude = ("checkout_token",)  # the customer's key to the checkout page: not shown
    inlines = [VospayOrderItemInline]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
