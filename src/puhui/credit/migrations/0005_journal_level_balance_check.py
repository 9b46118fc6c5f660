"""The balance backstop checks each journal once at commit instead of once per leg.

0003 fired a deferred check for every inserted leg, summing the whole journal each time: an end-of-day
accrual journal with a leg per loan (1,000,000 at county scale) would cost a million sums. Now:

- a deferred constraint trigger per journal checks at commit that its legs sum to zero (and that it has legs);
- a statement-level trigger refuses legs added to a journal made by an earlier transaction, so a journal that
  balanced at its commit can never be unbalanced later (``created_txid`` records the making transaction).
"""

from django.db import migrations

INSTALL = """
DROP TRIGGER IF EXISTS credit_leg_journal_balances ON credit_leg;
DROP FUNCTION IF EXISTS puhui_journal_balances();

ALTER TABLE credit_journal ADD COLUMN created_txid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);

CREATE FUNCTION puhui_journal_balances() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM credit_leg WHERE journal_id = NEW.id)
       OR (SELECT SUM(amount_fen) FROM credit_leg WHERE journal_id = NEW.id) <> 0 THEN
        RAISE EXCEPTION 'journal % does not balance', NEW.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER credit_journal_balances AFTER INSERT ON credit_journal
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION puhui_journal_balances();

CREATE FUNCTION puhui_legs_join_new_journals() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM new_legs n JOIN credit_journal j ON j.id = n.journal_id
        WHERE j.created_txid <> pg_current_xact_id()::text::bigint
    ) THEN
        RAISE EXCEPTION 'posted ledger rows are never changed: legs may join only a journal of this transaction'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER credit_leg_new_journals_only AFTER INSERT ON credit_leg
    REFERENCING NEW TABLE AS new_legs FOR EACH STATEMENT EXECUTE FUNCTION puhui_legs_join_new_journals();
"""

REMOVE = """
DROP TRIGGER IF EXISTS credit_leg_new_journals_only ON credit_leg;
DROP FUNCTION IF EXISTS puhui_legs_join_new_journals();
DROP TRIGGER IF EXISTS credit_journal_balances ON credit_journal;
DROP FUNCTION IF EXISTS puhui_journal_balances();
ALTER TABLE credit_journal DROP COLUMN IF EXISTS created_txid;
CREATE FUNCTION puhui_journal_balances() RETURNS trigger AS $$
BEGIN
    IF (SELECT COALESCE(SUM(amount_fen), 0) FROM credit_leg WHERE journal_id = NEW.journal_id) <> 0 THEN
        RAISE EXCEPTION 'journal % does not balance', NEW.journal_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER credit_leg_journal_balances AFTER INSERT ON credit_leg
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION puhui_journal_balances();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [("credit", "0004_eod_state")]
    operations = [migrations.RunPython(install, remove)]
