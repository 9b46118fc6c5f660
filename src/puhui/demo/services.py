"""The Lanxi demo (API.md "Demo accounts"): geography, branches, grids and staff, from a seed."""

import datetime
import math
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from puhui.core.services import business_date_set
from puhui.demo import geography, plan
from puhui.demo.people import person_names
from puhui.org import roles
from puhui.org.models import Bank, Branch, Grid, Township, User, Village
from puhui.org.services import role_groups_ensure

DEMO_START_DATE = datetime.date(2018, 6, 29)  # a Friday: the plan's third year, its 2017 targets behind it
DEMO_FARMER_LIMIT_FEN = 20_000_000  # 200,000.00 yuan, the AA cap
DEMO_FARMER_RATE = Decimal("5.20")  # the one-year benchmark 4.35 % (2015–2019) + the AA spread 0.85 %
DEMO_USERNAMES = {
    roles.HEAD_OFFICE: "head",
    roles.BRANCH_MANAGER: "branch",
    roles.ACCOUNT_MANAGER: "manager",
    roles.LIAISON: "liaison",
    roles.EVALUATOR: "evaluator",
    roles.AUDITOR: "auditor",
    roles.FARMER: "farmer",
}


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    scope: str


def demo_is_loaded() -> bool:
    return Bank.objects.filter(code=geography.CITY_CODE).exists()


@transaction.atomic
def demo_load(*, seed: int = 330781) -> bool:
    """Load the geography, branches, grids and staff. Returns False when they were already there."""
    groups = role_groups_ensure()
    if demo_is_loaded():
        return False
    bank = Bank.objects.create(code=geography.CITY_CODE, name=plan.BANK_NAME, city_name=geography.CITY_NAME)
    branches = _branches_create(bank)
    townships = geography.lanxi_townships(seed)
    _geography_create(bank, branches, townships)
    _staff_create(branches, groups, seed)
    business_date_set(business_date=DEMO_START_DATE)
    return True


def _branches_create(bank: Bank) -> dict[str, Branch]:
    """township code → serving branch."""
    serving = {}
    for code, name, township_codes in plan.BRANCHES:
        branch = Branch.objects.create(bank=bank, code=code, name=name)
        serving.update(dict.fromkeys(township_codes, branch))
    return serving


