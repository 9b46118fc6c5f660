"""The dashboard reads the last whole end-of-day snapshot (fast at a county's size) and computes live without
one; the two give the same figures for the same day."""

import datetime

import pytest
from django.http import Http404

from puhui.kpi import dashboard
from puhui.kpi import selectors as kpi_selectors
from puhui.kpi.models import Indicator, KpiSnapshot
from puhui.kpi.snapshots import kpi_snapshot_take
from puhui.org import roles
from puhui.org.models import Township
from tests.kpi.test_dashboard import data_make as dashboard_data

D = datetime.date
CLOSED = D(2018, 6, 29)  # the last date end of day closed
TODAY = D(2018, 6, 30)  # the business date the page is asked for


@pytest.fixture
def data(world):
    """The villages, campaigns and households of the dashboard's tests."""
    return dashboard_data(world)


def _values(rows):
    return {row.code: row.value for row in rows}


def test_pages_read_the_last_snapshot_and_it_equals_the_live_figures(data):
    head = data.users[roles.HEAD_OFFICE]
    live = kpi_selectors.kpi_values(user=head, scope="city", date=CLOSED)
    kpi_snapshot_take(date=CLOSED)
    rows = dashboard.dashboard_rows(user=head, scope="city", date=TODAY)
    assert {row.as_of for row in rows} == {CLOSED}  # said on every card: yesterday's close
    assert _values(rows) == _values(live)
    # the snapshot is what is read: change a stored value and the page shows it
    zc3 = Indicator.objects.get(code="ZC3")
    KpiSnapshot.objects.filter(date=CLOSED, scope="city", indicator=zc3).update(value="0.4242")
    assert str(_values(dashboard.dashboard_rows(user=head, scope="city", date=TODAY))["ZC3"]) == "0.4242"


def test_the_township_ranking_reads_the_snapshot_too(data):
    head = data.users[roles.HEAD_OFFICE]
    live = dashboard.township_ranking(user=head, date=CLOSED, targets={})
    kpi_snapshot_take(date=CLOSED)
    read = dashboard.township_ranking(user=head, date=TODAY, targets={})
    assert [(r["code"], r["figures"]) for r in read] == [(r["code"], r["figures"]) for r in live]
    assert Township.objects.count() == len(read)


def test_without_a_whole_recent_snapshot_the_figures_are_live(data):
    head = data.users[roles.HEAD_OFFICE]
    zc1 = Indicator.objects.get(code="ZC1")
    KpiSnapshot.objects.create(date=CLOSED, scope="city", indicator=zc1, value="0.9999")  # one row: not a day's
    assert {row.as_of for row in dashboard.dashboard_rows(user=head, scope="city", date=TODAY)} == {TODAY}
    KpiSnapshot.objects.all().delete()
    kpi_snapshot_take(date=TODAY - datetime.timedelta(days=dashboard.SNAPSHOT_FRESH_DAYS + 1))  # too old
    assert {row.as_of for row in dashboard.dashboard_rows(user=head, scope="city", date=TODAY)} == {TODAY}


def test_a_branch_manager_still_gets_404_outside_scope_with_snapshots(data):

    kpi_snapshot_take(date=CLOSED)
    with pytest.raises(Http404):
        dashboard.dashboard_rows(user=data.users[roles.BRANCH_MANAGER], scope="township:330781101", date=TODAY)
