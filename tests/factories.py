import factory
from django.contrib.auth import get_user_model

from accounts.models import Customer, Membership, Merchant, Role
from providers.models import ProviderConnection

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"Merchant {n}")
    slug = factory.Sequence(lambda n: f"merchant-{n}")
    country = "TR"
    default_currency = "TRY"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    merchant = factory.SubFactory(MerchantFactory)
    role = Role.OWNER


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    merchant = factory.SubFactory(MerchantFactory)
    phone = factory.Sequence(lambda n: f"+90532{n:07d}")
    name = "Ayşe Yılmaz"


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderConnection

    merchant = factory.SubFactory(MerchantFactory)
    provider = "enigmapay"
    mode = "test"
    base_url = "http://127.0.0.1:8100/enigmapay/api/dealer"
    credentials = factory.LazyFunction(
        lambda: {"api_key": "ak_factory_key_0001", "secret_key": "sk_factory_secret_value_9876"}
    )


# -- payments -----------------------------------------------------------------------
# ``created_at`` / ``at`` are auto_now_add on the models; these factories accept them
# anyway (written with an UPDATE after the insert) so that tests can place rows in time.

from decimal import Decimal  # noqa: E402

from payments.models import (  # noqa: E402
    BalanceSnapshot,
    IbanAccount,
    PaymentLinkDetail,
    PayoutDetail,
    Transaction,
    TransactionEvent,
)


class _BackdatedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    _stamp_field = "created_at"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        stamp = kwargs.pop(cls._stamp_field, None)
        obj = super()._create(model_class, *args, **kwargs)
        if stamp is not None:
            model_class.objects.filter(pk=obj.pk).update(**{cls._stamp_field: stamp})
            setattr(obj, cls._stamp_field, stamp)
        return obj


class TransactionFactory(_BackdatedFactory):
    class Meta:
        model = Transaction

    merchant = factory.SubFactory(MerchantFactory)
    connection = factory.SubFactory(ConnectionFactory, merchant=factory.SelfAttribute("..merchant"))
    provider = factory.LazyAttribute(lambda t: t.connection.provider)
    kind = "payout"
    amount = Decimal("100.00")
    currency = "TRY"
    status = "pending"


class TransactionEventFactory(_BackdatedFactory):
    class Meta:
        model = TransactionEvent

    _stamp_field = "at"

    transaction = factory.SubFactory(TransactionFactory)
    source = TransactionEvent.Source.SYSTEM
    from_status = ""
    to_status = factory.LazyAttribute(lambda e: e.transaction.status)


class PayoutDetailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PayoutDetail

    transaction = factory.SubFactory(TransactionFactory, kind="payout")
    username = "ayse.yilmaz"
    customer_iban = "TR330006100519786457841326"
    customer_name = "Ayşe Yılmaz"


class PaymentLinkDetailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentLinkDetail

    transaction = factory.SubFactory(TransactionFactory, kind="payment_link")
    username = "ayse.yilmaz"
    first_name = "Ayşe"
    last_name = "Yılmaz"
    email = factory.Sequence(lambda n: f"buyer{n}@example.test")
    phone = factory.Sequence(lambda n: f"+90533{n:07d}")
    payment_url = factory.Sequence(lambda n: f"https://sandbox.example.test/pay/{n}")


class IbanAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IbanAccount

    merchant = factory.SubFactory(MerchantFactory)
    connection = factory.SubFactory(ConnectionFactory, merchant=factory.SelfAttribute("..merchant"))
    external_id = factory.Sequence(lambda n: n + 1)
    iban = factory.Sequence(lambda n: f"TR3300061005197864578{n:05d}")
    owner_name = "Alpha Bazaar Ltd"
    bank_name = "Sandbox Bank"
    balance = Decimal("1000.00")
    currency = "TRY"


class BalanceSnapshotFactory(_BackdatedFactory):
    class Meta:
        model = BalanceSnapshot

    _stamp_field = "at"

    iban = factory.SubFactory(IbanAccountFactory)
    balance = Decimal("1000.00")
    currency = factory.LazyAttribute(lambda s: s.iban.currency)
