"""GET /api/v1/kpis (API.md): values recomputed independently, targets by year, scope, bad input, queries."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from puhui.core.services import business_date_set
from puhui.credit.models import Loan
from puhui.deliberation.models import RoundHousehold
from puhui.households.models import Household, Person
from puhui.org import roles
from puhui.org.models import Grid, Village
from tests.core.test_api_auth import assert_error_shape
from tests.kpi.fixtures import campaign, populate

D = datetime.date
FIELDS = {"code", "name", "value", "unit", "target", "target_year", "met", "source", "as_of"}
INTERNAL = ("ZC1", "ZC2", "ZC3", "ZC4", "QD2")


@pytest.fixture
def data(world):
    head = world.users[roles.HEAD_OFFICE]
    urban = Village.objects.create(
        township=world.township_in,
        code="330781102001",
        name="诸葛社区",
        is_rural=False,
        registered_population=800,
        registered_households=300,
    )
    urban_grid = Grid.objects.create(village=urban, code="330781102001-01", name="第1网格")
    campaign(world.village_mine, D(2017, 5, 1), head)
    campaign(urban, D(2017, 6, 1), head)
    campaign(world.village_out, D(2018, 3, 1), head)
    populate(world, world.village_mine, world.grid_mine, 12, prefix="M", start=D(2017, 7, 3))
    populate(world, urban, urban_grid, 5, prefix="U", start=D(2017, 8, 1))
    populate(world, world.village_other, world.village_other.grids.get(), 4, prefix="O", start=D(2017, 9, 1))
    populate(world, world.village_out, world.village_out.grids.get(), 7, prefix="X", start=D(2018, 4, 1))
    return world


def fraction(numerator: int, denominator: int) -> str | None:
    if not denominator:
        return None
    return str((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def expected(villages: list[Village], date: datetime.date) -> dict[str, str | None]:
    """The five internal indicators, the plain way: one village, household and loan at a time."""
    launched = [v for v in villages if any(c.launched_on <= date for c in v.campaigns.all())]
    rural = [v for v in villages if v.is_rural]
    households = [h for v in launched for h in Household.objects.filter(village=v)]
    collected = sum(1 for h in households for p in Person.objects.filter(household=h) if p.is_collected)
    evaluated = [
        h for h in households if any(e.round.opened_on <= date for e in RoundHousehold.objects.filter(household=h))
    ]
    granted = [
        h
        for h in households
        if any(line.status in ("active", "frozen") and line.start_date <= date for line in h.credit_lines.all())
    ]
    loans = [
        loan
        for loan in Loan.objects.all()
        if loan.line.household.village in villages and loan.drawn_on <= date and loan.principal_fen <= 30_000_000
    ]
    population = sum(v.registered_population for v in launched)
    register = sum(v.registered_households for v in launched)
    return {
        "ZC1": fraction(len([v for v in rural if v in launched]), len(rural)),
        "ZC2": fraction(collected, population) if launched else None,
        "ZC3": fraction(len(evaluated), register) if launched else None,
        "ZC4": fraction(len(granted), register) if launched else None,
        "QD2": fraction(len([loan for loan in loans if loan.channel in ("mobile", "online")]), len(loans)),
    }


def get(client, scope: str, date: str | None = None):
    params = {"scope": scope} | ({"date": date} if date else {})
    return client.get("/api/v1/kpis", params)


def by_code(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    rows = response.json()
    assert all(set(row) == FIELDS for row in rows)
    return {row["code"]: row for row in rows}


@pytest.mark.parametrize("date", [D(2017, 6, 15), D(2017, 12, 31), D(2018, 6, 30), D(2019, 12, 31)])
def test_internal_values_equal_an_independent_count(data, api_client, date):
    head = api_client(data.users[roles.HEAD_OFFICE])
    branch = api_client(data.users[roles.BRANCH_MANAGER])
    scopes = [
        (head, "city", list(Village.objects.all())),
        (head, "township:330781101", [data.village_out]),
        (branch, "township:330781102", list(Village.objects.filter(township=data.township_in))),
        (branch, "village:330781102201", [data.village_mine]),
        (branch, "village:330781102202", [data.village_other]),
    ]
    for client, scope, villages in scopes:
        rows = by_code(get(client, scope, date.isoformat()))
        want = expected(villages, date)
        got = {code: rows[code]["value"] for code in INTERNAL if code in rows}
        assert got == {code: want[code] for code in got}, scope
        assert all(row["as_of"] == date.isoformat() for row in rows.values())
    assert by_code(get(head, "city", date.isoformat()))["ZC2"]["value"] is not None or date < D(2017, 5, 1)


def test_values_are_not_trivial(data, api_client):
    """The fixture exercises every branch of the definitions (not all zero, not all one)."""
    rows = by_code(get(api_client(data.users[roles.HEAD_OFFICE]), "city", "2018-12-31"))
    for code in INTERNAL:
        assert Decimal("0") < Decimal(rows[code]["value"]) < Decimal("1"), code
    # 诸葛社区 is urban: not a 行政村, so ZC1 counts 2 of the 3 rural villages.
    assert rows["ZC1"]["value"] == "0.6667"


def test_village_value_matches_the_progress_endpoint(data, api_client):
    client = api_client(data.users[roles.BRANCH_MANAGER])
    Household.objects.filter(village=data.village_mine).update(collected_persons=0)
    for household in Household.objects.filter(village=data.village_mine):
        household.collected_persons = household.members.filter(is_collected=True).count()
        household.save(update_fields=["collected_persons"])
    business_date_set(business_date=D(2030, 1, 1))
    progress = client.get("/api/v1/villages/330781102201/progress").json()
    rows = by_code(get(client, "village:330781102201"))
    assert rows["ZC2"]["value"] == progress["collection_rate"]
    assert rows["ZC3"]["value"] == progress["evaluation_rate"]
    assert rows["ZC4"]["value"] == progress["grant_rate"]


def test_targets_by_year_and_met(data, api_client):
    head = api_client(data.users[roles.HEAD_OFFICE])
    rows = by_code(get(head, "city", "2017-12-31"))
    assert (rows["ZC1"]["target"], rows["ZC1"]["target_year"]) == ("0.0500", 2017)
    assert rows["ZC1"]["value"] == "0.3333" and rows["ZC1"]["met"] is True
    assert rows["ZC1"]["unit"] == "percent" and rows["ZC1"]["source"] == "internal"
    assert rows["ZC1"]["name"] == "开展整村授信行政村占比"
    assert (rows["ZC2"]["target"], rows["ZC2"]["target_year"]) == ("0.9000", 2017)
    assert rows["ZC2"]["met"] is False
    # the platform's part of DK1 (no loans here, no imported figure yet): zero, far from the 15 亿 target
    assert (rows["DK1"]["value"], rows["DK1"]["met"], rows["DK1"]["source"]) == ("0.00", False, "internal+imported")
    assert (rows["DK1"]["target"], rows["DK1"]["target_year"]) == ("1500000000.00", 2020)
    assert (rows["DK4C"]["target"], rows["DK4C"]["unit"]) == ("20000", "households")
    assert (rows["DK9"]["target"], rows["DK9"]["met"]) == (None, None)
    assert (rows["SB1"]["target"], rows["SB1"]["target_year"]) == ("0.9500", 2018)
    later = by_code(get(head, "city", "2019-03-01"))
    assert (later["ZC1"]["target"], later["ZC1"]["target_year"]) == ("1.0000", 2020)
    assert (later["SB1"]["target"], later["SB1"]["target_year"]) == ("0.9500", 2018)  # the plan's last SB1
    before = by_code(get(head, "city", "2016-06-30"))
    assert before["ZC1"]["target_year"] == 2017 and before["ZC1"]["value"] == "0.0000"
    assert before["ZC2"]["value"] is None and before["ZC2"]["met"] is None  # no launched village yet
    after = by_code(get(head, "city", "2023-06-30"))
    assert (after["ZC4"]["target"], after["ZC4"]["target_year"]) == ("0.6000", 2020)
    assert list(rows)[:4] == ["ZC1", "ZC2", "ZC3", "ZC4"]


def test_levels_list_their_meaningful_indicators(data, api_client):
    branch = api_client(data.users[roles.BRANCH_MANAGER])
    township = by_code(get(branch, "township:330781102", "2018-12-31"))
    assert "DK1" not in township and "XY3" not in township and {"ZC1", "ZC2", "QD2", "JC1"} <= set(township)
    assert township["ZC2"]["target"] == "0.9000"  # a rate target holds at every level
    village = by_code(get(branch, "village:330781102201", "2018-12-31"))
    assert "ZC1" not in village and {"ZC2", "ZC3", "ZC4", "XY1", "QD2"} <= set(village)


def test_date_defaults_to_the_business_date(data, api_client):
    business_date_set(business_date=D(2018, 2, 1))
    rows = by_code(get(api_client(data.users[roles.HEAD_OFFICE]), "city"))
    assert rows["ZC1"]["as_of"] == "2018-02-01" and rows["ZC1"]["target_year"] == 2018


def test_scope_rules(data, api_client):
    branch = api_client(data.users[roles.BRANCH_MANAGER])
    assert get(branch, "township:330781102").status_code == 200
    assert_error_shape(get(branch, "township:330781101"), 404, "not_found")
    assert_error_shape(get(branch, "village:330781101201"), 404, "not_found")
    assert_error_shape(get(branch, "township:330781999"), 404, "not_found")
    assert_error_shape(get(branch, "city"), 403, "forbidden")
    manager = api_client(data.users[roles.ACCOUNT_MANAGER])
    assert get(manager, "village:330781102201").status_code == 200
    assert_error_shape(get(manager, "village:330781102202"), 404, "not_found")
    for role in (roles.HEAD_OFFICE, roles.AUDITOR):
        client = api_client(data.users[role])
        for scope in ("city", "township:330781101", "village:330781102202"):
            assert get(client, scope).status_code == 200
    for role in (roles.FARMER, roles.EVALUATOR):
        assert_error_shape(get(api_client(data.users[role]), "village:330781102201"), 403, "forbidden")
    assert_error_shape(get(api_client(data.users[roles.FARMER]), "city"), 403, "forbidden")


def test_account_manager_township_is_the_part_in_scope(data, api_client):
    manager = api_client(data.users[roles.ACCOUNT_MANAGER])
    own = by_code(get(manager, "township:330781102", "2018-12-31"))
    village = by_code(get(manager, "village:330781102201", "2018-12-31"))
    assert own["ZC2"]["value"] == village["ZC2"]["value"] == expected([data.village_mine], D(2018, 12, 31))["ZC2"]


def test_anonymous_is_401(data, client):
    assert_error_shape(client.get("/api/v1/kpis", {"scope": "city"}), 401, "not_authenticated")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "invalid_request"),
        ({"scope": "town:330781102"}, "invalid_scope"),
        ({"scope": "township:3307811"}, "invalid_scope"),
        ({"scope": "village:33078110220X"}, "invalid_scope"),
        ({"scope": "City"}, "invalid_scope"),
        ({"scope": "city "}, "invalid_scope"),
        ({"scope": "x" * 500}, "invalid_request"),
        ({"scope": "city", "date": "2020-13-01"}, "invalid_date"),
        ({"scope": "city", "date": "2019-02-29"}, "invalid_date"),
        ({"scope": "city", "date": "20200101"}, "invalid_date"),
        ({"scope": "city", "date": "2020-1-1"}, "invalid_date"),
        ({"scope": "city", "date": "０２０-01-01"}, "invalid_date"),
        ({"scope": "city", "date": "2020-01-01T00:00"}, "invalid_request"),
    ],
)
def test_bad_input_is_400(data, api_client, params, code):
    response = api_client(data.users[roles.HEAD_OFFICE]).get("/api/v1/kpis", params)
    assert_error_shape(response, 400, code)


def _queries(client, scope: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get("/api/v1/kpis", {"scope": scope, "date": "2018-12-31"}).status_code == 200
    return len(context.captured_queries)


# token, user's roles, [township], catalogue, villages, persons, rounds, lines, loans, plans, targets: a budget
# (the token and roles may come in one query or two), and the same count whatever the households
@pytest.mark.parametrize(
    ("role", "scope", "queries"),
    [(roles.HEAD_OFFICE, "city", 13), (roles.BRANCH_MANAGER, "township:330781102", 14)],
)
def test_query_count_does_not_grow_with_households(world, api_client, role, scope, queries):
    campaign(world.village_mine, D(2017, 5, 1), world.users[roles.HEAD_OFFICE])
    client = api_client(world.users[role])
    populate(world, world.village_mine, world.grid_mine, 10, prefix="A", start=D(2017, 7, 3))
    client.get("/api/v1/kpis", {"scope": scope})  # the business date row, created on first read
    small = _queries(client, scope)
    populate(world, world.village_mine, world.grid_mine, 90, prefix="B", start=D(2017, 7, 3))
    assert Household.objects.count() == 100
    assert _queries(client, scope) == small
    assert small <= queries
