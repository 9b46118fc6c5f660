"""Organisation and geography (DOMAIN §1–2): city → township → village → grid; branches; staff."""

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from puhui.org import roles
from puhui.org.scope import GridQuerySet, TownshipQuerySet, VillageQuerySet

township_code_validator = RegexValidator(r"^\d{9}$", _("A township code has 9 digits."))
village_code_validator = RegexValidator(r"^\d{12}$", _("A village code has 12 digits."))


class Bank(models.Model):
    """One bank = one city (兰溪农商银行 serves 兰溪市)."""

    code = models.CharField(_("city code"), max_length=6, unique=True)
    name = models.CharField(_("bank name"), max_length=60)
    city_name = models.CharField(_("city name"), max_length=30)

    class Meta:
        verbose_name = _("bank")
        verbose_name_plural = _("banks")

    def __str__(self) -> str:
        return self.name


class Branch(models.Model):
    """支行: serves one or more townships; staff belong to a branch."""

    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="branches", verbose_name=_("bank"))
    code = models.CharField(_("branch code"), max_length=20, unique=True)
    name = models.CharField(_("branch name"), max_length=60)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Township(models.Model):
    """乡镇/街道."""

    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="townships", verbose_name=_("bank"))
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="townships", verbose_name=_("serving branch")
    )
    code = models.CharField(_("township code"), max_length=9, unique=True, validators=[township_code_validator])
    name = models.CharField(_("township name"), max_length=30)

    objects = TownshipQuerySet.as_manager()

    class Meta:
        verbose_name = _("township")
        verbose_name_plural = _("townships")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Village(models.Model):
    """行政村 or 社区; register figures are the denominators of the coverage rates."""

    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, related_name="villages", verbose_name=_("township")
    )
    code = models.CharField(_("village code"), max_length=12, unique=True, validators=[village_code_validator])
    name = models.CharField(_("village name"), max_length=30)
    is_rural = models.BooleanField(_("rural village"), default=True)
    registered_population = models.PositiveIntegerField(_("registered population"), default=0)
    registered_households = models.PositiveIntegerField(_("registered households"), default=0)

    objects = VillageQuerySet.as_manager()

    class Meta:
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(registered_population__gte=models.F("registered_households")),
                name="village_population_not_below_households",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    """网格: a village or part of one, assigned to one account manager."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="grids", verbose_name=_("village"))
    code = models.CharField(_("grid code"), max_length=20, unique=True)
    name = models.CharField(_("grid name"), max_length=40)
    account_manager = models.ForeignKey(
        "org.User",
        on_delete=models.PROTECT,
        related_name="grids",
        null=True,
        blank=True,
        verbose_name=_("account manager"),
    )

    objects = GridQuerySet.as_manager()

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.village.name} {self.name}"


class User(AbstractUser):
    """Staff member, evaluator or farmer. Roles are groups; scope comes from branch, grids, village."""

    full_name = models.CharField(_("full name"), max_length=30, blank=True)
    branch = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("branch"),
    )
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="liaisons",
        verbose_name=_("village (liaison)"),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    @cached_property
    def role_codes(self) -> frozenset[str]:
        if not self.is_active:
            return frozenset()
        return frozenset(self.groups.filter(name__in=roles.ALL_ROLES).values_list("name", flat=True))

    def has_role(self, *codes: str) -> bool:
        return bool(self.role_codes.intersection(codes))

    @property
    def is_city_wide(self) -> bool:
        return self.has_role(*roles.CITY_WIDE_ROLES)

    @property
    def is_bank_staff(self) -> bool:
        return self.has_role(*roles.STAFF_ROLES)

    @property
    def can_import_register(self) -> bool:
        return self.has_role(*roles.REGISTER_IMPORT_ROLES)
