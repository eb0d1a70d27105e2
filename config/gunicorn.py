"""gunicorn settings shared by `make run` and production (`gunicorn -c config/gunicorn.py
config.wsgi`). Its access log is not Django's logging, so the redacting filter does not
see it: the logger class below masks what it writes itself.

- Callback tokens in the request line and path (the token is all that guards a callback
  URL), and the token of an invited user's set-password link (it sets the password).
- Every query-string value, in the request line, the query and the Referer: search boxes
  put what is searched for there (``?q=`` holds customers' emails and phone numbers), and
  a value's name is enough to read the log by (``?q=[redacted]&page=[redacted]``).
"""

import re

from gunicorn.glogging import Logger

from providers.base.redaction import CALLBACK_PATH_RE, MASK, PASSWORD_SET_PATH_RE

# name=value pairs after the "?" of a URL, up to the end of the URL (a space, or "#").
_QUERY_RE = re.compile(r"\?[^\s#]*")
_VALUE_RE = re.compile(r"(^|[?&;])([^=&;]*=)[^&;]+")
_URL_ATOMS = ("r", "f", "{referer}i", "{raw_uri}e", "{request_uri}e")
_QUERY_ATOMS = ("q", "{query_string}e")  # a query string alone, without its "?"


def mask_query_values(text: str) -> str:
    """``text`` with the value of every query-string field of each URL in it masked."""
    return _QUERY_RE.sub(lambda m: _VALUE_RE.sub(r"\1\2" + MASK, m.group(0)), text)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U"):
            if isinstance(atoms.get(key), str):
                atoms[key] = CALLBACK_PATH_RE.sub(r"\1" + MASK, atoms[key])
        for key in ("r", "U", *_URL_ATOMS):
            if isinstance(atoms.get(key), str):
                atoms[key] = PASSWORD_SET_PATH_RE.sub(r"\1" + MASK, atoms[key])
        for key in _URL_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = mask_query_values(atoms[key])
        for key in _QUERY_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = mask_query_values(f"?{atoms[key]}")[1:]
        return atoms


logger_class = RedactingLogger
# No control socket: it would live in ~/.gunicorn/, shared by every checkout on the machine.
control_socket_disable = True
