"""Credit lines (授信), loans (借据) and the double-entry ledger (DOMAIN §4). Money is integer fen."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from puhui.credit import purposes
from puhui.credit.classify import Classification as ClassificationCode
from puhui.org import roles
from puhui.org.scope import ScopedQuerySet


class CreditLineQuerySet(ScopedQuerySet):
    village_path = "household__village"
    manager_lookup = "household__grid__account_manager"

    def visible_to(self, user):
        """Staff through the household's scope; a farmer sees the lines of own household."""
        if user is not None and user.is_authenticated and user.is_active and user.has_role(roles.FARMER):
            own = self.filter(household__members__user=user)
            return own if not user.is_bank_staff else (own | super().visible_to(user)).distinct()
        return super().visible_to(user)


class CreditLine(models.Model):
    """A revolving line (随借随还) of a household, three years from activation."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        FROZEN = "frozen", _("frozen")
        EXPIRED = "expired", _("expired")
        CLOSED = "closed", _("closed")

    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="credit_lines", verbose_name=_("household")
    )
    borrower = models.ForeignKey(
        "households.Person", on_delete=models.PROTECT, related_name="credit_lines", verbose_name=_("borrower")
    )
    limit_fen = models.BigIntegerField(_("credit limit (fen)"))
    outstanding_principal_fen = models.BigIntegerField(_("outstanding principal (fen)"), default=0)
    grade = models.CharField(_("grade"), max_length=3)
    rate = models.DecimalField(_("annual rate (%)"), max_digits=7, decimal_places=4)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # End of day lifts only the freezes it made itself; a freeze by staff stays until staff lift it.
    frozen_by_eod = models.BooleanField(_("frozen by end of day"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CreditLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit line")
        verbose_name_plural = _("credit lines")
        constraints = [
            # DOMAIN §3: never above the plan's 300,000 yuan ceiling; the books never exceed the limit.
            models.CheckConstraint(condition=Q(limit_fen__gt=0, limit_fen__lte=30_000_000), name="line_limit_range"),
            models.CheckConstraint(
                condition=Q(outstanding_principal_fen__gte=0, outstanding_principal_fen__lte=F("limit_fen")),
                name="line_outstanding_within_limit",
            ),
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="line_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.limit_fen / 100:.2f}"

    @property
    def available_fen(self) -> int:
        return self.limit_fen - self.outstanding_principal_fen


class Classification(models.TextChoices):
    """五级分类 codes of credit/classify.py with their labels."""

    NORMAL = ClassificationCode.NORMAL.value, _("normal")
    SPECIAL_MENTION = ClassificationCode.SPECIAL_MENTION.value, _("special mention")
    SUBSTANDARD = ClassificationCode.SUBSTANDARD.value, _("substandard")
    DOUBTFUL = ClassificationCode.DOUBTFUL.value, _("doubtful")
    LOSS = ClassificationCode.LOSS.value, _("loss")


class Loan(models.Model):
    """借据: one drawdown, its rate fixed at drawdown, due at maturity (never after the line's end)."""

    class Channel(models.TextChoices):
        COUNTER = "counter", _("counter")
        MOBILE = "mobile", _("mobile banking")
        ONLINE = "online", _("online banking")
        AGENT = "agent", _("agent terminal")
        FIELD = "field", _("at the door")

    class PurposeKind(models.TextChoices):
        """What the plan counts separately (DK7, DK8); everything else is general."""

        GENERAL = purposes.GENERAL, _("general")
        HOME_IMPROVEMENT = purposes.HOME_IMPROVEMENT, _("美丽家园 home improvement")
        INDUSTRY_CHAIN = purposes.INDUSTRY_CHAIN, _("美丽田园 industry chain")

    line = models.ForeignKey(CreditLine, on_delete=models.PROTECT, related_name="loans", verbose_name=_("credit line"))
    principal_fen = models.BigIntegerField(_("principal (fen)"))
    outstanding_principal_fen = models.BigIntegerField(_("outstanding principal (fen)"))
    rate = models.DecimalField(_("annual rate (%)"), max_digits=7, decimal_places=4)
    drawn_on = models.DateField(_("drawn on"))
    maturity = models.DateField(_("maturity"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=60, blank=True)
    purpose_kind = models.CharField(
        _("purpose kind"), max_length=20, choices=PurposeKind.choices, default=PurposeKind.GENERAL
    )
    dpd = models.PositiveIntegerField(_("days past due"), default=0)
    classification = models.CharField(
        _("classification"), max_length=20, choices=Classification.choices, default=Classification.NORMAL
    )
    # Interest state carried by end of day (credit/interest.py in SQL): the contract and penalty rates in
    # 10**-6 percent, and per interest kind the exact sub-fen remainder (exact accrual − posted fen, in
    # interest.UNITS_PER_FEN units, within ±½ fen), so posted interest is the exact accrual rounded once.
    rate_scaled = models.BigIntegerField(_("annual rate (10⁻⁶ %)"))
    penalty_rate_scaled = models.BigIntegerField(_("penalty rate (10⁻⁶ %)"))
    normal_remainder_units = models.BigIntegerField(default=0, editable=False)
    penalty_remainder_units = models.BigIntegerField(default=0, editable=False)
    compound_remainder_units = models.BigIntegerField(default=0, editable=False)
    # Posted, unpaid interest in fen by bucket; their sum is the loan's interest-receivable balance.
    interest_accrued_fen = models.BigIntegerField(_("current interest not yet settled (fen)"), default=0)
    penalty_accrued_fen = models.BigIntegerField(_("penalty and compound interest not yet settled (fen)"), default=0)
    interest_due_fen = models.BigIntegerField(_("settled interest unpaid (fen)"), default=0)
    penalty_due_fen = models.BigIntegerField(_("settled penalty and compound interest unpaid (fen)"), default=0)
    interest_due_since = models.DateField(_("oldest unpaid interest due on"), null=True, blank=True)
    accrued_through = models.DateField(_("interest accrued through"), null=True, blank=True)
    # fen posted by the accrual of `accrued_through` in end-of-day run `accrual_run_id`: the day's legs
    accrual_run_id = models.BigIntegerField(null=True, blank=True, editable=False)
    accrual_day_interest_fen = models.BigIntegerField(default=0, editable=False)
    accrual_day_penalty_fen = models.BigIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["line", "drawn_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(principal_fen__gt=0, outstanding_principal_fen__gte=0)
                & Q(outstanding_principal_fen__lte=F("principal_fen")),
                name="loan_outstanding_within_principal",
            ),
            models.CheckConstraint(condition=Q(maturity__gt=F("drawn_on")), name="loan_matures_after_drawdown"),
            models.CheckConstraint(
                condition=Q(interest_accrued_fen__gte=0, penalty_accrued_fen__gte=0)
                & Q(interest_due_fen__gte=0, penalty_due_fen__gte=0),
                name="loan_interest_buckets_not_negative",
            ),
        ]
        indexes = [
            # end of day and the freeze rule look only at loans past due
            models.Index(fields=["line"], condition=Q(dpd__gt=0), name="loan_past_due_line"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.principal_fen / 100:.2f}"

    @property
    def interest_unpaid_fen(self) -> int:
        """Every posted interest fen not yet paid (current, settled, penalty and compound)."""
        return self.interest_accrued_fen + self.penalty_accrued_fen + self.interest_due_fen + self.penalty_due_fen


# A loan is open while it owes principal or interest; the sum of its interest buckets is its receivable.
LOAN_OPEN = (
    Q(outstanding_principal_fen__gt=0)
    | Q(interest_accrued_fen__gt=0)
    | Q(penalty_accrued_fen__gt=0)
    | Q(interest_due_fen__gt=0)
    | Q(penalty_due_fen__gt=0)
)
LOAN_INTEREST_UNPAID = (
    F("interest_accrued_fen") + F("penalty_accrued_fen") + F("interest_due_fen") + F("penalty_due_fen")
)


class Account(models.Model):
    """The chart of accounts; loan principal is kept per loan through the leg's loan."""

    class Code(models.TextChoices):
        LOAN_PRINCIPAL = "1301", _("loan principal")
        INTEREST_RECEIVABLE = "1321", _("interest receivable")
        CUSTOMER_SETTLEMENT = "2241", _("customer settlement (clearing)")
        INTEREST_INCOME = "6011", _("interest income")
        PENALTY_INCOME = "6012", _("penalty income")

    code = models.CharField(_("account code"), max_length=8, unique=True, choices=Code.choices)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")

    def __str__(self) -> str:
        return f"{self.code} {self.get_code_display()}"


class Journal(models.Model):
    """One balanced posting; never updated or deleted (corrections are reversing journals)."""

    class Kind(models.TextChoices):
        DRAWDOWN = "drawdown", _("drawdown")
        REPAYMENT = "repayment", _("repayment")
        ACCRUAL = "accrual", _("interest accrual")
        REVERSAL = "reversal", _("reversal")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    business_date = models.DateField(_("business date"))
    line = models.ForeignKey(CreditLine, on_delete=models.PROTECT, related_name="journals", null=True)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("journal")
        verbose_name_plural = _("journals")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} {self.business_date}"


class Leg(models.Model):
    """A debit (positive) or credit (negative) of one account, in fen; a journal's legs sum to zero."""

    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="legs")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="legs")
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, null=True, blank=True, related_name="legs")
    amount_fen = models.BigIntegerField(_("amount (fen, debit positive)"))

    class Meta:
        verbose_name = _("ledger leg")
        verbose_name_plural = _("ledger legs")
        constraints = [models.CheckConstraint(condition=~Q(amount_fen=0), name="leg_not_zero")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount_fen:+d}"


