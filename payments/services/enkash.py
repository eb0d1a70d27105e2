"""EnKash money services (issue 9)."""
