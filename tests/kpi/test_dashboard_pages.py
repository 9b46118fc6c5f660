"""The dashboard pages: who sees what (404 outside scope), what they show, no inline script, and a query count
that does not grow with the number of households."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from puhui.core.services import business_date_set
from puhui.credit.models import CreditLine
from puhui.deliberation.models import Round, RoundHousehold
from puhui.households.models import Household, Person
from puhui.kpi.models import Indicator, KpiSnapshot
from puhui.org import roles
from tests.kpi.fixtures import campaign, populate

D = datetime.date
DATE = D(2018, 6, 30)


@pytest.fixture
def data(world):
    business_date_set(business_date=DATE)
    head = world.users[roles.HEAD_OFFICE]
    campaign(world.village_mine, D(2017, 5, 1), head)
    campaign(world.village_out, D(2018, 3, 1), head)
    populate(world, world.village_mine, world.grid_mine, 10, prefix="M", start=D(2017, 7, 3))
    populate(world, world.village_out, world.village_out.grids.get(), 4, prefix="X", start=D(2018, 4, 1))
    zc3 = Indicator.objects.get(code="ZC3")
    for day, value in ((D(2018, 4, 1), "0.0010"), (D(2018, 5, 1), "0.0020"), (D(2018, 6, 29), "0.0030")):
        KpiSnapshot.objects.create(date=day, scope="city", indicator=zc3, value=Decimal(value))
    return world


def _assert_no_inline_script(html: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"


def _json_script(html: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def test_city_overview_for_the_head_office(data, login):
    response = login(data.users[roles.HEAD_OFFICE]).get("/kpi/")
    assert response.status_code == 200
    html = response.content.decode()
    _assert_no_inline_script(html)
    assert "echarts.min.js" in html and "kpi/dashboard.js" in html
    for group in ("ZC", "XY", "QD", "SB", "JC"):
        assert f'data-testid="group-{group}"' in html
    assert 'data-testid="kpi-ZC3"' in html and 'data-testid="state-rule"' in html
    assert "2018-06-30" in html  # as of
    trend = _json_script(html, "kpi-trend-data")
    assert trend["code"] == "ZC1"
    ranking = _json_script(html, "kpi-ranking-data")
    assert sorted(ranking["names"]) == sorted([data.township_in.name, data.township_out.name])
    rows = response.context["rows"]
    assert {r.state for r in rows} <= {"met", "at_risk", "behind", "none"}
    zc3 = next(r for r in rows if r.code == "ZC3")
    assert zc3.projection is not None  # from the snapshots
    assert f'href="/kpi/townships/{data.township_in.code}/"' in html


def test_auditor_sees_the_city_and_the_rank_can_change(data, login):
    response = login(data.users[roles.AUDITOR]).get("/kpi/?rank=ZC4")
    assert response.status_code == 200 and response.context["rank_by"] == "ZC4"
    assert login(data.users[roles.AUDITOR]).get("/kpi/?rank=bogus").context["rank_by"] == "ZC1"


def test_branch_manager_sees_own_townships_only(data, login):
    client = login(data.users[roles.BRANCH_MANAGER])
    response = client.get("/kpi/")
    assert response.status_code == 200
    assert [row["code"] for row in response.context["ranking"]] == [data.township_in.code]
    assert data.township_out.name not in response.content.decode()
    assert client.get(f"/kpi/townships/{data.township_in.code}/").status_code == 200
    assert client.get(f"/kpi/villages/{data.village_other.code}/").status_code == 200
    for path in (
        f"/kpi/townships/{data.township_out.code}/",
        f"/kpi/villages/{data.village_out.code}/",
        "/kpi/series.json?scope=city&indicator=ZC1",
        f"/kpi/series.json?scope=township:{data.township_out.code}&indicator=ZC1",
        "/kpi/gap-report.xlsx?scope=city",
        f"/kpi/gap-report.xlsx?scope=township:{data.township_out.code}",
        "/kpi/townships/abc/",
        "/kpi/villages/123/",
    ):
        assert client.get(path).status_code == 404, path


def test_branch_manager_starts_on_own_branch(data, login):
    client = login(data.users[roles.BRANCH_MANAGER])
    response = client.get("/kpi/")
    assert response.templates[0].name == "kpi/dashboard/branch.html"
    assert response.context["scope"] == f"branch:{data.branch_in.code}"
    assert {row.code for row in response.context["rows"]} >= {"ZC1", "ZC4"}
    _assert_no_inline_script(response.content.decode())
    assert client.get(f"/kpi/branches/{data.branch_in.code}/").status_code == 200
    assert client.get(f"/kpi/branches/{data.branch_out.code}/").status_code == 404
    assert client.get(f"/kpi/gap-report.xlsx?scope=branch:{data.branch_out.code}").status_code == 404
    assert client.get(f"/kpi/gap-report.xlsx?scope=branch:{data.branch_in.code}").status_code == 200


def test_head_office_opens_any_branch(data, login):
    response = login(data.users[roles.HEAD_OFFICE]).get(f"/kpi/branches/{data.branch_out.code}/")
    assert response.status_code == 200
    assert [row["code"] for row in response.context["ranking"]] == [data.township_out.code]
    city = login(data.users[roles.HEAD_OFFICE]).get("/kpi/").content.decode()
    assert f'href="/kpi/branches/{data.branch_out.code}/"' in city


def test_account_manager_sees_own_village_only(data, login):
    client = login(data.users[roles.ACCOUNT_MANAGER])
    assert client.get("/kpi/").templates[0].name == "kpi/dashboard/townships.html"
    assert client.get(f"/kpi/branches/{data.branch_in.code}/").status_code == 404
    response = client.get(f"/kpi/townships/{data.township_in.code}/")
    assert response.status_code == 200
    assert [v["code"] for v in response.context["villages"]] == [data.village_mine.code]
    assert client.get(f"/kpi/villages/{data.village_mine.code}/").status_code == 200
    assert client.get(f"/kpi/villages/{data.village_other.code}/").status_code == 404


@pytest.mark.parametrize("role", [roles.EVALUATOR, roles.FARMER])
def test_evaluators_and_farmers_have_no_access(data, login, role):
    client = login(data.users[role])
    for path in ("/kpi/", f"/kpi/townships/{data.township_in.code}/", "/kpi/gap-report.xlsx?scope=city"):
        assert client.get(path).status_code == 403


def test_anonymous_goes_to_login(data, client):
    response = client.get("/kpi/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_malformed_scope_is_a_clear_400(data, login):
    response = login(data.users[roles.HEAD_OFFICE]).get("/kpi/gap-report.xlsx?scope=everything")
    assert response.status_code == 400
    assert "scope" in response.content.decode().lower() or "范围" in response.content.decode()


def test_township_page_drills_to_villages(data, login):
    response = login(data.users[roles.HEAD_OFFICE]).get(f"/kpi/townships/{data.township_in.code}/")
    assert response.status_code == 200
    html = response.content.decode()
    _assert_no_inline_script(html)
    chart = _json_script(html, "kpi-villages-data")
    assert sorted(chart["names"]) == sorted([data.village_mine.name, data.village_other.name])
    zc4 = [v["figures"].get("ZC4") for v in response.context["villages"]]
    assert zc4 == sorted(zc4, key=lambda v: (v is None, v or 0))  # lowest first, no figure last
    assert f'href="/kpi/villages/{data.village_mine.code}/"' in html


def test_village_page_lists_the_households_with_links(data, login):
    response = login(data.users[roles.HEAD_OFFICE]).get(f"/kpi/villages/{data.village_mine.code}/?list=uncollected")
    assert response.status_code == 200
    html = response.content.decode()
    _assert_no_inline_script(html)
    lists = response.context["lists"]
    assert response.context["shown"] == "uncollected"
    assert (
        lists["unevaluated"]["count"]
        == Household.objects.filter(village=data.village_mine)
        .exclude(round_entries__round__opened_on__lte=DATE)
        .count()
    )
    first = lists["unevaluated"]["rows"][0]
    assert f'href="/households/{first["pk"]}/"' in html
    campaign_ = data.village_mine.campaigns.get()
    assert f'href="/campaigns/{campaign_.pk}/"' in html
    for entry in lists.values():
        for row in entry["rows"]:
            assert "*" in row["head"]  # masked names only
            assert row["head"] not in {p.name for p in Person.objects.filter(relation="head")}


def test_series_json_switches_the_indicator(data, login):
    response = login(data.users[roles.HEAD_OFFICE]).get("/kpi/series.json?scope=city&indicator=ZC3")
    assert response.status_code == 200
    body = response.json()
    assert body["values"] == ["0.0010", "0.0020", "0.0030"] and body["targets"] == ["0.7000"] * 3
    assert login(data.users[roles.HEAD_OFFICE]).get("/kpi/series.json?scope=city&indicator=X").status_code == 404


# ---- queries do not grow with the households --------------------------------------------------------------


def _grow(world, n: int) -> None:
    """Bulk-add households to 诸葛村 (one head each, every other one evaluated, every fourth granted)."""
    head_user = world.users[roles.HEAD_OFFICE]
    camp = world.village_mine.campaigns.get()
    round_ = Round.objects.create(campaign=camp, number=99, opened_on=D(2018, 1, 1), opened_by=head_user)
    households = Household.objects.bulk_create(
        [Household(village=world.village_mine, grid=world.grid_mine, number=f"B{i:06d}") for i in range(n)],
        batch_size=2000,
    )
    persons = Person.objects.bulk_create(
        [
            Person(household=h, relation="head", name=f"张{i}名", is_collected=i % 3 > 0)
            for i, h in enumerate(households)
        ],
        batch_size=2000,
    )
    RoundHousehold.objects.bulk_create(
        [RoundHousehold(round=round_, household=h, outcome="passed") for h in households[::2]], batch_size=2000
    )
    CreditLine.objects.bulk_create(
        [
            CreditLine(
                household=p.household,
                borrower=p,
                limit_fen=1_000_000,
                grade="A",
                rate=Decimal("4.85"),
                start_date=D(2018, 2, 1),
                end_date=D(2021, 2, 1),
                status="active",
            )
            for p in persons[::4]
        ],
        batch_size=2000,
    )
    if connection.vendor == "postgresql":  # as autovacuum would: plans for 10,000 rows, not for an empty table
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


PAGES = [
    "/kpi/",
    "/kpi/townships/330781102/",
    "/kpi/branches/LX07/",
    "/kpi/villages/330781102201/",
    "/kpi/villages/330781102201/?list=ungranted",
    "/kpi/series.json?scope=city&indicator=ZC3",
    "/kpi/gap-report.xlsx?scope=township:330781102",
]


def test_query_count_is_the_same_at_10_and_10000_households(data, login, django_assert_num_queries):
    client = login(data.users[roles.HEAD_OFFICE])
    assert Household.objects.filter(village=data.village_mine).count() == 10
    small = {}
    for path in PAGES:
        client.get(path)  # warm the session and the catalogue
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        small[path] = len(captured)
    _grow(data, 9_990)
    assert Household.objects.filter(village=data.village_mine).count() == 10_000
    for path in PAGES:
        with django_assert_num_queries(small[path]):
            response = client.get(path)
        assert response.status_code == 200
    lists = client.get("/kpi/villages/330781102201/").context["lists"]
    assert lists["unevaluated"]["count"] > 4_000 and len(lists["unevaluated"]["rows"]) == 50
