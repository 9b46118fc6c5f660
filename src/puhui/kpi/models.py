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

from decimal import Decimal

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


class BranchTarget(models.Model):
    """年度实施计划: a branch's own target for one indicator and year, entered by the branch."""

    branch = models.ForeignKey(
        "org.Branch", on_delete=models.CASCADE, related_name="kpi_targets", verbose_name=_("branch")
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="branch_targets", verbose_name=_("indicator")
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000)])
    value = models.DecimalField(_("target value"), max_digits=16, decimal_places=4)
    note = models.CharField(_("note"), max_length=200, blank=True)
    entered_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("entered by"))
    entered_at = models.DateTimeField(_("entered at"), auto_now=True)

    class Meta:
        verbose_name = _("branch annual target")
        verbose_name_plural = _("branch annual targets")
        ordering = ["branch", "year", "indicator__ordering"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "indicator", "year"], name="branch_target_once_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.indicator_id} {self.year}"


class FigureUpload(models.Model):
    """One uploaded monthly workbook of imported figures: who, when, which file, what happened."""

    class SourceSystem(models.TextChoices):
        CORE_BANKING = "core_banking", _("core banking")
        CHANNELS = "channels", _("channels")
        SOCIAL_SECURITY = "social_security", _("social-security cards")
        MANUAL = "manual", _("manual entry")

    source_system = models.CharField(_("source system"), max_length=20, choices=SourceSystem.choices)
    file_name = models.CharField(_("file name"), max_length=200)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_applied = models.PositiveIntegerField(_("rows applied"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    errors = models.JSONField(_("row errors"), default=list, blank=True)

    class Meta:
        verbose_name = _("figure upload")
        verbose_name_plural = _("figure uploads")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.uploaded_at:%Y-%m-%d})" if self.uploaded_at else self.file_name


