import pytest

from accounts.phones import InvalidPhone, phone_to_e164
from accounts.services import customer_get_or_create
from tests.factories import MerchantFactory


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("0912 345 678", "SD", "+249912345678"),
        ("+249 91 234 5678", "SD", "+249912345678"),
        ("0532 123 45 67", "TR", "+905321234567"),
        ("0811-8289-855", "ID", "+628118289855"),
        ("0412 345 678", "AU", "+61412345678"),
        ("98765 43210", "IN", "+919876543210"),
    ],
)
def test_phones_are_parsed_for_the_country_and_stored_in_e164(raw, country, e164):
    assert phone_to_e164(raw, country=country) == e164


@pytest.mark.parametrize(
    ("raw", "country", "message"),
    [
        ("", "SD", "is not a phone number"),
        ("hello", "SD", "is not a phone number"),
        ("0912", "SD", "is not a valid phone number for SD"),
        ("+905321234567", "SD", "is not a SD phone number"),
    ],
)
def test_invalid_phones_get_a_clear_error(raw, country, message):
    with pytest.raises(InvalidPhone, match=message):
        phone_to_e164(raw, country=country)


@pytest.mark.django_db
def test_customer_is_stored_once_per_merchant_in_e164():
    merchant = MerchantFactory(country="SD", default_currency="SDG")
    first = customer_get_or_create(merchant=merchant, phone="0912 345 678", name="Amna")
    again = customer_get_or_create(merchant=merchant, phone="+249912345678")
    assert first.pk == again.pk
    assert again.phone == "+249912345678"
    assert again.name == "Amna"
    other = customer_get_or_create(merchant=MerchantFactory(country="SD"), phone="0912345678")
    assert other.pk != first.pk


@pytest.mark.django_db
def test_invalid_customer_phone_saves_nothing():
    merchant = MerchantFactory(country="TR")
    with pytest.raises(InvalidPhone):
        customer_get_or_create(merchant=merchant, phone="12")
    assert merchant.customers.count() == 0


@pytest.mark.django_db
def test_admin_stores_customer_phones_in_e164_and_explains_a_bad_one(admin_client):
    from django.urls import reverse

    from accounts.models import Customer

    merchant = MerchantFactory(country="SD", default_currency="SDG")
    url = reverse("admin:accounts_customer_add")
    page = admin_client.post(url, {"merchant": merchant.pk, "phone": "12", "name": "X"}).content.decode()
    assert "is not a valid phone number for SD" in page
    assert not Customer.objects.exists()
    admin_client.post(url, {"merchant": merchant.pk, "phone": "0912 345 678", "name": "Amna"})
    assert Customer.objects.get().phone == "+249912345678"
