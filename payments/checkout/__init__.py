"""The customer's installment checkout of a merchant's Vospay order, at
``/me/<merchant-slug>/checkout/<token>/``. Issue 9 shows the order; issue 10 adds the
Vospay sign-in, plan choice and finalize (calling ``payments.services.vospay``'s
``vospay_order_authorized`` and ``vospay_order_finalized``)."""
