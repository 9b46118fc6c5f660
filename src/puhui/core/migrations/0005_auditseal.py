"""The audit chain's seal table, and on PostgreSQL the trigger that orders an entry's id after its transaction id.

Why the trigger: the sealer (puhui/core/audit_chain.py) seals entries up to an id below which no transaction can
still be in flight; that holds only if a transaction owns an id (an xid) before it draws an entry id. A transaction
whose first write is the audit entry drew the id from the column default before having an xid, so the trigger takes
the xid and draws a fresh id. Later writes in a transaction (every money posting) keep the default id untouched.
"""

from django.db import migrations, models

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION puhui_audit_entry_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_current_xact_id_if_assigned() IS NULL THEN
        PERFORM pg_current_xact_id();
        NEW.id := nextval(pg_get_serial_sequence('auditlog_logentry', 'id'));
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS puhui_audit_entry_id ON auditlog_logentry;
CREATE TRIGGER puhui_audit_entry_id BEFORE INSERT ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION puhui_audit_entry_id();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS puhui_audit_entry_id ON auditlog_logentry;
DROP FUNCTION IF EXISTS puhui_audit_entry_id();
"""


def trigger_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL)


def trigger_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0004_idempotencykey"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                ("entry_id", models.BigIntegerField(primary_key=True, serialize=False, verbose_name="audit entry")),
                ("entry_digest", models.CharField(max_length=64, verbose_name="entry digest")),
                ("chain_digest", models.CharField(max_length=64, verbose_name="chain digest")),
                ("sealed_at", models.DateTimeField(auto_now_add=True, verbose_name="sealed at")),
            ],
            options={
                "verbose_name": "audit seal",
                "verbose_name_plural": "audit seals",
            },
        ),
        migrations.RunPython(trigger_create, trigger_drop),
    ]
