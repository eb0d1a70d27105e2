"""What every provider package shares: the error hierarchy, the HTTP client base,
redaction, money, and the sandbox framework."""
