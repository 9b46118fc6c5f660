"""年度实施计划: a branch manager enters own branch's yearly targets beside the city targets; the head office
sees every branch's targets beside the city targets and the actual values."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry

from puhui.core.services import business_date_set
from puhui.kpi.figures import FigureRefused, branch_targets_set, figure_enter, problem_text
from puhui.kpi.models import BranchTarget
from puhui.org import roles
from tests.kpi.figure_files import D


@pytest.fixture
def dated(world):
    business_date_set(business_date=D(2020, 11, 26))
    return world


def targets(branch) -> dict[str, Decimal]:
    return dict(BranchTarget.objects.filter(branch=branch, year=2020).values_list("indicator__code", "value"))


def test_the_form_lists_branch_indicators_with_the_city_target_beside(dated, login):
    manager = login(dated.users[roles.BRANCH_MANAGER])
    page = manager.get("/kpi/branch-plans/LX07/2020/")
    assert page.status_code == 200
    html = page.content.decode()
    codes = [indicator.code for indicator, *_rest in page.context["rows"]]
    assert "DK1" in codes and "ZC2" in codes and "SB1" in codes
    assert "XY3" not in codes and "JC2" not in codes  # city-only indicators have no branch targets
    assert "1,500,000,000.00" in html and "95.00%" in html  # DK1 15 亿 and ZC2 95 % of 2020
    assert "<script>" not in html


def test_a_branch_manager_sets_updates_and_clears_own_targets(dated, login):
    manager_user = dated.users[roles.BRANCH_MANAGER]
    manager = login(manager_user)
    posted = {"value_ZC2": "96", "value_DK1": "1,600,000,000", "note_DK1": "含核心系统", "value_DK4C": "2100"}
    response = manager.post("/kpi/branch-plans/LX07/2020/", posted)
    assert response.status_code == 302 and response["Location"] == "/kpi/branch-plans/?year=2020"
    assert targets(dated.branch_in) == {"ZC2": Decimal("0.96"), "DK1": Decimal("1600000000"), "DK4C": 2100}
    saved = BranchTarget.objects.get(indicator__code="DK1")
    assert (saved.entered_by, saved.note) == (manager_user, "含核心系统")
    assert LogEntry.objects.filter(object_repr=str(saved), actor=manager_user).exists()
    # the form shows them again as typed: percentage points, yuan
    form = manager.get("/kpi/branch-plans/LX07/2020/").content.decode()
    assert 'value="96"' in form and 'value="1600000000"' in form
    # the same values again change nothing; an emptied field removes that target
    assert (
        branch_targets_set(user=manager_user, branch=dated.branch_in, year=2020, values={"ZC2": (Decimal("0.96"), "")})
        == 0
    )
    manager.post("/kpi/branch-plans/LX07/2020/", posted | {"value_DK4C": ""})
    assert set(targets(dated.branch_in)) == {"ZC2", "DK1"}


@pytest.mark.parametrize(
    ("field", "text", "problem"),
    [
        ("value_ZC2", "120", "percent_range"),
        ("value_DK4C", "1.5", "whole_number"),
        ("value_DK1", "-1", "negative"),
        ("value_DK1", "12.345", "yuan_places"),
    ],
)
def test_a_bad_value_refuses_the_whole_plan(dated, login, field, text, problem):
    manager = login(dated.users[roles.BRANCH_MANAGER])
    response = manager.post("/kpi/branch-plans/LX07/2020/", {"value_ZC3": "80", field: text})
    assert response.status_code == 200
    assert not BranchTarget.objects.exists()
    message = response.content.decode()
    expected = problem_text(problem, {"shown": "1.2", "percent": "120"})
    assert expected.replace("%", "")[:20] in message.replace("%", "").replace("&#x27;", "'")


def test_a_word_is_no_number(dated, login):
    response = login(dated.users[roles.BRANCH_MANAGER]).post("/kpi/branch-plans/LX07/2020/", {"value_DK1": "十亿"})
    assert response.status_code == 200 and response.context["form"].errors["value_DK1"]
    assert not BranchTarget.objects.exists()


def test_only_the_branch_manager_edits_own_plan(dated, login):
    assert login(dated.users[roles.BRANCH_MANAGER]).get("/kpi/branch-plans/LX06/2020/").status_code == 404
    assert (
        login(dated.users[roles.BRANCH_MANAGER]).post("/kpi/branch-plans/LX06/2020/", {"value_DK1": "5"}).status_code
        == 404
    )
    assert login(dated.users[roles.BRANCH_MANAGER]).get("/kpi/branch-plans/NOPE/2020/").status_code == 404
    assert login(dated.users[roles.ACCOUNT_MANAGER]).get("/kpi/branch-plans/LX07/2020/").status_code == 404
    assert login(dated.users[roles.HEAD_OFFICE]).get("/kpi/branch-plans/LX07/2020/").status_code == 403
    assert not BranchTarget.objects.exists()
    for user, branch, year, code in [
        (dated.users[roles.HEAD_OFFICE], dated.branch_in, 2020, "not_branch_manager"),
        (dated.users[roles.BRANCH_MANAGER], dated.branch_out, 2020, "not_branch_manager"),
        (dated.users[roles.BRANCH_MANAGER], dated.branch_in, 1999, "bad_year"),
    ]:
        with pytest.raises(FigureRefused) as refused:
            branch_targets_set(user=user, branch=branch, year=year, values={"DK1": (Decimal(1), "")})
        assert refused.value.code == code and refused.value.message
    with pytest.raises(FigureRefused) as refused:
        branch_targets_set(
            user=dated.users[roles.BRANCH_MANAGER], branch=dated.branch_in, year=2020, values={"JC2": (Decimal(1), "")}
        )
    assert refused.value.code == "not_branch_indicator" and "JC2" in refused.value.message


def test_the_head_office_sees_every_branch_beside_city_targets_and_actuals(dated, login):
    manager_user = dated.users[roles.BRANCH_MANAGER]
    branch_targets_set(
        user=manager_user, branch=dated.branch_in, year=2020, values={"DK2": (Decimal(1_000_000_000), "")}
    )
    figure_enter(
        user=manager_user, indicator_code="DK2", scope="LX07", period=D(2020, 10, 31), value=Decimal(900_000_000)
    )
    page = login(dated.users[roles.HEAD_OFFICE]).get("/kpi/branch-plans/", {"year": "2020"})
    assert page.status_code == 200
    assert page.context["computed"] is True
    assert [b.code for b in page.context["branches"]] == ["LX06", "LX07"]
    row = next(r for r in page.context["rows"] if r["indicator"].code == "DK2")
    assert row["city"]["value"] == "950,000.00"  # 万元 in the overview
    assert row["cells"][1] == {"target": "100,000.00", "note": "", "actual": "90,000.00", "met": False}
    assert row["cells"][0] == {"target": "", "note": "", "actual": "", "met": None}
    assert 'class="text-danger">90,000.00' in page.content.decode()
    # a branch manager sees own branch only
    own = login(manager_user).get("/kpi/branch-plans/", {"year": "2020"})
    assert [b.code for b in own.context["branches"]] == ["LX07"]
    assert 'href="/kpi/branch-plans/LX07/2020/"' in own.content.decode()
    # a year outside the plan or nonsense falls back to the business year
    assert login(manager_user).get("/kpi/branch-plans/", {"year": "abc"}).context["year"] == 2020


def test_without_branch_kpis_the_imported_figures_stand_in(dated, login, monkeypatch):
    from puhui.core.errors import ApiError
    from puhui.kpi import figure_selectors

    def refuse(**kwargs):
        raise ApiError(400, "invalid_scope", "no branch scope")

    monkeypatch.setattr(figure_selectors, "kpi_values", refuse)
    manager_user = dated.users[roles.BRANCH_MANAGER]
    figure_enter(user=manager_user, indicator_code="QD3", scope="LX07", period=D(2020, 9, 30), value=Decimal(4100))
    page = login(dated.users[roles.HEAD_OFFICE]).get("/kpi/branch-plans/", {"year": "2020"})
    assert page.context["computed"] is False
    row = next(r for r in page.context["rows"] if r["indicator"].code == "QD3")
    assert row["cells"][1]["actual"] == "4,100" and row["cells"][1]["met"] is None
    assert b'data-testid="actuals-partial"' in page.content
