"""Scope is relational (DOMAIN §1): branch → townships → villages → grids → households.

Every read goes through ``visible_to(user)``; an object outside it answers 404.
"""

from django.apps import apps
from django.db import models
from django.db.models import Q

from puhui.org import roles

NOTHING = Q(pk__in=[])


def scope_condition(user, *, village_path: str, manager_lookup: str) -> Q | None:
    """The Q limiting a model to the user's scope: None for the whole city, NOTHING for no scope.

    `village_path` leads from the model to its village ("" for Village itself), `manager_lookup` to the
    account manager of its grid."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_city_wide:
        return None
    prefix = f"{village_path}__" if village_path else ""
    condition = NOTHING
    if user.has_role(roles.BRANCH_MANAGER) and user.branch_id:
        condition |= Q(**{f"{prefix}township__branch_id": user.branch_id})
    if user.has_role(roles.ACCOUNT_MANAGER):
        condition |= Q(**{manager_lookup: user})
    if user.has_role(roles.LIAISON) and user.village_id:
        condition |= Q(**{f"{prefix}id" if prefix else "pk": user.village_id})
    return condition


def row_in_scope(user, *, branch_id: int | None, manager_id: int | None, village_id: int | None) -> bool:
    """`scope_condition` for one row whose branch, grid account manager and village are already at hand —
    the same rule without a query built (the money path checks it on every request; tests hold the two equal)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_city_wide:
        return True
    return bool(
        (user.has_role(roles.BRANCH_MANAGER) and user.branch_id and branch_id == user.branch_id)
        or (user.has_role(roles.ACCOUNT_MANAGER) and manager_id == user.pk)
        or (user.has_role(roles.LIAISON) and user.village_id and village_id == user.village_id)
    )


class ScopedQuerySet(models.QuerySet):
    village_path = ""
    manager_lookup = ""

    def visible_to(self, user):
        condition = scope_condition(user, village_path=self.village_path, manager_lookup=self.manager_lookup)
        return self.all() if condition is None else self.filter(condition)


class VillageQuerySet(ScopedQuerySet):
    manager_lookup = "grids__account_manager"

    def visible_to(self, user) -> "VillageQuerySet":
        # Through grids a village can match twice: filter by primary key so each village is listed once.
        condition = scope_condition(user, village_path="", manager_lookup=self.manager_lookup)
        if condition is None:
            return self.all()
        return self.filter(pk__in=self.model.objects.filter(condition).values("pk"))


class GridQuerySet(ScopedQuerySet):
    village_path = "village"
    manager_lookup = "account_manager"


class TownshipQuerySet(models.QuerySet):
    def visible_to(self, user) -> "TownshipQuerySet":
        if user is not None and user.is_authenticated and user.is_active and user.is_city_wide:
            return self.all()
        village_model = apps.get_model("org", "Village")
        return self.filter(pk__in=village_model.objects.visible_to(user).values("township_id"))
