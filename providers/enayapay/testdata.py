"""The EnayaPay sandbox's card-switch key pair: fixed sandbox test data, generated once.

It is not a secret of anyone's: the private key decrypts only IPIN blocks sent to the
local sandbox, for the sandbox's invented cards. It is fixed (not generated at start)
so that ``seed_demo`` and the tests can put the public half on an EnayaPay connection
as its ``ipin_public_key`` credential, the way a merchant enters the key EnayaPay gives
it. Chosen so that the base64 public key holds no run of four digits (it may be shown
in pages and must not look like a test secret there).
"""

from __future__ import annotations

# base64 of the DER SubjectPublicKeyInfo, the form the ``ipin_public_key`` credential takes.
IPIN_PUBLIC_KEY = (
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA3ZMY2Lzs0yCIi8+5mndatTQXlWvQr5Mo"
    "cOtz9N6+7KBvBaZh2jWmttQVo2BZynBwcbOX7QU5Kz1xaTgSaiQNeen/SC48wBCeM0gbqb8AKVCE"
    "ZTfuiLZIVUavHVqerILSemZW39dKRDDCb/xpRGn4rs7uTam9H14drA71KCTinN7a+HOF+D4UtnVz"
    "72nHGEt4fjFYDBgjCDuOpZVnD98ihnBphbduMKcCeU3gPdGN2i1vy/ihdglPQZpkXC51TIkCqi5o"
    "buXTm7nA5udVZmOQHKXNuMXRh8DezpAwh4/MEGsQZWBfFFU+WCGkkuStCm/wanptYtpSjbd9Vkzy"
    "sp5njwIDAQAB"
)

IPIN_PRIVATE_KEY_PEM = b"""\
-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDdkxjYvOzTIIiL
z7mad1q1NBeVa9Cvkyhw63P03r7soG8FpmHaNaa21BWjYFnKcHBxs5ftBTkrPXFp
OBJqJA156f9ILjzAEJ4zSBupvwApUIRlN+6ItkhVRq8dWp6sgtJ6Zlbf10pEMMJv
/GlEafiuzu5Nqb0fXh2sDvUoJOKc3tr4c4X4PhS2dXPvaccYS3h+MVgMGCMIO46l
lWcP3yKGcGmFt24wpwJ5TeA90Y3aLW/L+KF2CU9BmmRcLnVMiQKqLmhu5dObucDm
51VmY5Acpc24xdGHwN7OkDCHj8wQaxBlYF8UVT5YIaSS5K0Kb/Bqem1i2lKNt31W
TPKynmePAgMBAAECggEAQFHxngUl2Fny2WcpEVqBZeWjzPfZwgX9cN4gsJ4ynT0r
TWARusblSOCDEYSoPBhsw8znFuJzyIYTFIC288HYeaIAPaNSdky8p9VQVnPAJ74c
WMemQmBr2fllXyeNtTVaxTZNFLiJ8gaXguuqYTZD/vbJ/Zh+8oqfIXHMH+WpNPD/
5HmCSsEoKwn5mVo7dKhTMkmFyguE0ERP2UXgMhQilcWRk7inLDH4SISCpYKgTEo8
F/2au8Rt2I3sIAPBsbf5cTTLFtXLZ3Q+oSm+6b2tUFQoBzRDb/RMnvN1z8flxjR7
wtWIo4+mIaP+ckuTOkV7Cc8nbdXsLOKh1VfXfvH16QKBgQD9X6UYlisAM5glL+Mf
zTpeAybOK/tiK8BTIyMLI4p87SwcCPueVIVfy2f5ZiAPEbfPrxA7URHeubM+LNIE
osflEvJ99hYgkLmB1zfhL9I1NydiJmqQMVHfqhNlzzSOL/xgucRugwlRNRz5gTtL
kOxwadsZW/hlSSE0TaWbgv1j+QKBgQDf3xHmhStZgzuME+SKeKO+7Bdy6wO4QkG0
gEOGVNdu+VYS5PvFdc65fOm9xgc6ZirRB8dY5EJ1BM7G/unE5muCzo58mWd06We8
5IaepCKARXb8zRG6WPXO0v6s85TmvtyxMzmN2cME3PZ/X1TQat7RNteSjwCGwOEJ
/Ad+tc15xwKBgDhAgdDhlg5nZgHrjctDrw+sN3NShG8ZM4vBo0gXzelKZp6ax/Iw
5aOM7zqJl9iAoIR1Y28n4oXGSKsnHEF3OlX7TOb2OZdlSiovc/KEwXCbHB1IViRJ
LtovUjsqM4rV0HxRAfFfGjRzTEmAjX+LX1LdzYzlxFIIWFzaWEgcXtFRAoGAcCOR
F+OE/2WZImWkiSg8/ZnNdSb7ygSGXSASsus0rsX+s6A37YVBc/B6NTFI1Zvvvp0i
4ggUsgEigtOVzaeOGwvUm91L0WhJKnleZYDaN16UZ7VhN/LvzhYqs/+fiqX4blq2
bbOy2HDGmK7sESo3Sp0qBqPTI6ziDNpN9s6iimkCgYEArpO20M9GtdlCKpF1a56S
iP44G05E/GGnKnczfUYSqmbGGnY+QBWufXc9cPAVyY7Ut7dkXVl6eQzZVbkcYr9h
Dm5DyzfPb3NnAruSXqsom7djG3kUQ0i3tNrOUpB1pmhRZQ4T2/WYzvuKMJA262ok
zZl5Jxg6wkMc2su5sRpAGVs=
-----END PRIVATE KEY-----
"""
