"""A PostgreSQL sequence for ``Statement.seq`` (the store order used for paging).

On SQLite, writers are serialised by the database lock, so the next number is read from
``MAX(seq)`` inside the writing transaction instead (see ``inward.xapi.storage``).
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def create_sequence(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE SEQUENCE IF NOT EXISTS xapi_statement_seq_seq "
            "START 1 OWNED BY xapi_statement.seq"
        )
        schema_editor.execute(
            "SELECT setval('xapi_statement_seq_seq', "
            "COALESCE((SELECT MAX(seq) FROM xapi_statement), 0) + 1, false)"
        )


def drop_sequence(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP SEQUENCE IF EXISTS xapi_statement_seq_seq")


class Migration(migrations.Migration):
    dependencies = [
        ("xapi", "0002_statement_index_attachments_documents"),
    ]

    operations = [migrations.RunPython(create_sequence, drop_sequence)]
