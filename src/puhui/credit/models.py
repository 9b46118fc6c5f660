"""Credit lines (授信), loans (借据) and the double-entry ledger (DOMAIN §4). Money is integer fen."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

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


class Loan(models.Model):
    """借据: one drawdown, its rate fixed at drawdown, due at maturity (never after the line's end)."""

    class Channel(models.TextChoices):
        COUNTER = "counter", _("counter")
        MOBILE = "mobile", _("mobile banking")
        ONLINE = "online", _("online banking")
        AGENT = "agent", _("agent terminal")
        FIELD = "field", _("at the door")

    line = models.ForeignKey(CreditLine, on_delete=models.PROTECT, related_name="loans", verbose_name=_("credit line"))
    principal_fen = models.BigIntegerField(_("principal (fen)"))
    outstanding_principal_fen = models.BigIntegerField(_("outstanding principal (fen)"))
    rate = models.DecimalField(_("annual rate (%)"), max_digits=7, decimal_places=4)
    drawn_on = models.DateField(_("drawn on"))
    maturity = models.DateField(_("maturity"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=60, blank=True)
    dpd = models.PositiveIntegerField(_("days past due"), default=0)
    classification = models.CharField(_("classification"), max_length=20, default="normal")
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
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.principal_fen / 100:.2f}"


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
