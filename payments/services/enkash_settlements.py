"""EnKash settlements and QR code services (issue 9)."""
