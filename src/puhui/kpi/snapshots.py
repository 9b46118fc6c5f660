"""End-of-day KPI snapshots: the day's value of every indicator for the city, each township, each branch and
each village, so history is exact (statuses and collected persons move on) and charts read one table.

One pass of kpi/measures.py's grouped queries over every village (a fixed number of queries whatever the size),
then additions in Python per scope, plus one query for the imported figures; the rows are replaced for the
date, so taking a date's snapshot again is harmless. A township (or branch) without a village has nothing to
measure and gets no rows. Values are the ones ``kpi_values`` shows a city-wide user
for the same scope and date.
"""

import datetime

from django.db import connection, transaction

from puhui.kpi.measures import VillageFigures, indicator_values, rollup, village_figures
from puhui.kpi.models import KpiSnapshot
from puhui.kpi.selectors import catalogue, combined_value, imported_figures
from puhui.org.models import Village

TABLE = KpiSnapshot._meta.db_table
INSERT = f"INSERT INTO {TABLE} (date, scope, indicator_id, value) VALUES (%s, %s, %s, %s)"  # noqa: S608


def scope_villages(
    figures: list[VillageFigures], *, villages: bool = True
) -> dict[tuple[str, str], list[VillageFigures]]:
    """(level, scope key) → its villages: the city, each township, each branch, and each village (unless not)."""
    scopes: dict[tuple[str, str], list[VillageFigures]] = {("city", "city"): figures}
    for village in figures:
        scopes.setdefault(("township", f"township:{village.township_code}"), []).append(village)
        scopes.setdefault(("branch", f"branch:{village.branch_code}"), []).append(village)
        if villages:
            scopes[("village", f"village:{village.code}")] = [village]
    return scopes


@transaction.atomic
def kpi_snapshot_take(*, date: datetime.date, current: bool | None = None, villages: bool = True) -> int:
    """Store the date's values (replacing any taken before); returns the number of rows. End of day passes
    ``current=True``: it runs before the business date moves on, so the loans' outstanding principal is the
    balance of the date and the ledger need not be summed. ``villages=False`` leaves out the village rows
    (most of the rows: a caller replaying years of days may keep only the city, townships and branches)."""
    figures = village_figures(villages=Village.objects.all(), date=date, current=current)
    scopes = scope_villages(figures, villages=villages)
    indicators = catalogue()
    imported = imported_figures(scopes=[key for _level, key in scopes], date=date)
    day = connection.ops.adapt_datefield_value(date)
    as_text = connection.vendor == "sqlite"  # sqlite3 takes no Decimal; PostgreSQL takes it as numeric
    rows = []
    for (level, key), group in scopes.items():
        values = indicator_values(rollup(group))
        for indicator in indicators:
            if level not in indicator.scopes:
                continue
            value = combined_value(indicator, values.get(indicator.code), imported.get((indicator.pk, key)))
            rows.append((day, key, indicator.pk, str(value) if as_text and value is not None else value))
    KpiSnapshot.objects.filter(date=date).delete()
    # a plain executemany: bulk_create spends most of its time preparing each field of each of the rows
    with connection.cursor() as cursor:
        cursor.executemany(INSERT, rows)
    return len(rows)
