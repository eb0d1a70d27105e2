"""gunicorn settings shared by `make run` and production (`gunicorn -c config/gunicorn.py
config.wsgi`). Its access log is not Django's logging, so the redacting filter does not
see it: the logger class below masks callback tokens in the request line and path it
writes (the token is all that guards a callback URL)."""

from gunicorn.glogging import Logger

from providers.base.redaction import CALLBACK_PATH_RE, MASK


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U"):
            if isinstance(atoms.get(key), str):
                atoms[key] = CALLBACK_PATH_RE.sub(r"\1" + MASK, atoms[key])
        return atoms


logger_class = RedactingLogger
# No control socket: it would live in ~/.gunicorn/, shared by every checkout on the machine.
control_socket_disable = True
