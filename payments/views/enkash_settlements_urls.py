"""Dashboard routes of EnKash settlements and QR codes, included by payments/urls.py."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
