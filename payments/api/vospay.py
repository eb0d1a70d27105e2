"""Vospay API views (issue 9); routes in payments/api/vospay_urls.py."""
