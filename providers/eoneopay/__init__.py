"""EoneoPay (Australia, AUD): API keys, customers with tokenised cards and bank
accounts, card payments by token and refunds. See README.md."""
