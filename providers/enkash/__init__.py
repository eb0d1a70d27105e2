"""EnKash (India, INR): client, sandbox and the shapes chosen where the doc is silent (README)."""
