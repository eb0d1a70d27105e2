# Payment records (payouts, payments, refunds, links, QR codes, settlements, contracts)
# arrive with the issues that build them.
