"""API routes of the EnKash resources, included by payments/api/urls.py (namespace "api")."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
