"""Further plans and branch or township targets are data: added in the admin, picked by year and scope."""

import datetime
from decimal import Decimal

import pytest

from puhui.kpi.models import Indicator, Plan, Target
from puhui.kpi.selectors import plan_for_year, target_for_year
from puhui.org import roles
from puhui.org.models import User

D = datetime.date


def test_plan_and_target_choice_by_year():
    first, second = Plan(name="a", start_year=2016, end_year=2020), Plan(name="b", start_year=2021, end_year=2025)
    assert plan_for_year([second, first], 2015) is first
    assert plan_for_year([second, first], 2018) is first
    assert plan_for_year([second, first], 2021) is second
    assert plan_for_year([first, second], 2030) is second
    assert plan_for_year([], 2020) is None
    targets = [Target(year=2017), Target(year=2018), Target(year=2020)]
    assert [target_for_year(targets, y).year for y in (2015, 2017, 2018, 2019, 2020, 2024)] == [
        2017, 2017, 2018, 2020, 2020, 2020
    ]  # fmt: skip
    assert target_for_year([], 2020) is None


def test_a_later_plan_and_a_township_target_apply(world, api_client):
    plan = Plan.objects.create(name="2021–2025 共同富裕普惠金融行动计划", start_year=2021, end_year=2025)
    zc2 = Indicator.objects.get(code="ZC2")
    Target.objects.create(plan=plan, indicator=zc2, year=2023, value=Decimal("0.97"))
    Target.objects.create(plan=plan, indicator=zc2, year=2023, scope="township:330781102", value=Decimal("0.99"))
    head = api_client(world.users[roles.HEAD_OFFICE])
    rows = {r["code"]: r for r in head.get("/api/v1/kpis", {"scope": "city", "date": "2022-05-01"}).json()}
    assert (rows["ZC2"]["target"], rows["ZC2"]["target_year"]) == ("0.9700", 2023)
    assert (rows["ZC3"]["target"], rows["ZC3"]["target_year"]) == (None, None)  # no ZC3 target in that plan yet
    township = head.get("/api/v1/kpis", {"scope": "township:330781102", "date": "2022-05-01"}).json()
    assert {r["code"]: r["target"] for r in township}["ZC2"] == "0.9900"
    other = head.get("/api/v1/kpis", {"scope": "township:330781101", "date": "2022-05-01"}).json()
    assert {r["code"]: r["target"] for r in other}["ZC2"] == "0.9700"


@pytest.mark.django_db
def test_admin_pages_for_plans_targets_and_indicators(client):
    admin = User.objects.create_superuser(username="root", password="Correct-Horse-9")
    client.force_login(admin)
    plan = Plan.objects.get(start_year=2016)
    for path in (
        "/admin/kpi/indicator/",
        "/admin/kpi/indicator/add/",
        "/admin/kpi/plan/",
        "/admin/kpi/plan/add/",
        f"/admin/kpi/plan/{plan.pk}/change/",
        "/admin/kpi/target/",
        "/admin/kpi/target/add/",
        "/admin/autocomplete/?app_label=kpi&model_name=target&field_name=indicator&term=ZC",
    ):
        assert client.get(path).status_code == 200, path
    response = client.post(
        "/admin/kpi/plan/add/",
        {
            "name": "2021–2025",
            "start_year": "2021",
            "end_year": "2025",
            "targets-TOTAL_FORMS": "1",
            "targets-INITIAL_FORMS": "0",
            "targets-0-indicator": str(Indicator.objects.get(code="QD2").pk),
            "targets-0-year": "2025",
            "targets-0-scope": "city",
            "targets-0-value": "0.5",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Target.objects.get(plan__name="2021–2025").value == Decimal("0.5")
