"""EnayaPay (Sudan, SDG): customer phone registration with OTP, passwords, and card
balance inquiry on the EBS switch. See README.md for the doc's quirks and test data."""