class ImportedFigure(models.Model):
    """A monthly figure from a system outside the platform (core banking, channels, social-security cards),
    uploaded or entered by hand. A correction is a new row; the one it replaces keeps its value and points to
    it (``superseded_by``) — nothing is deleted."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="imported_figures", verbose_name=_("indicator")
    )
    scope = models.CharField(_("scope"), max_length=30, default="city")
    period = models.DateField(_("as of"), help_text=_("The date the figure is as of (usually a month end)."))
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    source_system = models.CharField(_("source system"), max_length=20, choices=FigureUpload.SourceSystem.choices)
    upload = models.ForeignKey(
        FigureUpload,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="figures",
        verbose_name=_("file"),
    )
    entered_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    superseded_by = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
        verbose_name=_("superseded by"),
    )

    class Meta:
        verbose_name = _("imported figure")
        verbose_name_plural = _("imported figures")
        ordering = ["indicator__ordering", "scope", "-period", "-entered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "scope", "period"],
                condition=models.Q(superseded_by__isnull=True),
                name="one_current_figure_per_period",
            )
        ]
        indexes = [models.Index(fields=["indicator", "scope", "period"], name="figure_lookup")]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.scope} {self.period}"


class ServicePoint(models.Model):
    """A basic financial service point in a village (JC1): ATM, POS, 助农终端 or an outlet, with its active dates."""

    class Kind(models.TextChoices):
        ATM = "atm", _("ATM")
        POS = "pos", _("POS")
        ASSIST_TERMINAL = "assist_terminal", _("助农终端 farmer-assist terminal")
        OUTLET = "outlet", _("outlet")

    village = models.ForeignKey(
        "org.Village", on_delete=models.PROTECT, related_name="service_points", verbose_name=_("village")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    active_from = models.DateField(_("active from"))
    active_until = models.DateField(_("active until"), null=True, blank=True)

    class Meta:
        verbose_name = _("service point")
        verbose_name_plural = _("service points")
        ordering = ["village", "kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(active_until__isnull=True) | models.Q(active_until__gte=models.F("active_from")),
                name="service_point_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class DesignationRules(models.Model):
    """信用户 / 信用村 / 信用乡镇 rules (DOMAIN §5 defaults), one row the head office edits in the admin."""

    SINGLETON_PK = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK, editable=False)
    household_min_grade = models.CharField(_("lowest grade of a 信用户"), max_length=4, default="A")
    rating_valid_years = models.PositiveSmallIntegerField(_("a rating is valid for (years)"), default=3)
    village_min_credit_household_share = models.DecimalField(
        _("信用村: least share of 信用户"), max_digits=5, decimal_places=4, default=Decimal("0.7000")
    )
    village_max_npl_ratio = models.DecimalField(
        _("信用村: NPL ratio below"), max_digits=5, decimal_places=4, default=Decimal("0.0500")
    )
    township_min_credit_village_share = models.DecimalField(
        _("信用乡镇: least share of 信用村"), max_digits=5, decimal_places=4, default=Decimal("0.5000")
    )
    township_max_npl_ratio = models.DecimalField(
        _("信用乡镇: NPL ratio below"), max_digits=5, decimal_places=4, default=Decimal("0.0500")
    )

    class Meta:
        verbose_name = _("designation rules")
        verbose_name_plural = _("designation rules")

    def __str__(self) -> str:
        return str(_("designation rules"))


class DesignationRun(models.Model):
    """One evaluation of the designations (yearly or on demand), as of a business date."""

    class Trigger(models.TextChoices):
        YEARLY = "yearly", _("yearly")
        ON_DEMAND = "on_demand", _("on demand")

    as_of = models.DateField(_("as of"))
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices)
    run_by = models.ForeignKey("org.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    run_at = models.DateTimeField(_("run at"), auto_now_add=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)

    class Meta:
        verbose_name = _("designation run")
        verbose_name_plural = _("designation runs")
        ordering = ["-as_of", "-run_at"]

    def __str__(self) -> str:
        return f"{self.as_of} {self.get_trigger_display()}"


class Designation(models.Model):
    """One period during which a household, village or township held a designation: since when, until when and
    why it was lost (``until`` null while it holds)."""

    class Level(models.TextChoices):
        HOUSEHOLD = "household", _("信用户 credit household")
        VILLAGE = "village", _("信用村 credit village")
        TOWNSHIP = "township", _("信用乡镇 credit township")

    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    household = models.ForeignKey(
        "households.Household", on_delete=models.CASCADE, null=True, blank=True, related_name="designations"
    )
    village = models.ForeignKey(
        "org.Village", on_delete=models.CASCADE, null=True, blank=True, related_name="designations"
    )
    township = models.ForeignKey(
        "org.Township", on_delete=models.CASCADE, null=True, blank=True, related_name="designations"
    )
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    granted_run = models.ForeignKey(DesignationRun, on_delete=models.PROTECT, related_name="granted")
    lost_run = models.ForeignKey(DesignationRun, on_delete=models.PROTECT, null=True, blank=True, related_name="lost")
    lost_reasons = models.JSONField(_("why it was lost"), default=list, blank=True)

    class Meta:
        verbose_name = _("designation")
        verbose_name_plural = _("designations")
        ordering = ["level", "-since"]
        indexes = [
            models.Index(fields=["level", "until"], name="designation_current"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.since}–{self.until or ''}"


class KpiSnapshot(models.Model):
    """The value of an indicator for a scope as end of day computed it for a business date: exact history and
    fast charts."""

    date = models.DateField(_("business date"))
    scope = models.CharField(_("scope"), max_length=30)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="snapshots")
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4, null=True)

    class Meta:
        verbose_name = _("indicator snapshot")
        verbose_name_plural = _("indicator snapshots")
        constraints = [models.UniqueConstraint(fields=["date", "scope", "indicator"], name="snapshot_once_per_day")]
        indexes = [models.Index(fields=["scope", "indicator", "date"], name="snapshot_series")]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.scope} {self.date}"
