"""The audit log is append-only in the database too: on PostgreSQL a trigger refuses every UPDATE and DELETE
of core_auditentry, whoever sends it (a raw query, a bug, a console session). TRUNCATE fires no row trigger,
so the test flushes and an operator's deliberate wipe still work. SQLite has no such guard; the model's
refusals (AuditEntry.save/delete, its QuerySet) cover the application there.

A later migration that really must rewrite entries disables the trigger for its own transaction
(ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_append_only), which only the table's owner may.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION core_auditentry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % on core_auditentry refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER core_auditentry_append_only
    BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry;
DROP FUNCTION IF EXISTS core_auditentry_append_only();
"""


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # no parameters: the % of RAISE stays as it is

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_auditentry_address_actor_protected"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
    ]
