"""Shared fixtures: a small two-branch geography and one user per role.

诸葛镇 (branch 诸葛支行) holds the users' scope; 游埠镇 (branch 游埠支行) is the outside world.
"""

from dataclasses import dataclass

import pytest
from django.test import Client

from puhui.org import roles
from puhui.org.models import Bank, Branch, Grid, Township, User, Village
from puhui.org.services import role_groups_ensure

PASSWORD = "Correct-Horse-9"


@dataclass
class World:
    bank: Bank
    branch_in: Branch
    branch_out: Branch
    township_in: Township
    township_out: Township
    village_mine: Village  # in the account manager's grid, the liaison's village
    village_other: Village  # same township, another account manager's grid
    village_out: Village  # another township and branch
    grid_mine: Grid
    users: dict[str, User]


def _village(township, code, name, population=1200, households=400, is_rural=True):
    return Village.objects.create(
        township=township,
        code=code,
        name=name,
        is_rural=is_rural,
        registered_population=population,
        registered_households=households,
    )


def make_user(username: str, *role_codes: str, **fields) -> User:
    groups = role_groups_ensure()
    user = User.objects.create_user(username=username, password=PASSWORD, **fields)
    user.groups.set([groups[code] for code in role_codes])
    return user


@pytest.fixture
def world(db) -> World:
    bank = Bank.objects.create(code="330781", name="兰溪农商银行", city_name="兰溪市")
    branch_in = Branch.objects.create(bank=bank, code="LX07", name="诸葛支行")
    branch_out = Branch.objects.create(bank=bank, code="LX06", name="游埠支行")
    township_in = Township.objects.create(bank=bank, branch=branch_in, code="330781102", name="诸葛镇")
    township_out = Township.objects.create(bank=bank, branch=branch_out, code="330781101", name="游埠镇")
    village_mine = _village(township_in, "330781102201", "诸葛村", 3000, 900)
    village_other = _village(township_in, "330781102202", "长乐村", 2000, 600)
    village_out = _village(township_out, "330781101201", "下陈村", 1500, 500)
    users = {
        roles.HEAD_OFFICE: make_user("head", roles.HEAD_OFFICE, is_staff=True),
        roles.AUDITOR: make_user("auditor", roles.AUDITOR, is_staff=True),
        roles.BRANCH_MANAGER: make_user("branch", roles.BRANCH_MANAGER, branch=branch_in),
        roles.ACCOUNT_MANAGER: make_user("manager", roles.ACCOUNT_MANAGER, branch=branch_in),
        roles.LIAISON: make_user("liaison", roles.LIAISON, branch=branch_in, village=village_mine),
        roles.EVALUATOR: make_user("evaluator", roles.EVALUATOR),
        roles.FARMER: make_user("farmer", roles.FARMER),
    }
    other_manager = make_user("manager2", roles.ACCOUNT_MANAGER, branch=branch_in)
    out_manager = make_user("manager3", roles.ACCOUNT_MANAGER, branch=branch_out)
    grid_mine = Grid.objects.create(
        village=village_mine,
        code="330781102201-01",
        name="第1网格",
        account_manager=users[roles.ACCOUNT_MANAGER],
    )
    Grid.objects.create(village=village_other, code="330781102202-01", name="第1网格", account_manager=other_manager)
    Grid.objects.create(village=village_out, code="330781101201-01", name="第1网格", account_manager=out_manager)
    return World(
        bank,
        branch_in,
        branch_out,
        township_in,
        township_out,
        village_mine,
        village_other,
        village_out,
        grid_mine,
        users,
    )


@pytest.fixture
def login(client):
    """login(user) → a test client logged in as that user."""

    def _login(user) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return _login


@pytest.fixture
def api_client(db):
    """api_client(user) → a client whose requests carry a freshly issued bearer token for that user."""
    from puhui.core.services import api_token_issue

    def _client(user) -> Client:
        raw, _token = api_token_issue(user=user)
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return _client


def pytest_report_header(config):
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE']}"
