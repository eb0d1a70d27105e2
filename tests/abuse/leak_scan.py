"""What the leak scan (tests/abuse/test_leak_scan.py) looks for, and where.

A ``SecretBook`` holds every secret value a run typed or was issued, each with a name
that says what it is ("EnayaPay customer password", "EoneoPay card PAN"), never the
value itself: a failure message must not become the leak it reports.

Matching rules
- Long values (8 characters or more: PANs, passwords, keys, tokens) match anywhere as
  a substring. A PAN matches too with its spaces or dashes left in or taken out.
- Short values (a 3-4 digit CVV, a 6-digit OTP or IPIN) are too common as digit runs
  to match anywhere: a timestamp's milliseconds (``16:52:31,731``), an id, an amount
  (``731.00``) or a port would be false positives. They count only where a value
  stands as a value:
  - a whole database field (a column whose whole value is the secret), or
  - a quoted value (``"731"`` / ``'731'``), or ``key=731`` / ``key: 731``, or
  - the word after otp / code / cvv / cvc / ipin / pin / password (``OTP 731904``),
  and always with no letter, digit, ``.`` or ``-`` right before or after it.
- Where a secret may legitimately be (the callback token in its own column, which
  Paydesk looks callbacks up by) is an ``allowed`` (table, column) of that secret.
  Hashes and ciphertexts never match the clear value, so they need no exception.

Where
- ``dump_findings``: ``pg_dump --data-only`` of the test database; each COPY section
  names its table and columns, so a finding says ``table.column`` (row n). Only text
  columns are scanned (ids, amounts and timestamps cannot hold a secret, and their
  digits would trip the short rules). ``django_session`` rows are also decoded
  (Django signs session data but does not encrypt it: base64 is not a hiding place).
- ``text_findings``: any log text, line by line, named after its file.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

SHORT = 8
_WORDS = r"(?:otp|code|cvv|cvc|ipin|pin|password)"


@dataclass(frozen=True)
class Secret:
    name: str
    value: str
    allowed: frozenset[tuple[str, str]] = frozenset()  # (table, column) where it may be in clear
    in_logs: bool = True  # False: checked in the database only

    @property
    def short(self) -> bool:
        return len(self.value) < SHORT

    @functools.cached_property
    def _pattern(self) -> re.Pattern:
        v = re.escape(self.value)
        edge_before, edge_after = r"(?<![\w.\-])", r"(?![\w.\-])"
        contexts = (
            rf"(?<=[\"'])({v})(?=[\"'])",
            rf"[=:]\s?[\"']?{edge_before}({v}){edge_after}",
            rf"(?i:\b{_WORDS})\W{{1,3}}{edge_before}({v}){edge_after}",
        )
        return re.compile("|".join(f"(?:{c})" for c in contexts))

    def found_in(self, text: str, *, whole_field: bool = False) -> bool:
        if not self.value:
            return False
        if self.short:
            if whole_field and text.strip() == self.value:
                return True
            return bool(self._pattern.search(text))
        if self.value in text:
            return True
        if self.value.isdigit():  # a PAN typed with spaces or dashes
            return self.value in re.sub(r"(?<=\d)[\s-](?=\d)", "", text)
        return False


@dataclass
class SecretBook:
    secrets: list[Secret] = field(default_factory=list)

    def add(self, name: str, value: str | None, *, allowed: Iterable[tuple[str, str]] = (),
            in_logs: bool = True) -> str | None:
        if value:
            assert len(value) >= 3, f"{name} is too short to scan for"
            if not any(s.value == value for s in self.secrets):
                self.secrets.append(Secret(name, value, frozenset(allowed), in_logs))
        return value

    def names(self) -> list[str]:
        return [s.name for s in self.secrets]

    def __iter__(self) -> Iterator[Secret]:
        return iter(self.secrets)


# -- the database dump ----------------------------------------------------------------
TEXT_TYPES = {"character varying", "text", "json", "jsonb", "character", "bytea", "inet"}
_COPY_RE = re.compile(r"^COPY (?:\"?public\"?\.)?\"?([^\s\"(]+)\"? \((.*)\) FROM stdin;$")
_UNESCAPE = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\", "b": "\b", "f": "\f", "v": "\v"}


def pg_dump(settings_dict: dict) -> str:
    """The data of the database ``settings_dict`` names, as ``pg_dump --data-only`` writes it."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    command = ["pg_dump", "--data-only", "--no-owner", "--encoding=UTF8", "--dbname", settings_dict["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            command += [flag, str(settings_dict[key])]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, f"pg_dump failed: {done.stderr[-500:]}"
    return done.stdout


def _unescape(field_text: str) -> str | None:
    if field_text == r"\N":
        return None
    return re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m.group(1), m.group(1)), field_text)


def copy_rows(dump: str) -> Iterator[tuple[str, int, dict[str, str | None]]]:
    """(table, row number, {column: value}) for every row of every COPY section."""
    table, columns, number = None, [], 0
    for line in dump.splitlines():
        if table is None:
            match = _COPY_RE.match(line)
            if match:
                table, number = match.group(1), 0
                columns = [c.strip().strip('"') for c in match.group(2).split(",")]
            continue
        if line == "\\.":
            table = None
            continue
        number += 1
        yield table, number, dict(zip(columns, (_unescape(f) for f in line.split("\t")), strict=False))


def text_columns(connection) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                       "WHERE table_schema = 'public'")
        return {(t, c) for t, c, kind in cursor.fetchall() if kind in TEXT_TYPES}


def _decoded_session(data: str) -> str:
    from django.contrib.sessions.backends.db import SessionStore

    try:
        return repr(SessionStore().decode(data))
    except Exception:  # an undecodable session is scanned as it is stored
        return data


def dump_findings(dump: str, book: SecretBook, columns: set[tuple[str, str]]) -> tuple[list[str], int]:
    """Every secret of ``book`` in clear in ``dump``: ("<secret> in table.column (row n)", ...),
    and how many rows were read."""
    findings, rows = [], 0
    for table, number, row in copy_rows(dump):
        rows += 1
        for column, value in row.items():
            if value is None or (table, column) not in columns:
                continue
            texts = [value]
            if table == "django_session" and column == "session_data":
                texts.append(_decoded_session(value))
            for secret in book:
                if (table, column) in secret.allowed:
                    continue
                if any(secret.found_in(text, whole_field=True) for text in texts):
                    findings.append(f"{secret.name} in {table}.{column} (row {number})")
    return findings, rows


def text_findings(where: str, lines: Iterable[str], book: SecretBook) -> list[str]:
    """Every secret of ``book`` in ``lines``: ("<secret> in <where> line n", ...)."""
    findings = []
    for number, line in enumerate(lines, 1):
        for secret in book:
            if secret.in_logs and secret.found_in(line):
                findings.append(f"{secret.name} in {where} line {number}")
    return findings