class Repayment(models.Model):
    """还款: one repayment and how it was allocated (per loan in RepaymentPart); reversal restores it."""

    journal = models.OneToOneField(Journal, on_delete=models.PROTECT, related_name="repayment")
    line = models.ForeignKey(CreditLine, on_delete=models.PROTECT, related_name="repayments")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    channel = models.CharField(_("channel"), max_length=10, choices=Loan.Channel.choices)
    business_date = models.DateField(_("business date"))

    class Meta:
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="repayment_positive")]

    def __str__(self) -> str:
        return f"{self.business_date} {self.amount_fen / 100:.2f}"


class RepaymentPart(models.Model):
    """The part of a repayment that went to one loan, by Civil Code art. 561 category and interest bucket."""

    repayment = models.ForeignKey(Repayment, on_delete=models.PROTECT, related_name="parts")
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayment_parts")
    penalty_due_fen = models.BigIntegerField(default=0)
    penalty_accrued_fen = models.BigIntegerField(default=0)
    interest_due_fen = models.BigIntegerField(default=0)
    interest_accrued_fen = models.BigIntegerField(default=0)
    principal_fen = models.BigIntegerField(default=0)
    interest_due_since = models.DateField(null=True, blank=True)  # the loan's, before this repayment

    class Meta:
        verbose_name = _("repayment part")
        verbose_name_plural = _("repayment parts")

    def __str__(self) -> str:
        return f"{self.repayment_id}/{self.loan_id}"


