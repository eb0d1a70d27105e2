"""Database helpers the ORM does not have in a cheap form."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import connections, router, transaction
from django.db.migrations.operations import AddIndex
from django.db.models import Model

# PostgreSQL takes at most 65,535 parameters in one statement.
_MAX_PARAMS = 30_000


def bulk_update_by_pk(rows: Sequence[Model], fields: Sequence[str]) -> int:
    """Save ``fields`` of ``rows`` (instances of one model) as ``bulk_update`` does, in
    one ``UPDATE ... FROM (VALUES ...)`` per few thousand values on PostgreSQL.

    Django's ``bulk_update`` writes a ``CASE WHEN pk = ... THEN ...`` per field and row
    and resolves an expression for each: for a sync batch of 25 rows and 5 columns that
    was most of the worker's CPU (bench/README.md). Here each value is a parameter, cast
    to its column's type (a NULL in the first row would otherwise be text). Like
    ``bulk_update``: no ``pre_save`` (``auto_now`` is the caller's), no signals.
    Elsewhere (SQLite) it is ``bulk_update``."""
    if not rows:
        return 0
    model = type(rows[0])
    alias = router.db_for_write(model)
    db = connections[alias]
    if db.vendor != "postgresql":
        return model._default_manager.using(alias).bulk_update(rows, fields)
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    qn = db.ops.quote_name
    table = qn(meta.db_table)
    row_sql = "(" + ", ".join(f"CAST(%s AS {f.db_type(db)})" for f in columns) + ")"
    assignments = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in columns[1:])
    names = ", ".join(qn(f.column) for f in columns)
    per_statement = max(1, _MAX_PARAMS // len(columns))
    updated = 0
    # All or nothing, as bulk_update is, when it takes more than one statement.
    with transaction.atomic(using=alias, savepoint=False), db.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start:start + per_statement]
            params = [f.get_db_prep_save(getattr(row, f.attname), db) for row in chunk for f in columns]
            values = ", ".join([row_sql] * len(chunk))
            # Only names quoted from the model and type names from its fields go into the text.
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS v ({names}) "  # noqa: S608
                f"WHERE {table}.{qn(meta.pk.column)} = v.{qn(meta.pk.column)}",
                params,
            )
            updated += cursor.rowcount
    return updated


class AddIndexWithoutLock(AddIndexConcurrently):
    """``AddIndex`` that does not block writes while the index is built: ``CREATE INDEX
    CONCURRENTLY`` on PostgreSQL (a busy table keeps taking payments meanwhile), a plain
    ``CREATE INDEX`` elsewhere (SQLite, the embedded default). Its migration must be
    ``atomic = False``."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
