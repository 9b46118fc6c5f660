"""The money path's one-query scope check agrees with `CreditLine.objects.visible_to` for every role."""

from decimal import Decimal

from puhui.credit import selectors
from puhui.credit.models import CreditLine
from puhui.credit.services import line_activate
from puhui.households.models import Household, Person
from puhui.org import roles
from puhui.org.models import Grid
from tests.conftest import make_user
from tests.credit.test_money_services import START, make_line


def line_in(world, grid, number, member=None) -> CreditLine:
    household = Household.objects.create(village=grid.village, grid=grid, number=number)
    head = Person.objects.create(household=household, relation="head", name="李四", user=member)
    return line_activate(
        user=world.users[roles.HEAD_OFFICE],
        household=household,
        borrower=head,
        limit_fen=10_000_000,
        grade="A",
        rate=Decimal("5.20"),
        start_date=START,
    )


def test_line_visible_is_visible_to_for_every_user_and_line(world):
    farmer = world.users[roles.FARMER]
    lines = [make_line(world)]
    lines += [line_in(world, grid, f"H{n}") for n, grid in enumerate(Grid.objects.exclude(pk=world.grid_mine.pk), 2)]
    lines.append(line_in(world, world.grid_mine, "H9", member=farmer))
    users = [
        *world.users.values(),
        make_user("staff-farmer", roles.ACCOUNT_MANAGER, roles.FARMER, branch=world.branch_in),
        make_user("inactive", roles.HEAD_OFFICE, is_active=False),
        make_user("no-role"),
    ]
    Person.objects.filter(household__number="H2").update(user=users[-3])
    checked = 0
    for user in users:
        visible = set(CreditLine.objects.visible_to(user).values_list("pk", flat=True))
        for line in lines:
            assert selectors.line_visible(user=user, pk=line.pk) == (line.pk in visible), (user.username, line.pk)
            checked += 1
        assert not selectors.line_visible(user=user, pk=max(visible | {0}) + 1000)
    assert checked == len(users) * len(lines) and any(
        selectors.line_visible(user=u, pk=line.pk) for u in users for line in lines
    )
