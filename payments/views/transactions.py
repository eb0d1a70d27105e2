"""Transaction list, detail and CSV export (being built)."""
