"""One JSON object per log line, for production (``LOG_FORMAT=json``, its default
there): a log shipper reads fields instead of parsing text. It formats what the
redacting filter left (``providers.base.redaction.RedactingFilter`` runs on the handler
first and folds any traceback into the scrubbed message), so it adds no unredacted
field of its own."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info:  # only when no redacting filter ran (it clears exc_info)
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
