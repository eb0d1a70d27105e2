"""EoneoPay money services (issue 9)."""
