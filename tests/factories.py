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
