"""Logging filters used by ``LOGGING`` in ``config/settings/base.py``."""

from __future__ import annotations

import logging


class ClientErrorsOnOneLine(logging.Filter):
    """A 4xx answer is one line, never a traceback.

    Django logs a ``PermissionDenied`` (403) or a ``SuspiciousOperation`` (400) with the
    exception attached, so every refused page would print a traceback although nothing
    is broken: the user was simply not allowed. Records that carry a 4xx ``status_code``
    (``django.request``, ``django.security.*`` and DRF put it in ``extra``) keep their
    message and lose the traceback; the exception's own sentence is kept at the end.
    5xx records keep their traceback: those are bugs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500 and (record.exc_info or record.exc_text):
            exception = record.exc_info[1] if record.exc_info else None
            reason = " ".join(str(exception).split()) if exception is not None else ""
            if reason:
                record.msg = f"{record.getMessage()} ({reason})"
                record.args = None
            record.exc_info = None
            record.exc_text = None
        return True
