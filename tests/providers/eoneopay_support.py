"""Shared by the EoneoPay test modules: the sandbox's state and a customer with cards.
Clients come from ``tests.helpers.fast_client`` (the sandbox's demo secret and admin keys)."""

from __future__ import annotations

from providers.eoneopay.types import BankAccount, NewCard


def state(sandbox):
    return sandbox.sandbox("eoneopay")


def new_customer(client, *cards: NewCard, email: str = "ann.example@example.test"):
    return client.customer_create(
        name="Ann Example", email=email, address="2 Test Lane\nHobart TAS 7000", cards=cards,
        bank_accounts=[BankAccount(name="Ann Example", number="12345678", branch="012003")],
    )
