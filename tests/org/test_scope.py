"""visible_to(user): what each role sees of the geography."""

import pytest

from puhui.org import roles
from puhui.org.models import Grid, Township, Village


def codes(queryset) -> set[str]:
    return set(queryset.values_list("code", flat=True))


ALL_VILLAGES = {"330781102201", "330781102202", "330781101201"}

EXPECTED_VILLAGES = {
    roles.HEAD_OFFICE: ALL_VILLAGES,
    roles.AUDITOR: ALL_VILLAGES,
    roles.BRANCH_MANAGER: {"330781102201", "330781102202"},
    roles.ACCOUNT_MANAGER: {"330781102201"},
    roles.LIAISON: {"330781102201"},
    roles.EVALUATOR: set(),
    roles.FARMER: set(),
}


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_villages_visible_per_role(world, role):
    assert codes(Village.objects.visible_to(world.users[role])) == EXPECTED_VILLAGES[role]


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_townships_follow_villages(world, role):
    expected = {code[:9] for code in EXPECTED_VILLAGES[role]}
    assert codes(Township.objects.visible_to(world.users[role])) == expected


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_grids_lie_in_visible_villages(world, role):
    user = world.users[role]
    grid_villages = set(Grid.objects.visible_to(user).values_list("village__code", flat=True))
    assert grid_villages <= EXPECTED_VILLAGES[role]
    if role == roles.ACCOUNT_MANAGER:
        assert codes(Grid.objects.visible_to(user)) == {world.grid_mine.code}


def test_several_roles_add_up(world):
    from tests.conftest import make_user

    both = make_user("both", roles.LIAISON, roles.ACCOUNT_MANAGER, village=world.village_other)
    world.grid_mine.account_manager = both
    world.grid_mine.save()
    assert codes(Village.objects.visible_to(both)) == {"330781102201", "330781102202"}


def test_inactive_and_anonymous_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    head = world.users[roles.HEAD_OFFICE]
    head.is_active = False
    head.save()
    head.refresh_from_db()
    assert not Village.objects.visible_to(head).exists()
    assert not Village.objects.visible_to(AnonymousUser()).exists()


def test_scope_query_does_not_duplicate_rows(world):
    """A village with two grids of the same manager is listed once."""
    manager = world.users[roles.ACCOUNT_MANAGER]
    Grid.objects.create(village=world.village_mine, code="330781102201-02", name="第2网格", account_manager=manager)
    assert Village.objects.visible_to(manager).count() == 1
