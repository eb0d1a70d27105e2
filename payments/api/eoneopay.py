"""EoneoPay API views (issue 9); routes in payments/api/eoneopay_urls.py."""
