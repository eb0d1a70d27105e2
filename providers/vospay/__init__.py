"""Vospay (Indonesia, IDR): BNPL accounts, installment checkout and contracts.
The client is ``providers.vospay.client.VospayClient``; the sandbox is
``providers.vospay.sandbox.VospaySandbox``; quirks and test data are in README.md."""
