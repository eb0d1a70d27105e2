"""The customer's installment checkout of a merchant's Vospay order, at
``/me/<merchant-slug>/checkout/<token>/``. Issue 9 shows the order; issue 10 adds the
Vospay sign-in, account and plan choice, the transaction OTP and finalize (views.py).
"""
