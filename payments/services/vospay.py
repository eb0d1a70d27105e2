"""Vospay money services (issue 9)."""
