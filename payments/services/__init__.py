"""Services that change money state, one module per capability. Each takes keyword-only
typed arguments, calls one provider operation through ``providers.services.client_for``
and records the result through ``payments.transitions``."""
