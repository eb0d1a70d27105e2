"""Dashboard routes of the Vospay desk, included by payments/urls.py (namespace "payments")."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
