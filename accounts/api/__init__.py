"""The REST API of accounts and settings: authentication, role permissions, and the
connection and webhook-event endpoints. See ``config/api.py`` for the shared rules."""
