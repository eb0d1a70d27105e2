"""EnKash settlements: the periodic settlement search (issue 9)."""
