"""`puhui_deferred_checks()` (PostgreSQL): the deferred constraints of the current transaction checked now.

A money posting's pipelined block is PostgreSQL's implicit transaction, committed by the pipeline's Sync
(core.bulk.pipelined). Its last statement calls this function, so a deferred constraint (a foreign key, the
ledger's balance) refuses that statement rather than the Sync. `SET CONSTRAINTS` sent on its own would make
PostgreSQL warn at every posting that it runs outside a transaction block; inside a function it does not.
"""

from django.db import migrations

INSTALL = """
CREATE FUNCTION puhui_deferred_checks() RETURNS void AS $$
BEGIN
    SET CONSTRAINTS ALL IMMEDIATE;
END $$ LANGUAGE plpgsql;
"""

REMOVE = "DROP FUNCTION IF EXISTS puhui_deferred_checks();"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0007_unused_write_indexes")]
    operations = [migrations.RunPython(install, remove)]
