"""Households are visible through their grid and village: own grids, a liaison's village, a branch."""

from puhui.org.scope import ScopedQuerySet


class HouseholdQuerySet(ScopedQuerySet):
    village_path = "village"
    manager_lookup = "grid__account_manager"


class PersonQuerySet(ScopedQuerySet):
    village_path = "household__village"
    manager_lookup = "household__grid__account_manager"
