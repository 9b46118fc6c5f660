"""考核指标 (DOMAIN §6): the indicator catalogue, the bank's plans and their targets by year.

Target values (``Target.value``), one representation per unit:
- ``percent``: a fraction, 90 % → ``0.9000`` (as the progress endpoint's rates);
- ``yuan``: whole yuan, 15 亿 → ``1500000000`` (1 亿 = 100,000,000; never fen here: targets are round
  plan figures, the ledger's fen stay in the credit app);
- ``households`` / ``count`` / ``villages``: a plain count, 2 万户 → ``20000``.
A target with no number (DK9 "不高于2015年末水平" until the bank records its end-2015 level) has
``value`` null and says what it means in ``note``.

Two-part targets (a balance and a customer count: DK4, DK5, DK6) are two indicators: the code keeps the
balance (``DK4``) and the customers get their own code with a ``C`` (``DK4C``), because unit, source and
comparison belong to an indicator.
"""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

SCOPE_LEVELS = ("city", "township", "branch", "village")


class Indicator(models.Model):
    """One plan indicator of the catalogue (ZC1 … JC2)."""

    class Unit(models.TextChoices):
        PERCENT = "percent", _("percent")
        YUAN = "yuan", _("yuan")
        HOUSEHOLDS = "households", _("households")
        COUNT = "count", _("count")
        VILLAGES = "villages", _("villages")

    class Source(models.TextChoices):
        INTERNAL = "internal", _("internal")
        IMPORTED = "imported", _("imported")
        BOTH = "internal+imported", _("internal and imported")

    class Comparison(models.TextChoices):
        AT_LEAST = "at_least", _("at least (a floor)")
        AT_MOST = "at_most", _("at most (a ceiling)")

    code = models.CharField(_("code"), max_length=10, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150)
    definition = models.TextField(_("definition"), blank=True)
    unit = models.CharField(_("unit"), max_length=12, choices=Unit.choices)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    scopes = models.JSONField(_("scopes"), default=list, help_text=_("Any of: city, township, branch, village."))
    comparison = models.CharField(
        _("comparison"), max_length=10, choices=Comparison.choices, default=Comparison.AT_LEAST
    )
    ordering = models.PositiveSmallIntegerField(_("ordering"), default=0)

    class Meta:
        verbose_name = _("plan indicator")
        verbose_name_plural = _("plan indicators")
        ordering = ["ordering", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class Plan(models.Model):
    """A multi-year plan, e.g. 2016–2020 普惠金融五年行动计划."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    start_year = models.PositiveSmallIntegerField(_("first year"), validators=[MinValueValidator(2000)])
    end_year = models.PositiveSmallIntegerField(_("last year"), validators=[MinValueValidator(2000)])

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["start_year"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_year__gte=models.F("start_year")), name="plan_years_ordered")
        ]

    def __str__(self) -> str:
        return self.name


class Target(models.Model):
    """An indicator's target for one year of a plan, for one scope ("city", "township:CODE", …)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="targets", verbose_name=_("plan"))
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="targets", verbose_name=_("indicator")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    scope = models.CharField(
        _("scope"), max_length=30, default="city", help_text=_('"city", or "township:CODE", "branch:CODE", …')
    )
    # Exact on SQLite too: Django quantizes to 4 places on read and every value stays far below 2**53 / 10**4.
    value = models.DecimalField(
        _("target value"),
        max_digits=16,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Percent as a fraction (0.9 = 90 %), money in whole yuan, households and counts as numbers."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["plan", "indicator__ordering", "year", "scope"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "indicator", "year", "scope"], name="target_once_per_year_scope")
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.year} {self.scope}"
