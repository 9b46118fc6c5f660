"""The Lanxi demo: real geography figures, branches for every township, staff for every role, idempotent."""

import pytest
from django.db.models import Sum
from django.test import Client

from puhui.demo import plan
from puhui.demo.services import DEMO_USERNAMES, demo_accounts_reset, demo_load
from puhui.org import roles
from puhui.org.models import Branch, Grid, Township, User, Village


def can_log_in(username: str, password: str) -> bool:
    response = Client().post("/login/", {"username": username, "password": password})
    return response.status_code == 302


@pytest.fixture
def demo(db):
    assert demo_load() is True
    return demo_accounts_reset(password="Demo-Password-2017")


def test_geography_figures(demo):
    assert Township.objects.count() == 16
    assert 330 <= Village.objects.count() <= 350
    totals = Village.objects.aggregate(p=Sum("registered_population"), h=Sum("registered_households"))
    assert 640_000 <= totals["p"] <= 680_000
    assert 190_000 <= totals["h"] <= 210_000
    assert not Township.objects.filter(branch__isnull=True).exists()
    assert Branch.objects.count() == len(plan.BRANCHES)
    assert not Village.objects.filter(grids__isnull=True).exists()
    assert not Grid.objects.filter(account_manager__isnull=True).exists()


def test_staff_for_every_role(demo):
    for role in roles.ALL_ROLES:
        assert User.objects.filter(groups__name=role).exists(), role
    # every township has its account managers, every branch its manager
    for township in Township.objects.all():
        assert User.objects.filter(groups__name=roles.ACCOUNT_MANAGER, grids__village__township=township).exists()
    assert User.objects.filter(groups__name=roles.BRANCH_MANAGER).count() >= Branch.objects.count()


def test_demo_accounts_log_in_with_their_scope(demo):
    assert [a.username for a in demo] == list(DEMO_USERNAMES.values())
    for account in demo:
        assert can_log_in(account.username, "Demo-Password-2017"), account.username
    manager = User.objects.get(username="manager")
    villages = Village.objects.visible_to(manager)
    assert villages.exists()
    assert set(villages.values_list("township__code", flat=True)) == {plan.DEMO_TOWNSHIP}
    branch = User.objects.get(username="branch")
    assert (
        Village.objects.visible_to(branch).count() == Village.objects.filter(township__code=plan.DEMO_TOWNSHIP).count()
    )
    liaison = User.objects.get(username="liaison")
    assert Village.objects.visible_to(liaison).count() == 1


def test_load_twice_changes_nothing(demo):
    counts = (Village.objects.count(), Grid.objects.count(), User.objects.count())
    assert demo_load() is False
    demo_accounts_reset(password="Another-Password-9")
    assert (Village.objects.count(), Grid.objects.count(), User.objects.count()) == counts
    assert can_log_in("farmer", "Another-Password-9")
    assert not can_log_in("farmer", "Demo-Password-2017")


def test_generated_staff_cannot_log_in(demo):
    assert not User.objects.get(username="am_102_2").has_usable_password()