def _geography_create(bank, serving: dict[str, Branch], townships) -> None:
    Township.objects.bulk_create(
        Township(bank=bank, branch=serving[t.code], code=t.code, name=t.name) for t in townships
    )
    township_ids = dict(Township.objects.values_list("code", "pk"))
    Village.objects.bulk_create(
        Village(
            township_id=township_ids[t.code],
            code=v.code,
            name=v.name,
            is_rural=v.is_rural,
            registered_population=v.population,
            registered_households=v.households,
        )
        for t in townships
        for v in t.villages
    )
    grids = []
    for village in Village.objects.order_by("code"):
        count = min(plan.MAX_GRIDS_PER_VILLAGE, max(1, village.registered_households // plan.HOUSEHOLDS_PER_GRID))
        grids += [Grid(village=village, code=f"{village.code}-{n:02d}", name=f"第{n}网格") for n in range(1, count + 1)]
    Grid.objects.bulk_create(grids)


def _staff_create(serving: dict[str, Branch], groups, seed: int) -> None:
    """One branch manager per branch, account managers per township's grids, a liaison per village."""
    unusable = make_password(None)
    names = iter(person_names(2000, seed))
    memberships: list[tuple[str, str]] = []  # (username, role)
    users: list[User] = []

    def add(username: str, role: str, **fields) -> User:
        user = User(username=username, full_name=next(names), password=unusable, **fields)
        users.append(user)
        memberships.append((username, role))
        return user

    for branch in {b.code: b for b in serving.values()}.values():
        add(f"bm_{branch.code.lower()}", roles.BRANCH_MANAGER, branch=branch)
    for township in Township.objects.order_by("code"):
        grids = list(Grid.objects.filter(village__township=township).order_by("code"))
        for n in range(math.ceil(len(grids) / plan.GRIDS_PER_ACCOUNT_MANAGER)):
            add(f"am_{township.code[-3:]}_{n + 1}", roles.ACCOUNT_MANAGER, branch=township.branch)
    for village in Village.objects.select_related("township").order_by("code"):
        add(f"li_{village.code}", roles.LIAISON, branch=village.township.branch, village=village)
    add("ho_analyst", roles.HEAD_OFFICE, is_staff=True)
    add("au_risk", roles.AUDITOR, is_staff=True)
    User.objects.bulk_create(users)
    _memberships_create(memberships, groups)
    _grids_assign()


def _memberships_create(memberships, groups) -> None:
    user_ids = dict(User.objects.values_list("username", "pk"))
    through = User.groups.through
    through.objects.bulk_create(
        through(user_id=user_ids[username], group_id=groups[role].pk) for username, role in memberships
    )


def _grids_assign() -> None:
    """Grids of a township go, in code order, to its account managers in runs of GRIDS_PER_ACCOUNT_MANAGER."""
    managers = {u.username: u for u in User.objects.filter(username__startswith="am_")}
    grids = list(Grid.objects.select_related("village__township").order_by("code"))
    position: dict[str, int] = {}
    for grid in grids:
        suffix = grid.village.township.code[-3:]
        index = position.get(suffix, 0)
        position[suffix] = index + 1
        grid.account_manager = managers[f"am_{suffix}_{index // plan.GRIDS_PER_ACCOUNT_MANAGER + 1}"]
    Grid.objects.bulk_update(grids, ["account_manager"], batch_size=500)


@transaction.atomic
def demo_accounts_reset(*, password: str) -> list[DemoAccount]:
    """(Re)create the seven demo accounts in the demo township and its branch, all with `password`."""
    groups = role_groups_ensure()
    branch = Branch.objects.get(code=plan.DEMO_BRANCH)
    township = Township.objects.get(code=plan.DEMO_TOWNSHIP)
    manager_grids = Grid.objects.filter(
        account_manager__username__in=[
            f"am_{plan.DEMO_TOWNSHIP[-3:]}_1",
            DEMO_USERNAMES[roles.ACCOUNT_MANAGER],
        ]
    )
    liaison_village = manager_grids.order_by("-village__is_rural", "code").first().village
    settings_by_role = {
        roles.HEAD_OFFICE: {"is_staff": True, "full_name": "总行分析员（演示）"},
        roles.BRANCH_MANAGER: {"branch": branch, "full_name": f"{branch.name}行长"},
        roles.ACCOUNT_MANAGER: {"branch": branch, "full_name": "客户经理（演示）"},
        roles.LIAISON: {"branch": branch, "village": liaison_village, "full_name": "支农联络员（演示）"},
        roles.EVALUATOR: {"full_name": "评议员（演示）"},
        roles.AUDITOR: {"is_staff": True, "full_name": "审计（演示）"},
        roles.FARMER: {"full_name": "农户（演示）"},
    }
    accounts = []
    for role, username in DEMO_USERNAMES.items():
        user, _ = User.objects.update_or_create(username=username, defaults=settings_by_role[role])
        user.set_password(password)
        user.is_active = True
        user.save()
        user.groups.set([groups[role]])
        accounts.append(DemoAccount(role, username, _scope_text(role, township, liaison_village)))
    # The demo account manager takes over the first run of the demo township's grids.
    manager_grids.update(account_manager=User.objects.get(username="manager"))
    _farmer_line_ensure(User.objects.get(username=DEMO_USERNAMES[roles.FARMER]), liaison_village)
    return accounts


def _farmer_line_ensure(farmer: User, village: Village) -> None:
    """The demo farmer is the head of a household of the liaison's village, with an active line."""
    from puhui.credit.models import CreditLine
    from puhui.credit.services import line_activate
    from puhui.households.models import Person

    if Person.objects.filter(user=farmer).exists():
        return
    head = Person.objects.filter(household__village=village, relation="head").order_by("household__number").first()
    if head is None:  # households are loaded after the accounts on a first start
        return
    Person.objects.filter(pk=head.pk).update(user=farmer)
    if not CreditLine.objects.filter(household=head.household).exists():
        line_activate(
            user=User.objects.get(username=DEMO_USERNAMES[roles.BRANCH_MANAGER]),
            household=head.household,
            borrower=head,
            limit_fen=DEMO_FARMER_LIMIT_FEN,
            grade="AA",
            rate=DEMO_FARMER_RATE,
            start_date=DEMO_START_DATE,
        )


def _scope_text(role: str, township: Township, village: Village) -> str:
    return {
        roles.HEAD_OFFICE: "全市",
        roles.AUDITOR: "全市（只读）",
        roles.BRANCH_MANAGER: f"{township.branch.name}：{township.name}",
        roles.ACCOUNT_MANAGER: f"{township.name}的本人网格",
        roles.LIAISON: village.name,
        roles.EVALUATOR: "本人参加的评议批次",
        roles.FARMER: "本户",
    }[role]
