"""PostgreSQL backstops for the ledger (DOMAIN §4): a journal's legs must balance by commit time, and posted
legs and journals are never updated or deleted. SQLite relies on the services and the tests."""

from django.db import migrations

BALANCE_CHECK = """
CREATE OR REPLACE FUNCTION puhui_journal_balances() RETURNS trigger AS $$
BEGIN
    IF (SELECT COALESCE(SUM(amount_fen), 0) FROM credit_leg WHERE journal_id = NEW.journal_id) <> 0 THEN
        RAISE EXCEPTION 'journal % does not balance', NEW.journal_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER credit_leg_journal_balances AFTER INSERT ON credit_leg
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION puhui_journal_balances();

CREATE OR REPLACE FUNCTION puhui_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'posted ledger rows are never changed: post a reversing journal'
        USING ERRCODE = 'restrict_violation';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER credit_leg_append_only BEFORE UPDATE OR DELETE ON credit_leg
    FOR EACH ROW EXECUTE FUNCTION puhui_ledger_append_only();
CREATE TRIGGER credit_journal_append_only BEFORE UPDATE OR DELETE ON credit_journal
    FOR EACH ROW EXECUTE FUNCTION puhui_ledger_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS credit_journal_append_only ON credit_journal;
DROP TRIGGER IF EXISTS credit_leg_append_only ON credit_leg;
DROP TRIGGER IF EXISTS credit_leg_journal_balances ON credit_leg;
DROP FUNCTION IF EXISTS puhui_ledger_append_only();
DROP FUNCTION IF EXISTS puhui_journal_balances();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BALANCE_CHECK, params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("credit", "0002_chart_of_accounts")]
    operations = [migrations.RunPython(install, remove)]
