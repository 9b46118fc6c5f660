"""End-of-day KPI snapshots (kpi.snapshots): every scope's values equal what kpi_values shows, the date is
replaced not duplicated, and the number of queries does not grow with the households."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from puhui.core.services import business_date_set
from puhui.kpi import selectors
from puhui.kpi.models import Designation, DesignationRun, ImportedFigure, Indicator, KpiSnapshot, ServicePoint
from puhui.kpi.snapshots import kpi_snapshot_take
from puhui.org import roles
from puhui.org.models import Township, Village
from tests.kpi.fixtures import campaign, populate

D = datetime.date
DATE = D(2018, 6, 30)


@pytest.fixture
def data(world):
    head = world.users[roles.HEAD_OFFICE]
    Township.objects.create(bank=world.bank, branch=world.branch_in, code="330781103", name="黄店镇")
    campaign(world.village_mine, D(2017, 5, 1), head)
    campaign(world.village_out, D(2018, 3, 1), head)
    populate(world, world.village_mine, world.grid_mine, 12, prefix="M", start=D(2017, 7, 3))
    populate(world, world.village_other, world.village_other.grids.get(), 4, prefix="O", start=D(2017, 9, 1))
    populate(world, world.village_out, world.village_out.grids.get(), 7, prefix="X", start=D(2018, 4, 1))
    run = DesignationRun.objects.create(as_of=D(2018, 1, 1), trigger="yearly")
    Designation.objects.create(level="village", village=world.village_out, since=D(2018, 1, 1), granted_run=run)
    Designation.objects.create(level="township", township=world.township_out, since=D(2018, 1, 1), granted_run=run)
    ServicePoint.objects.create(village=world.village_mine, kind="atm", name="ATM", active_from=D(2018, 1, 1))
    for code, scope, value in [("DK1", "city", "100.00"), ("DK1", "branch:LX07", "40.00"), ("QD1", "city", "0.8")]:
        ImportedFigure.objects.create(
            indicator=Indicator.objects.get(code=code),
            scope=scope,
            period=D(2018, 5, 31),
            value=Decimal(value),
            source_system="core_banking",
            entered_by=head,
        )
    business_date_set(business_date=D(2018, 7, 1))
    return world


def snapshot(date) -> dict[tuple[str, str], Decimal | None]:
    return {
        (s.scope, s.indicator.code): s.value for s in KpiSnapshot.objects.filter(date=date).select_related("indicator")
    }


def test_every_scope_equals_kpi_values(data):
    selectors.catalogue()
    rows = kpi_snapshot_take(date=DATE)
    stored = snapshot(DATE)
    assert rows == len(stored)
    head = data.users[roles.HEAD_OFFICE]
    scopes = ["city", "branch:LX07", "branch:LX06", "township:330781102", "township:330781101"]
    scopes += [f"village:{code}" for code in Village.objects.values_list("code", flat=True)]
    for scope in scopes:
        live = {row.code: row.value for row in selectors.kpi_values(user=head, scope=scope, date=DATE)}
        mine = {code: value for (key, code), value in stored.items() if key == scope}
        assert mine == live, scope
    assert {key for key, _code in stored} == set(scopes)
    assert stored[("city", "DK1")] == Decimal("100.00") and stored[("branch:LX07", "DK1")] == Decimal("40.00")
    assert stored[("city", "QD1")] == Decimal("0.8") and stored[("branch:LX07", "QD1")] is None
    # XY3 counts the townships that have villages: 游埠镇 of 诸葛镇 and 游埠镇 (黄店镇 has none on the platform)
    assert stored[("city", "XY3")] == Decimal("0.5000") and stored[("city", "JC1")] == Decimal("0.3333")
    assert not [key for key, _code in stored if key == "township:330781103"]  # no village, nothing to measure
    assert ("township:330781102", "DK1") not in stored and ("village:330781102201", "XY2") not in stored


def test_taking_a_date_again_replaces_it(data):
    selectors.catalogue()
    first = kpi_snapshot_take(date=DATE)
    ServicePoint.objects.create(village=data.village_other, kind="pos", name="POS", active_from=D(2018, 1, 1))
    again = kpi_snapshot_take(date=DATE)
    assert first == again == KpiSnapshot.objects.filter(date=DATE).count()
    assert snapshot(DATE)[("city", "JC1")] == Decimal("0.6667")
    kpi_snapshot_take(date=DATE + datetime.timedelta(days=1))
    assert KpiSnapshot.objects.count() == 2 * first
    fewer = kpi_snapshot_take(date=DATE, villages=False)
    assert fewer == KpiSnapshot.objects.filter(date=DATE).count() < first
    assert not KpiSnapshot.objects.filter(date=DATE, scope__startswith="village:").exists()
    assert snapshot(DATE)[("city", "JC1")] == Decimal("0.6667")


def test_current_flag_reads_the_same(data):
    """End of day passes current=True on the business date: the same values as reading the date from the ledger."""
    selectors.catalogue()
    kpi_snapshot_take(date=D(2018, 7, 1), current=False)
    ledger = snapshot(D(2018, 7, 1))
    kpi_snapshot_take(date=D(2018, 7, 1), current=True)
    assert snapshot(D(2018, 7, 1)) == ledger


def _queries(date) -> int:
    with CaptureQueriesContext(connection) as context:
        kpi_snapshot_take(date=date, current=True)
    return len(context.captured_queries)


def test_query_count_does_not_grow(data, django_assert_num_queries):
    selectors.catalogue()
    kpi_snapshot_take(date=DATE, current=True)
    small = _queries(DATE)
    populate(data, data.village_mine, data.grid_mine, 300, prefix="B", start=D(2017, 7, 3))
    populate(data, data.village_out, data.village_out.grids.get(), 100, prefix="C", start=D(2017, 7, 3))
    with django_assert_num_queries(small):
        kpi_snapshot_take(date=DATE, current=True)
    assert small <= 14


def test_inside_end_of_day_it_equals_the_values_of_the_day(world, monkeypatch):
    """Taken as end of day will take it (after the day's close, before the business date moves on, reading the
    loans' outstanding principal), a snapshot equals kpi_values of that date read afterwards from the ledger."""
    from puhui.credit import eod
    from puhui.credit.services import line_drawdown, line_repay
    from tests.credit.test_money_services import START, make_line

    close = eod._day_close

    def day_close(run_id, day, rules, progress):
        counts = close(run_id, day, rules, progress)
        counts["kpi_snapshot_rows"] = kpi_snapshot_take(date=day, current=True)
        return counts

    monkeypatch.setattr(eod, "_day_close", day_close)
    farmer, head = world.users[roles.FARMER], world.users[roles.HEAD_OFFICE]
    line = make_line(world)
    line_drawdown(user=farmer, line_id=line.pk, amount_fen=1_000_000, channel="mobile")
    runs = eod.eod_run(user=head, until=START + datetime.timedelta(days=1))
    line_repay(user=farmer, line_id=line.pk, amount_fen=400_000, channel="mobile")
    runs += eod.eod_run(user=head, until=START + datetime.timedelta(days=3))
    assert all(run.counts["kpi_snapshot_rows"] > 0 for run in runs)
    for run in runs:
        live = {row.code: row.value for row in selectors.kpi_values(user=head, scope="city", date=run.business_date)}
        assert {code: value for (scope, code), value in snapshot(run.business_date).items() if scope == "city"} == live
    balances = [snapshot(run.business_date)[("city", "DK1")] for run in runs]
    assert balances[:2] == [Decimal("10000.00")] * 2 and balances[2] < Decimal("10000.00")
