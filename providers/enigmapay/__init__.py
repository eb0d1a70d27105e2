"""EnigmaPay (Turkey, TRY): dealer settings, assigned IBANs and their history, payouts
to customer IBANs (send-money), transaction status, credit-card payment links and the
status callback. See README.md for the doc's quirks and the choices made."""
