"""EnKash API views (issue 9); routes in payments/api/enkash_urls.py."""
