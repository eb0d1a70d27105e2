"""EnKash settlement and QR code API views (issue 9)."""
