"""EnKash settlements and QR codes (issue 9)."""

__all__: list[str] = []
