"""Scope is relational (DOMAIN §1): branch → townships → villages → grids.

Every read of geography goes through ``visible_to(user)``; an object outside it answers 404.
"""

from django.apps import apps
from django.db import models
from django.db.models import Q

from puhui.org import roles


def _no_scope(user) -> bool:
    return user is None or not user.is_authenticated or not user.is_active


class TownshipQuerySet(models.QuerySet):
    def visible_to(self, user) -> "TownshipQuerySet":
        if _no_scope(user):
            return self.none()
        if user.is_city_wide:
            return self.all()
        village_model = apps.get_model("org", "Village")
        return self.filter(pk__in=village_model.objects.visible_to(user).values("township_id"))


class VillageQuerySet(models.QuerySet):
    def visible_to(self, user) -> "VillageQuerySet":
        if _no_scope(user):
            return self.none()
        if user.is_city_wide:
            return self.all()
        condition = Q(pk__in=[])
        if user.has_role(roles.BRANCH_MANAGER) and user.branch_id:
            condition |= Q(township__branch_id=user.branch_id)
        if user.has_role(roles.ACCOUNT_MANAGER):
            condition |= Q(grids__account_manager=user)
        if user.has_role(roles.LIAISON) and user.village_id:
            condition |= Q(pk=user.village_id)
        return self.filter(pk__in=self.model.objects.filter(condition).values("pk"))


class GridQuerySet(models.QuerySet):
    def visible_to(self, user) -> "GridQuerySet":
        if _no_scope(user):
            return self.none()
        if user.is_city_wide:
            return self.all()
        condition = Q(pk__in=[])
        if user.has_role(roles.BRANCH_MANAGER) and user.branch_id:
            condition |= Q(village__township__branch_id=user.branch_id)
        if user.has_role(roles.ACCOUNT_MANAGER):
            condition |= Q(account_manager=user)
        if user.has_role(roles.LIAISON) and user.village_id:
            condition |= Q(village_id=user.village_id)
        return self.filter(condition)