class CreditRules(models.Model):
    """The bank's credit rules (DOMAIN §4 defaults), one row the head office edits in the admin."""

    SINGLETON_PK = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK, editable=False)
    loan_term_months = models.PositiveSmallIntegerField(_("loan term (months)"), default=12)
    penalty_multiplier = models.DecimalField(
        _("penalty rate multiplier"), max_digits=4, decimal_places=2, default=Decimal("1.50")
    )
    compound_interest = models.BooleanField(_("compound interest on unpaid interest"), default=True)
    settlement_day = models.PositiveSmallIntegerField(_("interest settlement day of month"), default=20)
    special_mention_max_dpd = models.PositiveSmallIntegerField(_("special mention up to DPD"), default=90)
    substandard_max_dpd = models.PositiveSmallIntegerField(_("substandard up to DPD"), default=270)
    doubtful_max_dpd = models.PositiveSmallIntegerField(_("doubtful up to DPD"), default=360)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("credit rules")
        verbose_name_plural = _("credit rules")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="credit_rules_single_row"),
            models.CheckConstraint(condition=Q(loan_term_months__gte=1), name="credit_rules_term_positive"),
            models.CheckConstraint(condition=Q(settlement_day__gte=1, settlement_day__lte=28), name="credit_rules_day"),
            models.CheckConstraint(
                condition=Q(special_mention_max_dpd__gte=1)
                & Q(substandard_max_dpd__gt=F("special_mention_max_dpd"))
                & Q(doubtful_max_dpd__gt=F("substandard_max_dpd")),
                name="credit_rules_dpd_bands",
            ),
            models.CheckConstraint(condition=Q(penalty_multiplier__gte=1), name="credit_rules_penalty_at_least_rate"),
        ]

    def __str__(self) -> str:
        return str(_("credit rules"))


class EodRun(models.Model):
    """日终: one business date's end of day; unique per date, so a date is never run twice."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    business_date = models.DateField(_("business date"), unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("end-of-day run")
        verbose_name_plural = _("end-of-day runs")
        ordering = ["-business_date"]

    def __str__(self) -> str:
        return f"{self.business_date} {self.status}"
