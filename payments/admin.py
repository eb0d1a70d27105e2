"""Staff views of the money. Money fields and statuses are read-only here: a status
changes only through payments.transitions (sync, callbacks, the dashboard's actions)."""

from django.contrib import admin

from payments.models import (
    BalanceSnapshot,
    IbanAccount,
    IdempotencyKey,
    PaymentLinkDetail,
    PayoutDetail,
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
    fields = (*readonly_fields, "description", "next_sync_at")
    inlines = [PayoutInline, LinkInline, EventInline]
    show_full_result_count = False  # a COUNT(*) over millions of rows on every page

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
