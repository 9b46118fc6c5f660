"""Households are visible through their grid: an account manager's own grids, a liaison's village, a branch."""

from django.db import models
from django.db.models import Q

from puhui.org import roles


def household_scope_condition(user, prefix: str = "") -> Q | None:
    """The Q that limits households to the user's scope; None means the whole city; Q(pk__in=[]) nothing."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_city_wide:
        return None
    condition = Q(pk__in=[])
    if user.has_role(roles.BRANCH_MANAGER) and user.branch_id:
        condition |= Q(**{f"{prefix}village__township__branch_id": user.branch_id})
    if user.has_role(roles.ACCOUNT_MANAGER):
        condition |= Q(**{f"{prefix}grid__account_manager": user})
    if user.has_role(roles.LIAISON) and user.village_id:
        condition |= Q(**{f"{prefix}village_id": user.village_id})
    return condition


class HouseholdQuerySet(models.QuerySet):
    def visible_to(self, user) -> "HouseholdQuerySet":
        condition = household_scope_condition(user)
        return self.all() if condition is None else self.filter(condition)


class PersonQuerySet(models.QuerySet):
    def visible_to(self, user) -> "PersonQuerySet":
        condition = household_scope_condition(user, prefix="household__")
        return self.all() if condition is None else self.filter(condition)
