"""API routes of EnKash settlements and QR codes, included by payments/api/urls.py."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
